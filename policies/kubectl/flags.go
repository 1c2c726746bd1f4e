package kubectl

import (
	"slices"
	"strconv"
	"strings"
)

// cmdline is a kubectl command line split the way cobra and pflag split it.
type cmdline struct {
	path  []string          // subcommand path, e.g. ["rollout", "status"]
	args  []Word            // positional arguments, without the path
	dash  []Word            // arguments after "--"
	flags map[string][]Word // values by long flag name, "true" for a bare boolean
}

// Flags taking a value in at least one kubectl command; the list comes from
// `kubectl <command> --help` of the commands this package models, plus the
// global flags.
var valueFlags = set(`as as-group as-uid as-user-extra cache-dir certificate-authority
	client-certificate client-key cluster context kubeconfig kuberc namespace password
	profile profile-output request-timeout server tls-server-name token user username v
	vmodule log-flush-frequency
	address aggregation-rule annotation annotations api-group attach-timeout audience
	bound-object-kind bound-object-name bound-object-uid cascade categories cert chunk-size
	class cluster-ip clusterip clusterrole container containers copy-to cpu-percent
	current-replicas custom default-backend description docker-email docker-password
	docker-server docker-username dry-run duration env external-ip external-name
	field-manager field-selector filename for from from-env-file from-file from-literal
	grace-period group hard image image-pull-policy key keys kustomize label-columns labels
	limit-bytes limits load-balancer-ip max max-log-requests max-unavailable min
	min-available name node-port non-resource-url output override-type overrides patch
	patch-file pod-running-timeout pod-selector port preemption-policy protocol
	prune-allowlist raw replicas requests resource resource-name resource-version restart
	retries revision role rule schedule scopes selector serviceaccount session-affinity
	set-image since since-time skip-wait-for-delete-timeout sort-by subresource tail
	target target-port tcp template timeout to-revision type types validate value
	verb verbs`)

// Boolean flags of the same commands.
var boolFlags = set(`help insecure-skip-tls-verify match-server-version warnings-as-errors
	disable-compression
	all all-containers all-namespaces all-pods allow-missing-template-keys append-hash
	arguments-only attach cached client command delete-emptydir-data disable-eviction
	edit expose follow force force-conflicts global-default ignore-daemonsets
	ignore-errors ignore-not-found insecure-skip-tls-verify-backend interactive
	keep-annotations keep-init-containers keep-labels keep-liveness keep-readiness
	keep-startup leave-stdin-open list local namespaced no-headers no-preserve now
	openapi-patch output-patch output-watch-events overwrite prefix previous privileged
	prune quiet record recursive replace resolve rm same-node save-config server-print
	server-side share-processes show-capacity show-events show-kind show-labels
	show-managed-fields stdin sum timestamps tty use-protocol-buffers wait watch
	watch-only windows-line-endings`)

// Flags whose value must be attached with "=": given alone they take a
// default, and the next word is not theirs (pflag's NoOptDefVal).
var optionalValue = map[string]string{"dry-run": "unchanged", "validate": "strict", "cascade": "background"}

var shorthands = map[byte]string{
	'A': "all-namespaces", 'R': "recursive", 'L': "label-columns", 'c': "container",
	'f': "filename", 'h': "help", 'i': "stdin", 'k': "kustomize", 'l': "selector",
	'n': "namespace", 'o': "output", 'p': "patch", 'q': "quiet", 's': "server",
	't': "tty", 'v': "v", 'w': "watch",
}

// commandFlags holds the few flags whose meaning depends on the command.
var commandFlags = map[string]struct {
	short   map[byte]string
	value   []string // long flags taking a value here only
	boolean []string // long flags that are booleans here only
}{
	"logs":              {short: map[byte]string{'f': "follow", 'p': "previous"}},
	"delete":            {short: map[byte]string{'i': "interactive"}},
	"create deployment": {short: map[byte]string{'r': "replicas"}},
	"set env":           {short: map[byte]string{'c': "containers", 'e': "env"}, value: []string{"prefix"}},
	"set resources":     {short: map[byte]string{'c': "containers"}},
	"top pod":           {boolean: []string{"containers"}},
}

// subcommands lists the commands that have subcommands, with aliases.
var subcommands = map[string]map[string]string{
	"rollout": names("history pause restart resume status undo"),
	"create": names(`clusterrole clusterrolebinding configmap=cm cronjob=cj deployment=deploy
		ingress=ing job namespace=ns poddisruptionbudget=pdb priorityclass=pc
		quota=resourcequota role rolebinding secret service=svc serviceaccount=sa token`),
	"create secret":  names("docker-registry generic tls"),
	"create service": names("clusterip externalname loadbalancer nodeport"),
	"set":            names("env image resources selector serviceaccount=sa subject"),
	"auth":           names("can-i reconcile whoami"),
	"top":            names("node=nodes,no pod=pods,po"),
	"apply":          names("edit-last-applied set-last-applied view-last-applied"),
	"certificate":    names("approve deny"),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// names maps each "name=alias,alias" entry and its aliases to the name.
func names(entries string) map[string]string {
	m := map[string]string{}
	for _, e := range strings.Fields(entries) {
		name, aliases, _ := strings.Cut(e, "=")
		m[name] = name
		for _, a := range strings.Split(aliases, ",") {
			if a != "" {
				m[a] = name
			}
		}
	}
	return m
}

// parseCmdline parses kubectl's arguments.
func parseCmdline(words []Word) (*cmdline, error) {
	c := &cmdline{flags: map[string][]Word{}}
	// cobra finds the subcommand first, skipping flags; pflag then parses
	// the remaining words with the subcommand's flags.
	var rest []Word
	found := false // the subcommand path is complete
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w.Value == "--":
			return c, c.parse(append(rest, words[i:]...))
		case isFlag(w):
			rest = append(rest, w)
			if follows, _ := c.valueFollows(w.Value); follows && i+1 < len(words) {
				i++
				rest = append(rest, words[i])
			}
		case found:
			rest = append(rest, w)
		case !w.Resolved:
			return nil, unresolved("subcommand %s is not a literal", w.Value)
		case len(c.path) == 0:
			c.path = append(c.path, w.Value)
			_, nested := subcommands[w.Value]
			found = !nested
		default:
			name := subcommands[c.command()][w.Value]
			if name == "" {
				rest = append(rest, w) // kubectl create -f, kubectl top
				found = true
				continue
			}
			c.path = append(c.path, name)
			_, nested := subcommands[c.command()]
			found = !nested
		}
	}
	return c, c.parse(rest)
}

