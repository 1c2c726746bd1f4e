package kubectl

import (
	"cmp"
	"errors"
	"strings"
)

// Requests returns the API requests kubectl makes for the invocation when
// it runs with in-cluster credentials in a pod of podNamespace, which is
// kubectl's default namespace there, in the order kubectl makes them, for
// every kubectl and cluster version in support (RequestsFor with unknown
// versions). The error is an [*UnresolvedError] when the requests cannot be
// known before run time, or when kubectl would reject the command line.
func (inv Invocation) Requests(podNamespace string) ([]Request, error) {
	return inv.RequestsFor(podNamespace, Versions{})
}

// RequestsFor is Requests for the kubectl and cluster versions given; where
// one is unknown, the requests work for every version in support.
func (inv Invocation) RequestsFor(podNamespace string, versions Versions) ([]Request, error) {
	if inv.Unresolved != "" {
		return nil, &UnresolvedError{Reason: inv.Unresolved}
	}
	c, err := parseCmdline(inv.Args)
	if err != nil {
		return nil, err
	}
	m := &mapper{c: c, versions: versions}
	if err := m.run(podNamespace); err != nil {
		return nil, err
	}
	return m.requests(), nil
}

// Result pairs an invocation with its requests, for callers such as Rego
// builtins that want one JSON document.
type Result struct {
	Invocation Invocation `json:"invocation"`
	Requests   []Request  `json:"requests"`
	// Unresolved tells why Requests are unknown, the invocation's own reason (xargs, an
	// unparsable script) included; empty when they are known.
	Unresolved string `json:"unresolved,omitempty"`
}

// Analyze finds the kubectl invocations of a container and maps each one
// to its requests, for every kubectl and cluster version in support.
func Analyze(command, args []string, podNamespace string) []Result {
	return AnalyzeFor(command, args, podNamespace, Versions{})
}

// AnalyzeFor is Analyze for the kubectl and cluster versions given.
func AnalyzeFor(command, args []string, podNamespace string, versions Versions) []Result {
	invs := Find(command, args)
	results := make([]Result, len(invs))
	for i, inv := range invs {
		reqs, err := inv.RequestsFor(podNamespace, versions)
		results[i] = Result{Invocation: inv, Requests: reqs}
		var unresolved *UnresolvedError
		if errors.As(err, &unresolved) {
			results[i].Requests = []Request{}
			results[i].Unresolved = unresolved.Reason
		}
	}
	return results
}

type mapper struct {
	c        *cmdline
	versions Versions
	scope    scope
	dryRun   string // none, client or server
	reqs     []Request
	err      error // the first namespace that is not a literal
}

// scope is where namespaced requests go.
type scope struct {
	namespace Word
	all       bool
}

func (m *mapper) run(podNamespace string) error {
	c := m.c
	if help, err := c.bool("help", false); help || err != nil {
		return err
	}
	cmd := c.command()
	if len(c.path) == 0 || noRequests[c.path[0]] {
		return nil
	}
	for _, f := range identityFlags {
		if c.has(f) && !(f == "user" && subjectCommands[cmd]) {
			return unresolved("--%s: requests are not made as the pod's ServiceAccount", f)
		}
	}
	handler, ok := handlers[cmd]
	if !ok && c.path[0] == "create" {
		handler, ok = (*mapper).create, true
	}
	if !ok {
		return unresolved("kubectl %s is not modelled", cmd)
	}
	if c.has("raw") {
		return unresolved("--raw requests a URL")
	}
	if c.has("all-namespaces") && !allNamespacesCommands[cmd] {
		return unresolved("kubectl %s has no --all-namespaces flag", cmd)
	}
	all, err := c.bool("all-namespaces", false)
	if err != nil {
		return err
	}
	m.scope = scope{namespace: literal(podNamespace), all: all}
	if ns, ok := c.value("namespace"); ok && ns.Value != "" {
		m.scope.namespace = ns
	}
	if m.dryRun, err = dryRun(c); err != nil {
		return err
	}
	if localCommands[cmd] {
		if local, err := c.bool("local", false); local || err != nil {
			return err
		}
	}
	if err := handler(m); err != nil {
		return err
	}
	if m.err != nil {
		return m.err
	}
	if m.dryRun == "client" {
		m.dropWrites()
	}
	return nil
}

