package kubectl

import (
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Word is one argument of a command line.
type Word struct {
	// Value is the argument. When it is not Resolved, literal parts are
	// kept and each expansion appears as written, e.g. "deploy/$NAME".
	Value string `json:"value"`
	// Resolved is false when the value is only known at run time.
	Resolved bool `json:"resolved"`
}

func literal(s string) Word { return Word{Value: s, Resolved: true} }

// Position tells where an invocation was found in a container.
type Position struct {
	// Field is "command" or "args".
	Field string `json:"field"`
	// Index is the element of Field holding kubectl or its script.
	Index int `json:"index"`
	// Offset is the byte offset of the command within the script, or 0
	// outside scripts. Commands found in a script nested in another one
	// (sh -c "sh -c '...'") get the offset of the outer command.
	Offset int `json:"offset"`
}

// Invocation is one kubectl command found in a container.
type Invocation struct {
	// Args are kubectl's arguments, without the kubectl word itself.
	Args []Word `json:"args"`
	// Text is the command as written: the script fragment or the
	// container's argv, shell-quoted.
	Text     string   `json:"text"`
	Position Position `json:"position"`
	// Unresolved, when set, tells why Args are not kubectl's whole
	// argument list (xargs, an unparsable script, ...).
	Unresolved string `json:"unresolved,omitempty"`
}

// Find returns every kubectl invocation in a container's command and args,
// in the order they appear. With no command, args are read as the whole
// command line, or as a shell's arguments when the first one is an option
// such as -c.
func Find(command, args []string) []Invocation {
	var f finder
	argv := make([]Word, 0, len(command)+len(args))
	var at []Position
	for i, s := range command {
		argv = append(argv, argvWord(s))
		at = append(at, Position{Field: "command", Index: i})
	}
	for i, s := range args {
		argv = append(argv, argvWord(s))
		at = append(at, Position{Field: "args", Index: i})
	}
	if len(command) == 0 && len(args) > 0 && strings.HasPrefix(args[0], "-") {
		// The entrypoint is unknown; args such as ["-c", "script"] only make
		// sense for a shell, so read them as a shell's.
		f.shell(argv, at, quoteArgv(args))
		return f.found
	}
	f.simpleCommand(argv, at, quoteArgv(slices.Concat(command, args)))
	return f.found
}

// argvWord turns a container argv element into a Word. Kubernetes expands
// $(VAR) references from the container's environment, so those are not
// literal.
func argvWord(s string) Word {
	for i := 0; i < len(s)-1; i++ {
		switch {
		case s[i] != '$':
		case s[i+1] == '$':
			i++ // $$ escapes a dollar
		case s[i+1] == '(':
			if name, _, ok := strings.Cut(s[i+2:], ")"); ok && isEnvName(name) {
				return Word{Value: s}
			}
		}
	}
	return literal(s)
}

func isEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func quoteArgv(argv []string) string {
	quoted := make([]string, len(argv))
	for i, s := range argv {
		q, err := syntax.Quote(s, syntax.LangBash)
		if err != nil {
			q = s // invalid UTF-8 or NUL: show it as is
		}
		quoted[i] = q
	}
	return strings.Join(quoted, " ")
}

type finder struct {
	found []Invocation
	depth int // of nested scripts being scanned
}

// simpleCommand looks for kubectl in one simple command. at holds the
// position of each word, or a single position shared by all of them.
func (f *finder) simpleCommand(words []Word, at []Position, text string) {
	for i := 0; i < len(words); {
		name := words[i]
		base := path.Base(name.Value)
		if !name.Resolved && base != "kubectl" {
			if strings.Contains(name.Value, "kubectl") {
				f.add(Invocation{Args: words[i+1:], Text: text, Position: pick(at, i),
					Unresolved: "command name " + name.Value + " is not a literal"})
			}
			return
		}
		switch base {
		case "kubectl":
			f.add(Invocation{Args: words[i+1:], Text: text, Position: pick(at, i)})
			return
		case "xargs":
			for j := i + 1; j < len(words); j++ {
				if path.Base(words[j].Value) == "kubectl" {
					f.add(Invocation{Args: words[j+1:], Text: text, Position: pick(at, j),
						Unresolved: "xargs appends arguments read from its input"})
					return
				}
			}
			return
		case "eval":
			f.eval(words[i+1:], pick(at, i), text)
			return
		case "command":
			if i+1 < len(words) && (words[i+1].Value == "-v" || words[i+1].Value == "-V") {
				return // looks kubectl up, does not run it
			}
		}
		if shells[base] {
			f.shell(words[i+1:], positionsFrom(at, i+1), text)
			return
		}
		w, ok := wrappers[base]
		if !ok {
			return
		}
		i = w.skip(words, i+1)
	}
}

// pick returns the position of the i-th word: at holds one position per
// word, or a single one shared by all words of a script command.
func pick(at []Position, i int) Position {
	if len(at) == 1 {
		return at[0]
	}
	return at[i]
}

func positionsFrom(at []Position, i int) []Position {
	if len(at) == 1 {
		return at
	}
	return at[i:]
}

func (f *finder) add(inv Invocation) {
	if inv.Args == nil {
		inv.Args = []Word{}
	}
	f.found = append(f.found, inv)
}

// eval runs its arguments, joined by spaces, as a script.
func (f *finder) eval(args []Word, at Position, text string) {
	var script strings.Builder
	for i, w := range args {
		if !w.Resolved {
			if strings.Contains(w.Value, "kubectl") {
				f.add(Invocation{Text: text, Position: at, Unresolved: "eval of a script that is not a literal"})
			}
			return
		}
		if i > 0 {
			script.WriteByte(' ')
		}
		script.WriteString(w.Value)
	}
	f.script(script.String(), at)
}

var shells = map[string]bool{
	"sh": true, "bash": true, "ash": true, "dash": true, "ksh": true,
	"mksh": true, "zsh": true,
}

// shell handles a shell's arguments: with -c, the first operand is the
// script; without it, the operand is a script file whose content is unknown.
func (f *finder) shell(args []Word, at []Position, text string) {
	script := false
	for i := 0; i < len(args); i++ {
		a := args[i].Value
		switch {
		case a == "--rcfile" || a == "--init-file":
			i++
		case a == "--" || a == "-":
			if script && i+1 < len(args) {
				f.scriptWord(args[i+1], pick(at, i+1), text)
			}
			return
		case strings.HasPrefix(a, "--"):
			// --login, --noprofile, --posix, ...
		case len(a) > 1 && (a[0] == '-' || a[0] == '+'):
			script = script || strings.Contains(a, "c")
			if strings.HasSuffix(a, "o") || strings.HasSuffix(a, "O") {
				i++ // -o pipefail, -eo pipefail
			}
		default:
			if script {
				f.scriptWord(args[i], pick(at, i), text)
			}
			return
		}
	}
}

func (f *finder) scriptWord(w Word, at Position, text string) {
	// A container's own script is parsed even when it holds $(VAR)
	// references: the shell sees those as command substitutions.
	if !w.Resolved && f.depth > 0 {
		if strings.Contains(w.Value, "kubectl") {
			f.add(Invocation{Args: []Word{}, Text: text, Position: at, Unresolved: "shell script is not a literal"})
		}
		return
	}
	f.script(w.Value, at)
}

// wrapper describes a command that runs the command following its options.
type wrapper struct {
	valueOpts string   // short options taking a value
	longOpts  []string // long options taking a value (when not given as --opt=value)
	operands  int      // operands before the command (timeout's duration)
	assigns   bool     // NAME=value words before the command (env)
}

var wrappers = map[string]wrapper{
	"exec":      {valueOpts: "a"},
	"env":       {valueOpts: "uCS", longOpts: []string{"--unset", "--chdir", "--split-string"}, assigns: true},
	"timeout":   {valueOpts: "sk", longOpts: []string{"--signal", "--kill-after"}, operands: 1},
	"nice":      {valueOpts: "n", longOpts: []string{"--adjustment"}},
	"nohup":     {},
	"setsid":    {},
	"command":   {},
	"builtin":   {},
	"time":      {valueOpts: "fo", longOpts: []string{"--format", "--output"}},
	"stdbuf":    {valueOpts: "ioe", longOpts: []string{"--input", "--output", "--error"}},
	"ionice":    {valueOpts: "cnp", longOpts: []string{"--class", "--classdata", "--pid"}},
	"sudo":      {valueOpts: "ugpChDrtU", longOpts: []string{"--user", "--group", "--prompt", "--close-from", "--host", "--chdir", "--role", "--type", "--other-user"}},
	"doas":      {valueOpts: "uC"},
	"busybox":   {},
	"tini":      {},
	"dumb-init": {},
}

// skip returns the index of the wrapped command's name in words, starting
// after the wrapper's own name at i.
func (w wrapper) skip(words []Word, i int) int {
	for ; i < len(words); i++ {
		a := words[i].Value
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		if strings.HasPrefix(a, "--") {
			for _, o := range w.longOpts {
				if a == o {
					i++
				}
			}
			continue
		}
		// A short option cluster: a value option ends it, taking the rest
		// of the word or the next word.
		for j := 1; j < len(a); j++ {
			if strings.IndexByte(w.valueOpts, a[j]) >= 0 {
				if j == len(a)-1 {
					i++
				}
				break
			}
		}
	}
	if w.assigns {
		for i < len(words) && isAssignment(words[i].Value) {
			i++
		}
	}
	return i + w.operands
}

func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	return ok && syntax.ValidName(name)
}
