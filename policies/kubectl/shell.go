package kubectl

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// script finds kubectl in a shell script found at the given position.
func (f *finder) script(src string, at Position) {
	// Bash's grammar is a superset of what sh, ash and dash accept, so one
	// parser serves every shell.
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		if strings.Contains(src, "kubectl") {
			f.add(Invocation{Text: src, Position: at, Unresolved: "cannot parse shell script: " + err.Error()})
		}
		return
	}
	nested := f.depth > 0
	f.depth++
	defer func() { f.depth-- }()

	e := &expander{src: src}
	e.vars = e.scriptVars(file)
	syntax.Walk(file, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		pos := at
		if !nested {
			pos.Offset = int(call.Pos().Offset())
		}
		words := make([]Word, len(call.Args))
		for i, w := range call.Args {
			words[i] = e.word(w)
		}
		f.simpleCommand(words, []Position{pos}, e.source(call))
		return true // command substitutions in the arguments may run kubectl too
	})
}

// expander turns a script's words into Words.
type expander struct {
	src  string
	vars map[string]definition
}

// definition is a variable's literal value and the offset from which a
// reference sees it.
type definition struct {
	value string
	from  uint
}

func (e *expander) source(n syntax.Node) string {
	return e.src[n.Pos().Offset():n.End().Offset()]
}

func (e *expander) word(w *syntax.Word) Word {
	var b strings.Builder
	resolved := e.parts(&b, w.Parts, false)
	if lit, ok := w.Parts[0].(*syntax.Lit); ok && strings.HasPrefix(lit.Value, "~") {
		resolved = false // tilde expansion depends on the environment
	}
	if braces := *w; syntax.SplitBraces(&braces) {
		resolved = false // one word would become several
	}
	return Word{Value: b.String(), Resolved: resolved}
}

// parts writes the value of word parts, and reports whether all of them
// are known. Unknown parts are written as in the source.
func (e *expander) parts(b *strings.Builder, parts []syntax.WordPart, quoted bool) bool {
	resolved := true
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(p.Value, quoted))
		case *syntax.SglQuoted:
			if p.Dollar {
				b.WriteString(e.source(p)) // $'...' escapes are not worth decoding
				resolved = false
				continue
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			resolved = e.parts(b, p.Parts, true) && resolved
		case *syntax.ParamExp:
			v, ok := e.lookup(p, quoted)
			if !ok {
				v = e.source(p)
				resolved = false
			}
			b.WriteString(v)
		default: // command and process substitutions, arithmetic, globs
			b.WriteString(e.source(p))
			resolved = false
		}
	}
	return resolved
}

// lookup returns the value of a plain $NAME or ${NAME} reference to a
// variable the script defines before it.
func (e *expander) lookup(p *syntax.ParamExp, quoted bool) (string, bool) {
	if p.Param == nil || p.Excl || p.Length || p.Width || p.Index != nil ||
		p.Slice != nil || p.Repl != nil || p.Names != 0 || p.Exp != nil {
		return "", false
	}
	def, ok := e.vars[p.Param.Value]
	if !ok || p.Pos().Offset() < def.from {
		return "", false
	}
	// Unquoted, the value would be split into fields and globbed.
	if !quoted && (def.value == "" || strings.ContainsAny(def.value, " \t\n*?[")) {
		return "", false
	}
	return def.value, true
}

// unescape removes the backslashes the shell removes from a literal.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		next := s[i+1]
		switch {
		case next == '\n':
			i++ // line continuation
		case !quoted || strings.IndexByte("$`\"\\", next) >= 0:
			b.WriteByte(next)
			i++
		default:
			b.WriteByte('\\')
		}
	}
	return b.String()
}

// scriptVars returns the variables that can be substituted with confidence:
// assigned a literal exactly once, by a plain assignment at the top level
// of the script, and never set by other means (read, for, ${X:=...}, ...).
func (e *expander) scriptVars(file *syntax.File) map[string]definition {
	topLevel := map[*syntax.Assign]bool{}
	for _, st := range file.Stmts {
		if st.Background || st.Coprocess || st.Negated {
			continue
		}
		switch cmd := st.Cmd.(type) {
		case *syntax.CallExpr:
			if len(cmd.Args) == 0 {
				for _, a := range cmd.Assigns {
					topLevel[a] = true
				}
			}
		case *syntax.DeclClause:
			if v := cmd.Variant.Value; v == "export" || v == "readonly" {
				for _, a := range cmd.Args {
					topLevel[a] = true
				}
			}
		}
	}

	sets := map[string]int{}
	defs := map[string]definition{}
	opaque := false // the script may set anything
	assign := func(a *syntax.Assign) {
		if a.Name == nil {
			return
		}
		sets[a.Name.Value]++
		if !topLevel[a] || a.Append || a.Index != nil || a.Array != nil {
			return
		}
		var value strings.Builder
		if a.Value != nil && !e.parts(&value, a.Value.Parts, false) {
			return
		}
		defs[a.Name.Value] = definition{value: value.String(), from: a.End().Offset()}
	}
	syntax.Walk(file, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) == 0 {
				for _, a := range n.Assigns {
					assign(a)
				}
				break
			}
			// Prefix assignments (X=1 cmd) only reach cmd's environment.
			switch n.Args[0].Lit() {
			case "source", ".", "eval":
				opaque = true
			case "read", "mapfile", "readarray", "getopts", "unset", "printf", "let":
				for _, w := range n.Args[1:] {
					name, _, _ := strings.Cut(w.Lit(), "=") // let X=1
					sets[name] += 2
				}
			}
		case *syntax.DeclClause:
			keeps := n.Variant.Value == "export" || n.Variant.Value == "readonly"
			for _, a := range n.Args {
				if a.Naked {
					if a.Name != nil && !keeps {
						sets[a.Name.Value] += 2 // local X and declare X reset X
					}
					continue
				}
				assign(a)
			}
		case *syntax.ForClause:
			if it, ok := n.Loop.(*syntax.WordIter); ok {
				sets[it.Name.Value] += 2
			}
		case *syntax.ParamExp:
			if n.Exp != nil && n.Param != nil &&
				(n.Exp.Op == syntax.AssignUnset || n.Exp.Op == syntax.AssignUnsetOrNull) {
				sets[n.Param.Value] += 2
			}
		}
		return true
	})
	if opaque {
		return nil
	}
	for name := range defs {
		if sets[name] != 1 {
			delete(defs, name)
		}
	}
	return defs
}