// dryRun returns "none", "client" or "server".
func dryRun(c *cmdline) (string, error) {
	v, err := c.str("dry-run")
	switch v {
	case "", "none", "false":
		return "none", err
	case "client", "true", "unchanged": // a bare --dry-run means client
		return "client", nil
	case "server":
		return "server", nil
	}
	return "", unresolved("invalid --dry-run=%s", v)
}

// dropWrites removes the requests a client-side dry run does not send.
func (m *mapper) dropWrites() {
	kept := m.reqs[:0]
	for _, r := range m.reqs {
		switch r.Verb {
		case "create", "update", "patch", "delete":
			continue
		}
		kept = append(kept, r)
	}
	m.reqs = kept
}

// req appends a request on t in the invocation's scope. name is "" for a
// collection or a name unknown before run time.
func (m *mapper) req(verb string, t *resourceType, name string) *Request {
	return m.reqIn(m.scope, verb, t, name)
}

func (m *mapper) reqIn(s scope, verb string, t *resourceType, name string) *Request {
	r := Request{Group: t.group, Resource: t.plural, Verb: verb, Name: name}
	if t == namespaces {
		r.Namespace = name // RBAC sees a namespace as living in itself
	}
	if t.namespaced {
		switch {
		case s.all:
			r.AllNamespaces = true
		case !s.namespace.Resolved:
			if m.err == nil {
				m.err = unresolved("namespace %s is not a literal", s.namespace.Value)
			}
		default:
			r.Namespace = s.namespace.Value
		}
	}
	m.reqs = append(m.reqs, r)
	return &m.reqs[len(m.reqs)-1]
}

// requests returns the requests in the order kubectl makes them, without
// repeats. A request both optional and required is required; it keeps the
// version assumption of a required copy, and none when some command needs
// it whatever the versions.
func (m *mapper) requests() []Request {
	out := []Request{}
	seen := map[Request]int{}
	for _, r := range m.reqs {
		optional, assumed := r.Optional, r.Assumed
		r.Optional, r.Assumed = false, ""
		i, ok := seen[r]
		if !ok {
			seen[r] = len(out)
			r.Optional, r.Assumed = optional, assumed
			out = append(out, r)
			continue
		}
		switch prev := &out[i]; {
		case optional && prev.Optional:
			prev.Assumed = cmp.Or(prev.Assumed, assumed)
		case optional: // a required copy decides
		case prev.Optional:
			prev.Optional, prev.Assumed = false, assumed
		case assumed == "":
			prev.Assumed = ""
		}
	}
	return out
}

// target is an object or collection named on the command line.
type target struct {
	t    *resourceType
	name Word // Value is "" for a collection
}

func (t target) named() bool { return t.name.Value != "" }

// nameOf returns the literal name of a word, or "" when it is unknown.
func nameOf(w Word) string {
	if w.Resolved {
		return w.Value
	}
	return ""
}

// targets resolves the objects a resource builder based command works on,
// named by arguments or selected by --selector, --field-selector or --all.
func (m *mapper) targets(args []Word) ([]target, error) {
	if m.c.has("filename") || m.c.has("kustomize") {
		return nil, unresolved("objects are read from --filename or --kustomize")
	}
	if len(args) == 0 {
		return nil, unresolved("kubectl %s needs a resource type", m.c.command())
	}
	targets, err := parseTargets(args)
	if err != nil {
		return nil, err
	}
	selects := m.c.has("selector") || m.c.has("field-selector") || m.c.has("all")
	for _, t := range targets {
		switch {
		case t.named() && selects:
			return nil, unresolved("kubectl rejects names together with a selector or --all")
		case t.named() && m.scope.all:
			return nil, unresolved("kubectl cannot get a resource by name across all namespaces")
		case !t.named() && !selects && !listsAll[m.c.path[0]]:
			return nil, unresolved("kubectl %s needs names, a selector or --all", m.c.command())
		}
	}
	return targets, nil
}