func isFlag(w Word) bool {
	return len(w.Value) > 1 && w.Value[0] == '-'
}

// valueFollows reports whether the flag word s takes the next word as its
// value; ok is false for an unknown flag.
func (c *cmdline) valueFollows(s string) (follows, ok bool) {
	if strings.HasPrefix(s, "--") {
		name, _, hasValue := strings.Cut(s[2:], "=")
		long := normalize(name)
		if !c.known(long) {
			return false, false
		}
		return !hasValue && c.takesValue(long) && optionalValue[long] == "", true
	}
	for j := 1; j < len(s); j++ {
		long, ok := c.short(s[j])
		switch {
		case !ok:
			return false, false
		case j+1 < len(s) && s[j+1] == '=':
			return false, true // -n=prod, -w=false
		case c.takesValue(long):
			return j == len(s)-1, true
		}
	}
	return false, true
}

func (c *cmdline) parse(words []Word) error {
	for i := 0; i < len(words); i++ {
		w := words[i]
		s := w.Value
		switch {
		case s == "--":
			c.dash = words[i+1:]
			return nil
		case strings.HasPrefix(s, "--"):
			name, value, hasValue := strings.Cut(s[2:], "=")
			long := normalize(name)
			if !c.known(long) {
				return unresolved("unknown flag --%s", name)
			}
			switch {
			case hasValue:
				c.set(long, valuePart(w, value))
			case !c.takesValue(long):
				c.set(long, literal("true"))
			case optionalValue[long] != "":
				c.set(long, literal(optionalValue[long]))
			case i+1 < len(words):
				i++
				c.set(long, words[i])
			default:
				return unresolved("flag --%s needs an argument", long)
			}
		case isFlag(w):
			// A cluster of shorthands: -it, -nprod, -n=prod, -w=false.
			for j := 1; j < len(s); j++ {
				long, ok := c.short(s[j])
				if !ok {
					return unresolved("unknown shorthand flag -%c", s[j])
				}
				rest := s[j+1:]
				switch {
				case strings.HasPrefix(rest, "="):
					c.set(long, valuePart(w, rest[1:]))
				case !c.takesValue(long):
					c.set(long, literal("true"))
					continue
				case rest != "":
					c.set(long, valuePart(w, rest))
				case i+1 < len(words):
					i++
					c.set(long, words[i])
				default:
					return unresolved("flag -%c needs an argument", s[j])
				}
				break
			}
		default:
			c.args = append(c.args, w)
		}
	}
	return nil
}

// valuePart returns the value attached to a flag word, e.g. prod in
// --namespace=prod.
func valuePart(w Word, value string) Word {
	_, v, _ := Word{Value: "=" + value, Resolved: w.Resolved}.cut("=")
	return v
}

// normalize mirrors kubectl's flag name normalization: "_" becomes "-".
func normalize(name string) string { return strings.ReplaceAll(name, "_", "-") }

func (c *cmdline) command() string { return strings.Join(c.path, " ") }

func (c *cmdline) known(long string) bool { return valueFlags[long] || boolFlags[long] }

func (c *cmdline) takesValue(long string) bool {
	cf := commandFlags[c.command()]
	switch {
	case slices.Contains(cf.value, long):
		return true
	case slices.Contains(cf.boolean, long):
		return false
	}
	return valueFlags[long]
}

func (c *cmdline) short(b byte) (string, bool) {
	if long, ok := commandFlags[c.command()].short[b]; ok {
		return long, true
	}
	long, ok := shorthands[b]
	return long, ok
}

func (c *cmdline) set(long string, w Word) {
	c.flags[long] = append(c.flags[long], w)
}

// value returns the last value given to a flag.
func (c *cmdline) value(long string) (Word, bool) {
	v := c.flags[long]
	if len(v) == 0 {
		return Word{}, false
	}
	return v[len(v)-1], true
}

func (c *cmdline) has(long string) bool { return len(c.flags[long]) > 0 }

// bool returns a boolean flag's value, or def when it is not given.
func (c *cmdline) bool(long string, def bool) (bool, error) {
	w, ok := c.value(long)
	if !ok {
		return def, nil
	}
	if !w.Resolved {
		return false, unresolved("--%s=%s is not a literal", long, w.Value)
	}
	b, err := strconv.ParseBool(w.Value)
	if err != nil {
		return false, unresolved("--%s=%s is not a boolean", long, w.Value)
	}
	return b, nil
}

// str returns a flag's literal value, or "" when it is not given.
func (c *cmdline) str(long string) (string, error) {
	w, ok := c.value(long)
	if !ok {
		return "", nil
	}
	if !w.Resolved {
		return "", unresolved("--%s %s is not a literal", long, w.Value)
	}
	return w.Value, nil
}