// Commands that select every object of a type given without names.
var listsAll = map[string]bool{"get": true, "describe": true, "rollout": true}

// parseTargets resolves TYPE[,TYPE...] [NAME...] or TYPE/NAME...
// arguments (cli-runtime's ResourceTypeOrNameArgs).
func parseTargets(args []Word) ([]target, error) {
	if len(args) > 1 && strings.Contains(args[0].Value, ",") {
		// kubectl get pods,services foo means pods/foo and services/foo.
		types := splitList(args[0])
		var pairs []Word
		for _, typ := range types {
			for _, name := range args[1:] {
				pairs = append(pairs, Word{Value: typ.Value + "/" + name.Value, Resolved: typ.Resolved && name.Resolved})
			}
		}
		args = pairs
	}
	var targets []target
	slashes := 0
	for _, a := range args {
		if strings.Contains(a.Value, "/") {
			slashes++
		}
	}
	switch {
	case slashes == len(args):
		for _, a := range args {
			typ, name, _ := a.cut("/")
			if name.Value == "" || strings.Contains(name.Value, "/") {
				return nil, unresolved("invalid TYPE/NAME argument %s", a.Value)
			}
			t, err := lookupWord(typ)
			if err != nil {
				return nil, err
			}
			targets = append(targets, target{t, name})
		}
	case slashes > 0:
		return nil, unresolved("kubectl rejects TYPE NAME mixed with TYPE/NAME arguments")
	default:
		for _, typ := range splitList(args[0]) {
			t, err := lookupWord(typ)
			if err != nil {
				return nil, err
			}
			if len(args) == 1 {
				targets = append(targets, target{t: t})
			}
			for _, name := range args[1:] {
				targets = append(targets, target{t, name})
			}
		}
	}
	return targets, nil
}

func lookupWord(w Word) (*resourceType, error) {
	if !w.Resolved {
		return nil, unresolved("resource type %s is not a literal", w.Value)
	}
	if strings.EqualFold(w.Value, "all") {
		return nil, unresolved(`resource category "all" depends on discovery`)
	}
	t, ok := lookupType(w.Value)
	if !ok {
		return nil, unresolved("unknown resource type %q", w.Value)
	}
	return t, nil
}

// splitList splits a comma-separated list, dropping repeats.
func splitList(w Word) []Word {
	var out []Word
	seen := map[string]bool{}
	rest, more := w, true
	for more {
		var item Word
		item, rest, more = rest.cut(",")
		if !seen[item.Value] {
			seen[item.Value] = true
			out = append(out, item)
		}
	}
	return out
}

// cut splits a word around the first sep. A part of an unresolved word is
// resolved when it holds no expansion.
func (w Word) cut(sep string) (before, after Word, found bool) {
	b, a, found := strings.Cut(w.Value, sep)
	part := func(s string) Word {
		return Word{Value: s, Resolved: w.Resolved || !strings.ContainsAny(s, "$`{}~*?[")}
	}
	return part(b), part(a), found
}

// selectedName returns the name a field selector pins, which RBAC takes as
// the request's name (metadata.name=NAME).
func (m *mapper) selectedName() string {
	sel, err := m.c.str("field-selector")
	if err != nil {
		return ""
	}
	for _, term := range strings.Split(sel, ",") {
		if name, ok := strings.CutPrefix(term, "metadata.name=="); ok {
			return name
		}
		if name, ok := strings.CutPrefix(term, "metadata.name="); ok {
			return name
		}
	}
	return ""
}

// fetch adds the GET or LIST the resource builder makes for a target.
func (m *mapper) fetch(t target) *Request {
	if t.named() {
		return m.req("get", t.t, nameOf(t.name))
	}
	return m.req("list", t.t, m.selectedName())
}

// objectName is the name of a target as RBAC sees it in later requests.
func (t target) objectName() string { return nameOf(t.name) }
