package kubectl

import (
	"strings"
	"time"
)

// Commands that make no request beyond discovery, or none at all.
var noRequests = set("api-resources api-versions completion config explain help kuberc kustomize options plugin version")

// Flags that make kubectl act as someone other than the pod's
// ServiceAccount, or talk to another cluster.
var identityFlags = []string{"kubeconfig", "context", "cluster", "user", "token", "username",
	"password", "client-certificate", "client-key", "as", "as-group", "as-uid", "as-user-extra"}

// Commands whose own --user flag names a subject, hiding the global one.
var subjectCommands = map[string]bool{"create rolebinding": true, "create clusterrolebinding": true, "set subject": true}

// Commands that accept -A/--all-namespaces.
var allNamespacesCommands = map[string]bool{"get": true, "describe": true, "delete": true,
	"label": true, "annotate": true, "wait": true, "events": true, "top pod": true}

// Commands whose --local makes them work on files only, with no request.
var localCommands = map[string]bool{"patch": true, "label": true, "annotate": true, "set image": true,
	"set env": true, "set resources": true, "set serviceaccount": true, "set subject": true}

// handlers map each modelled command to the function adding its requests.
var handlers = map[string]func(*mapper) error{
	"get":                (*mapper).get,
	"describe":           (*mapper).describe,
	"logs":               (*mapper).logs,
	"exec":               (*mapper).exec,
	"attach":             (*mapper).attach,
	"cp":                 (*mapper).cp,
	"port-forward":       (*mapper).portForward,
	"scale":              (*mapper).scale,
	"rollout restart":    (*mapper).rolloutRestart,
	"rollout pause":      (*mapper).rolloutPause,
	"rollout resume":     (*mapper).rolloutPause,
	"rollout status":     (*mapper).rolloutStatus,
	"rollout undo":       (*mapper).rolloutHistory,
	"rollout history":    (*mapper).rolloutHistory,
	"delete":             (*mapper).delete,
	"patch":              (*mapper).patch,
	"label":              (*mapper).label,
	"annotate":           (*mapper).label,
	"set image":          (*mapper).setPodTemplate,
	"set env":            (*mapper).setPodTemplate,
	"set resources":      (*mapper).setPodTemplate,
	"set serviceaccount": (*mapper).setPodTemplate,
	"set subject":        (*mapper).setSubject,
	"create":             (*mapper).create,
	"run":                (*mapper).runPod,
	"expose":             (*mapper).expose,
	"autoscale":          (*mapper).autoscale,
	"wait":               (*mapper).wait,
	"cordon":             (*mapper).cordon,
	"uncordon":           (*mapper).cordon,
	"drain":              (*mapper).drain,
	"taint":              (*mapper).taint,
	"events":             (*mapper).events,
	"top pod":            (*mapper).topPod,
	"top node":           (*mapper).topNode,
	"auth can-i":         (*mapper).canI,
	"auth whoami":        (*mapper).whoami,
	"cluster-info":       (*mapper).clusterInfo,
	"apply":              (*mapper).fromFiles,
	"replace":            (*mapper).fromFiles,
	"diff":               (*mapper).fromFiles,
	"auth reconcile":     (*mapper).fromFiles,
}

func (m *mapper) get() error {
	in := m.read()
	targets, watch, watchOnly := in.targets(m.c.args), in.bool("watch", false), in.bool("watch-only", false)
	sub := in.str("subresource")
	if in.err != nil {
		return in.err
	}
	for _, t := range targets {
		if r := m.fetch(t); t.named() {
			r.Subresource = sub
		}
		// Watching first gets the objects, then watches from their version.
		if watch || watchOnly {
			name := t.objectName()
			if !t.named() {
				name = m.selectedName()
			}
			m.req("watch", t.t, name)
		}
	}
	return nil
}

func (m *mapper) describe() error {
	in := m.read()
	targets, showEvents := in.targets(m.c.args), in.bool("show-events", true)
	if in.err != nil {
		return in.err
	}
	// kubectl lists events when it describes a single object, unless
	// --show-events says otherwise. For a collection, that depends on how
	// many objects match.
	single := len(targets) == 1 && targets[0].named()
	events := showEvents && (single || m.c.has("show-events") || !targets[0].named())
	maybe := !single && !m.c.has("show-events")
	for _, t := range targets {
		m.fetch(t)
		m.describer(t.t, t.objectName(), events, maybe)
	}
	return nil
}

// describer adds the requests of kubectl's describer for t (k8s.io/kubectl/pkg/describe).
// With maybeEvents, events are listed only if a single object matches.
func (m *mapper) describer(t *resourceType, name string, showEvents, maybeEvents bool) {
	m.req("get", t, name)
	eventScope := m.scope
	if !t.namespaced {
		eventScope = scope{all: true} // events about cluster-scoped objects live in any namespace
	}
	events := func(required bool) {
		if showEvents {
			m.reqIn(eventScope, "list", events, "").Optional = !required || maybeEvents
		}
	}
	optional := func(r *Request) { r.Optional = true }
	switch t.group + "/" + t.plural {
	case "/secrets", "/limitranges", "/resourcequotas",
		"networking.k8s.io/networkpolicies",
		"rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings",
		"rbac.authorization.k8s.io/clusterroles", "rbac.authorization.k8s.io/clusterrolebindings":
		// no events
	case "/configmaps":
		events(true)
	case "/namespaces":
		s := scope{namespace: literal(name), all: name == ""}
		m.reqIn(s, "list", resource("", "resourcequotas"), "")
		m.reqIn(s, "list", resource("", "limitranges"), "")
	case "/nodes":
		optional(m.reqIn(scope{all: true}, "list", pods, "")) // tolerates Forbidden
		events(false)
		optional(m.req("list", resource("resource.k8s.io", "resourceslices"), ""))
		optional(m.reqIn(scope{namespace: literal("kube-node-lease")}, "get", resource("coordination.k8s.io", "leases"), name))
	case "apps/deployments":
		events(false)
		optional(m.req("list", replicaSets, ""))
	case "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "/replicationcontrollers":
		m.req("list", pods, "")
		events(false)
	case "/services":
		optional(m.req("list", resource("discovery.k8s.io", "endpointslices"), ""))
		events(false)
	case "networking.k8s.io/ingresses":
		events(false)
		optional(m.req("list", resource("discovery.k8s.io", "endpointslices"), ""))
		optional(m.req("get", resource("", "services"), ""))
	default:
		events(false)
	}
}

// pod adds the requests kubectl makes to find the pod that arg (a pod name
// or TYPE/NAME) designates (polymorphichelpers.AttachablePodForObjectFn),
// and returns the pod's name when it is known.
func (m *mapper) pod(arg Word) (string, error) {
	t, name := pods, arg
	if strings.Contains(arg.Value, "/") {
		typ, n, _ := arg.cut("/")
		var err error
		if t, err = lookupWord(typ); err != nil {
			return "", err
		}
		name = n
	}
	m.req("get", t, nameOf(name))
	if t == pods {
		return nameOf(name), nil
	}
	if !t.ownsPods() {
		return "", unresolved("kubectl cannot select pods through %s", t)
	}
	m.req("list", pods, "")
	m.req("watch", pods, "").Optional = true // waits when no pod matches yet
	return "", nil
}

func (m *mapper) logs() error {
	args := m.c.args
	switch {
	case len(args) == 0 && m.c.has("selector"):
		m.req("list", pods, "")
		m.req("get", pods, "").Subresource = "log"
		return nil
	case len(args) == 0 || len(args) > 2 || m.c.has("selector"):
		return unresolved("kubectl logs needs a pod, TYPE/NAME or a selector")
	}
	name, err := m.pod(args[0])
	if err != nil {
		return err
	}
	m.req("get", pods, name).Subresource = "log"
	return nil
}

func (m *mapper) exec() error {
	return m.podSubresource("exec")
}

func (m *mapper) attach() error {
	return m.podSubresource("attach")
}

// podSubresource maps exec and attach. See connect.
func (m *mapper) podSubresource(sub string) error {
	args := m.c.args
	if m.c.has("filename") {
		return unresolved("the pod is read from --filename")
	}
	if sub == "exec" && len(m.c.dash) == 0 {
		return unresolved(`kubectl exec needs "--" before the command`)
	}
	if len(args) == 0 {
		return unresolved("kubectl %s needs a pod or TYPE/NAME", sub)
	}
	arg := args[0]
	if sub == "attach" && len(args) == 2 {
		arg = Word{Value: args[0].Value + "/" + args[1].Value, Resolved: args[0].Resolved && args[1].Resolved}
	}
	name, err := m.pod(arg)
	if err != nil {
		return err
	}
	m.connect(m.scope, name, sub)
	return nil
}

// connect adds the requests that open an exec, attach or port-forward
// stream. kubectl first tries a WebSocket upgrade, a GET the API server
// authorizes as get and then checks for create too; when that fails it
// falls back to SPDY, a POST authorized as create. So create is necessary
// and sufficient, and get optional, for every kubectl version in support:
// kubectl 1.29 and older use SPDY unless told; from 1.30 (k8s.io/kubectl
// pkg/cmd/exec/exec.go createExecutor at v0.31.14 and v0.36.3) a refused
// WebSocket handshake is an UpgradeFailureError (k8s.io/client-go
// transport/websocket/roundtripper.go) and falls back to SPDY; API servers
// before 1.35 do not ask create of the upgrade
// (AuthorizePodWebsocketUpgradeCreatePermission, pkg/features/kube_features.go),
// where get alone would do, but create still does.
func (m *mapper) connect(sc scope, pod, sub string) {
	r := m.reqIn(sc, "get", pods, pod)
	r.Subresource, r.Optional = sub, true
	m.reqIn(sc, "create", pods, pod).Subresource = sub
}

func (m *mapper) cp() error {
	if len(m.c.args) != 2 {
		return unresolved("kubectl cp needs a source and a destination")
	}
	var remote []Word
	for _, a := range m.c.args {
		podPart, _, found := a.cut(":")
		if found && podPart.Value != "" {
			remote = append(remote, podPart)
		}
	}
	if len(remote) != 1 {
		return unresolved("kubectl cp needs exactly one [NAMESPACE/]POD:PATH argument")
	}
	s := m.scope
	pod := remote[0]
	if ns, name, found := pod.cut("/"); found {
		s.namespace, pod = ns, name
	}
	m.reqIn(s, "get", pods, nameOf(pod))
	m.connect(s, nameOf(pod), "exec")
	return nil
}

func (m *mapper) portForward() error {
	if len(m.c.args) < 2 {
		return unresolved("kubectl port-forward needs a pod or TYPE/NAME and ports")
	}
	name, err := m.pod(m.c.args[0])
	if err != nil {
		return err
	}
	m.req("get", pods, name) // fetched again before forwarding
	m.connect(m.scope, name, "portforward")
	return nil
}

func (m *mapper) scale() error {
	in := m.read()
	targets := in.targetsNeeding("kubectl scale needs --replicas", "replicas")
	current, wait := in.str("current-replicas"), in.duration("timeout", 0)
	if in.err != nil {
		return in.err
	}
	precondition := current != "" && current != "-1" || m.c.has("resource-version")
	for _, t := range targets {
		if !t.t.scalable() {
			return unresolved("%s has no scale subresource", t.t)
		}
		m.fetch(t)
		if m.dryRun == "client" {
			continue // scales the fetched copy
		}
		name := t.objectName()
		if precondition {
			m.req("get", t.t, name).Subresource = "scale"
			m.req("update", t.t, name).Subresource = "scale"
		} else {
			m.req("patch", t.t, name).Subresource = "scale"
		}
		if wait != 0 && m.dryRun == "none" {
			m.req("get", t.t, name).Subresource = "scale" // polls the status
		}
	}
	return nil
}

// rolloutTargets resolves targets and checks kubectl supports their kind.
func (m *mapper) rolloutTargets(kinds ...string) ([]target, error) {
	targets, err := m.targets(m.c.args)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		ok := false
		for _, k := range kinds {
			ok = ok || t.t.is("apps", k)
		}
		if !ok {
			return nil, unresolved("kubectl %s does not support %s", m.c.command(), t.t)
		}
	}
	return targets, nil
}

func (m *mapper) rolloutRestart() error {
	return m.fetchAndPatch("deployments", "daemonsets", "statefulsets")
}

// rolloutPause maps pause and resume, which only Deployments support.
func (m *mapper) rolloutPause() error {
	return m.fetchAndPatch("deployments")
}

func (m *mapper) fetchAndPatch(kinds ...string) error {
	targets, err := m.rolloutTargets(kinds...)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, false, nil)
}

// fetchThenPatch adds what label, annotate, the set commands, rollout restart, pause and
// resume, cordon, uncordon and taint make of each target: a GET of the object, then a PATCH
// unless --list only prints it. check, when given, refuses a target the command cannot change.
func (m *mapper) fetchThenPatch(targets []target, list bool, check func(target) error) error {
	for _, t := range targets {
		if check != nil {
			if err := check(t); err != nil {
				return err
			}
		}
		m.fetch(t)
		if !list {
			m.req("patch", t.t, t.objectName())
		}
	}
	return nil
}

// rolloutStatus watches each object until its rollout completes, through
// an informer: LIST then WATCH, or a watch-list where kubectl and the API
// server use it (Versions.watchList).
func (m *mapper) rolloutStatus() error {
	targets, err := m.rolloutTargets("deployments", "daemonsets", "statefulsets")
	if err != nil {
		return err
	}
	for _, t := range targets {
		m.fetch(t)
		m.watchObject(t.t, t.objectName())
	}
	return nil
}

// watchObject adds the requests of kubectl's watchtools.UntilWithSync on
// one object (a metadata.name field selector): the watch, and the list that
// precedes it unless kubectl streams it over the watch. A refused watch-list
// falls back to LIST and WATCH (client-go tools/cache/reflector.go), so watch
// is needed either way.
func (m *mapper) watchObject(t *resourceType, name string) {
	m.req("watch", t, name)
	watchList, why := m.versions.watchList()
	list := m.req("list", t, name)
	list.Optional, list.Assumed = watchList, why
}

// rolloutHistory maps rollout history and undo: both read the revisions a
// Deployment keeps as ReplicaSets and other kinds as ControllerRevisions.
func (m *mapper) rolloutHistory() error {
	targets, err := m.rolloutTargets("deployments", "daemonsets", "statefulsets")
	if err != nil {
		return err
	}
	for _, t := range targets {
		m.fetch(t)
		name := t.objectName()
		m.req("get", t.t, name) // the rollbacker or history viewer fetches it again
		if t.t.is("apps", "deployments") {
			m.req("list", replicaSets, "")
		} else {
			m.req("list", controllerRevisions, "")
		}
		if m.c.path[1] == "undo" {
			m.req("patch", t.t, name)
		}
	}
	return nil
}

// delete deletes each object in turn (never a deletecollection), then
// waits for each to be gone: it gets the object and, if it still exists,
// watches it. kubectl ignores a Forbidden error while waiting, so those
// requests are optional; but granting get without watch can make it wait
// for a week on an object that takes time to go away.
func (m *mapper) delete() error {
	if interactive, err := m.c.bool("interactive", false); interactive || err != nil {
		return orUnresolved(err, "kubectl delete --interactive asks for confirmation")
	}
	in := m.read()
	targets, wait := in.targets(m.c.args), in.bool("wait", true)
	if in.err != nil {
		return in.err
	}
	for _, t := range targets {
		name := t.objectName()
		if !t.named() {
			m.req("list", t.t, m.selectedName())
		}
		m.req("delete", t.t, name)
	}
	if !wait || m.dryRun != "none" {
		return nil
	}
	for _, t := range targets {
		name := t.objectName()
		m.req("get", t.t, name).Optional = true
		m.req("watch", t.t, name).Optional = true
		m.req("list", t.t, name).Optional = true
	}
	return nil
}

func orUnresolved(err error, reason string) error {
	if err != nil {
		return err
	}
	return unresolved("%s", reason)
}

func (m *mapper) patch() error {
	in := m.read()
	targets := in.targetsNeeding("kubectl patch needs --patch or --patch-file", "patch", "patch-file")
	sub := in.str("subresource")
	if in.err != nil {
		return in.err
	}
	for _, t := range targets {
		if !t.named() {
			return unresolved("kubectl patch needs a name")
		}
		m.req("get", t.t, t.objectName()).Subresource = sub
		m.req("patch", t.t, t.objectName()).Subresource = sub
	}
	return nil
}

// splitPairs separates resources from KEY=VALUE and KEY- arguments
// (cmdutil.GetResourcesAndPairs); taint also takes KEY:EFFECT.
func splitPairs(args []Word, colon bool) (resources, pairs []Word, err error) {
	for _, a := range args {
		s := a.Value
		pair := strings.Contains(s, "=") && s[0] != '=' || strings.HasSuffix(s, "-") && s != "-" ||
			colon && strings.Contains(s, ":")
		switch {
		case pair:
			pairs = append(pairs, a)
		case len(pairs) > 0:
			return nil, nil, unresolved("kubectl wants resources before changes, got %s", s)
		default:
			resources = append(resources, a)
		}
	}
	return resources, pairs, nil
}

// label maps label and annotate: each object is fetched, then patched.
// kubectl skips the patch when nothing changes, e.g. when an object
// already has the label.
func (m *mapper) label() error {
	resources, pairs, err := splitPairs(m.c.args, false)
	if err != nil {
		return err
	}
	list, err := m.c.bool("list", false)
	if err != nil {
		return err
	}
	if len(pairs) == 0 && !list {
		return unresolved("kubectl %s needs at least one change", m.c.command())
	}
	targets, err := m.targets(resources)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, list, nil)
}

// setPodTemplate maps set image, env, resources and serviceaccount: each
// object is fetched, then patched unless nothing changes.
func (m *mapper) setPodTemplate() error {
	args := m.c.args
	switch m.c.path[1] {
	case "serviceaccount":
		if len(args) < 2 {
			return unresolved("kubectl set serviceaccount needs a resource and a name")
		}
		args = args[:len(args)-1]
	case "image", "env":
		var err error
		if args, _, err = splitPairs(args, false); err != nil {
			return err
		}
	}
	list, err := m.c.bool("list", false)
	if err != nil {
		return err
	}
	if from, ok := m.c.value("from"); ok {
		// set env --from=secret/NAME reads the keys of that object first.
		source, err := parseTargets([]Word{from})
		if err != nil {
			return err
		}
		for _, s := range source {
			m.fetch(s)
		}
	}
	if resolve, err := m.c.bool("resolve", false); resolve || err != nil {
		return orUnresolved(err, "set env --resolve reads the secrets and config maps the objects reference")
	}
	targets, err := m.targets(args)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, list, func(t target) error {
		if !t.t.hasPodTemplate() {
			return unresolved("%s has no pod template", t.t)
		}
		return nil
	})
}

func (m *mapper) setSubject() error {
	targets, err := m.targets(m.c.args)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, false, func(t target) error {
		if !t.t.is("rbac.authorization.k8s.io", "rolebindings") && !t.t.is("rbac.authorization.k8s.io", "clusterrolebindings") {
			return unresolved("%s has no subjects", t.t)
		}
		return nil
	})
}

// created maps the create subcommands to the resource they create.
var created = map[string]*resourceType{
	"create clusterrole":            resource("rbac.authorization.k8s.io", "clusterroles"),
	"create clusterrolebinding":     resource("rbac.authorization.k8s.io", "clusterrolebindings"),
	"create configmap":              resource("", "configmaps"),
	"create cronjob":                resource("batch", "cronjobs"),
	"create deployment":             resource("apps", "deployments"),
	"create ingress":                resource("networking.k8s.io", "ingresses"),
	"create job":                    resource("batch", "jobs"),
	"create namespace":              resource("", "namespaces"),
	"create poddisruptionbudget":    resource("policy", "poddisruptionbudgets"),
	"create priorityclass":          resource("scheduling.k8s.io", "priorityclasses"),
	"create quota":                  resource("", "resourcequotas"),
	"create role":                   resource("rbac.authorization.k8s.io", "roles"),
	"create rolebinding":            resource("rbac.authorization.k8s.io", "rolebindings"),
	"create secret docker-registry": resource("", "secrets"),
	"create secret generic":         resource("", "secrets"),
	"create secret tls":             resource("", "secrets"),
	"create service clusterip":      resource("", "services"),
	"create service externalname":   resource("", "services"),
	"create service loadbalancer":   resource("", "services"),
	"create service nodeport":       resource("", "services"),
	"create serviceaccount":         resource("", "serviceaccounts"),
}

// create maps the create subcommands. A create is authorized without a
// name: RBAC resourceNames cannot restrict it.
func (m *mapper) create() error {
	cmd := m.c.command()
	if m.c.has("filename") || m.c.has("kustomize") {
		return unresolved("objects are read from --filename or --kustomize")
	}
	if edit, err := m.c.bool("edit", false); edit || err != nil {
		return orUnresolved(err, "kubectl create --edit opens an editor")
	}
	if len(m.c.args) == 0 {
		return unresolved("kubectl %s needs a name", cmd)
	}
	switch cmd {
	case "create token":
		// A TokenRequest names its ServiceAccount in the URL.
		m.req("create", resource("", "serviceaccounts"), nameOf(m.c.args[0])).Subresource = "token"
		return nil
	case "create job":
		if from, ok := m.c.value("from"); ok {
			targets, err := parseTargets([]Word{from})
			if err != nil {
				return err
			}
			if len(targets) != 1 || !targets[0].named() || !targets[0].t.is("batch", "cronjobs") {
				return unresolved("create job --from needs cronjob/NAME")
			}
			m.fetch(targets[0])
		}
	}
	t, ok := created[cmd]
	if !ok {
		return unresolved("kubectl %s is not modelled", cmd)
	}
	create := *m.req("create", t, "")
	if cmd == "create rolebinding" || cmd == "create clusterrolebinding" {
		return m.bindRole(cmd, create)
	}
	return nil
}

// bindRole adds the request the API server's escalation check makes of a binding's creator
// (pkg/registry/rbac/escalation_check.go, BindingAuthorized): bind on the role it binds, in the
// binding's namespace, unless the creator already holds every permission of that role. kubectl
// keeps the last value of a repeated flag, and refuses --role together with --clusterrole.
func (m *mapper) bindRole(cmd string, create Request) error {
	role, hasRole := m.c.value("role")
	clusterRole, hasClusterRole := m.c.value("clusterrole")
	if cmd == "create clusterrolebinding" {
		hasRole = false
	}
	if hasRole == hasClusterRole {
		if hasRole {
			return unresolved("kubectl %s takes --role or --clusterrole, not both", cmd)
		}
		return unresolved("kubectl %s needs --clusterrole%s", cmd, map[bool]string{true: " or --role"}[cmd == "create rolebinding"])
	}
	resource, name := "clusterroles", clusterRole
	if hasRole {
		resource, name = "roles", role
	}
	if !name.Resolved || name.Value == "" {
		return nil // a role named at run time: rbac suggest says to add bind by hand
	}
	bind := create
	bind.Verb, bind.Resource, bind.Name, bind.Escalation = "bind", resource, name.Value, true
	m.reqs = append(m.reqs, bind)
	return nil
}

// runPod maps run without attaching: it creates a pod, and with --expose a
// service.
func (m *mapper) runPod() error {
	for _, f := range []string{"attach", "stdin", "tty", "rm"} {
		if on, err := m.c.bool(f, false); on || err != nil {
			return orUnresolved(err, "kubectl run --"+f+" waits for and attaches to the pod")
		}
	}
	expose, err := m.c.bool("expose", false)
	if err != nil {
		return err
	}
	m.req("create", pods, "")
	if expose {
		m.req("create", resource("", "services"), "")
	}
	return nil
}

func (m *mapper) expose() error {
	return m.fetchAndCreate(resource("", "services"))
}

func (m *mapper) autoscale() error {
	return m.fetchAndCreate(resource("autoscaling", "horizontalpodautoscalers"))
}

// fetchAndCreate fetches the named object and creates a t for it.
func (m *mapper) fetchAndCreate(t *resourceType) error {
	targets, err := m.targets(m.c.args)
	if err != nil {
		return err
	}
	for _, target := range targets {
		if !target.named() {
			return unresolved("kubectl %s needs TYPE NAME", m.c.command())
		}
		m.fetch(target)
		m.req("create", t, "")
	}
	return nil
}

// wait gets each object, then waits on it through an informer (see
// watchObject). With --timeout=0 it checks once with a get.
func (m *mapper) wait() error {
	conditions := m.c.flags["for"]
	if len(conditions) == 0 {
		return unresolved("kubectl wait needs --for")
	}
	in := m.read()
	timeout, targets := in.duration("timeout", 30*time.Second), in.targets(m.c.args)
	if in.err != nil {
		return in.err
	}
	for _, t := range targets {
		m.fetch(t)
		name := t.objectName()
		for _, cond := range conditions {
			if !cond.Resolved {
				return unresolved("--for=%s is not a literal", cond.Value)
			}
			switch c := strings.ToLower(cond.Value); {
			case c == "create":
			case c == "delete":
				m.req("get", t.t, name)
				if timeout != 0 {
					m.req("watch", t.t, name).Optional = true // if it still exists
					m.req("list", t.t, name).Optional = true
				}
			case strings.HasPrefix(c, "condition=") || strings.HasPrefix(c, "jsonpath="):
				if timeout == 0 {
					m.req("get", t.t, name)
				} else {
					m.watchObject(t.t, name)
				}
			default:
				return unresolved("unknown --for=%s", cond.Value)
			}
		}
	}
	return nil
}

// nodeTargets resolves node names, or a selector when none is given.
func (m *mapper) nodeTargets(args []Word) ([]target, error) {
	if len(args) == 0 {
		if !m.c.has("selector") && !m.c.has("all") {
			return nil, unresolved("kubectl %s needs a node", m.c.command())
		}
		return []target{{t: nodes}}, nil
	}
	if !strings.Contains(args[0].Value, "/") {
		args = append([]Word{literal("nodes")}, args...)
	}
	targets, err := m.targets(args)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t.t != nodes {
			return nil, unresolved("kubectl %s works on nodes, not %s", m.c.command(), t.t)
		}
	}
	return targets, nil
}

// cordon maps cordon and uncordon. kubectl skips the patch when the node
// is already as asked.
func (m *mapper) cordon() error {
	targets, err := m.nodeTargets(m.c.args)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, false, nil)
}

func (m *mapper) taint() error {
	resources, taints, err := splitPairs(m.c.args, true)
	if err != nil {
		return err
	}
	if len(taints) == 0 {
		return unresolved("kubectl taint needs at least one taint")
	}
	// kubectl taint reads its first argument as a resource type: it
	// rejects TYPE/NAME.
	if len(resources) > 0 && strings.Contains(resources[0].Value, "/") {
		return unresolved("kubectl taint wants TYPE NAME, not %s", resources[0].Value)
	}
	targets, err := m.targets(resources)
	if err != nil {
		return err
	}
	return m.fetchThenPatch(targets, false, func(t target) error {
		if t.t != nodes {
			return unresolved("kubectl taint works on nodes, not %s", t.t)
		}
		return nil
	})
}

// drain cordons the node, then evicts (or deletes) its pods and waits for
// them to go. What it does to pods depends on which pods run there, so
// those requests are optional.
func (m *mapper) drain() error {
	if err := m.cordon(); err != nil {
		return err
	}
	all := scope{all: true}
	m.reqIn(all, "list", pods, "")
	disable, err := m.c.bool("disable-eviction", false)
	if err != nil {
		return err
	}
	m.reqIn(all, "get", resource("apps", "daemonsets"), "").Optional = true // owners of its pods
	if disable {
		m.reqIn(all, "delete", pods, "").Optional = true
	} else {
		r := m.reqIn(all, "create", pods, "")
		r.Subresource, r.Optional = "eviction", true
	}
	m.reqIn(all, "get", pods, "").Optional = true // waits for the pods to go
	return nil
}

func (m *mapper) events() error {
	watch, err := m.c.bool("watch", false)
	if err != nil {
		return err
	}
	if watch {
		m.req("watch", events, "")
	} else {
		m.req("list", events, "")
	}
	return nil
}

func (m *mapper) topPod() error {
	metrics := resource("metrics.k8s.io", "pods")
	if len(m.c.args) > 0 {
		if m.scope.all {
			return unresolved("kubectl top pod cannot get a pod across all namespaces")
		}
		m.req("get", metrics, nameOf(m.c.args[0]))
		return nil
	}
	m.req("list", metrics, "")
	m.req("list", pods, "").Optional = true // explains an empty result
	return nil
}

func (m *mapper) topNode() error {
	metrics := resource("metrics.k8s.io", "nodes")
	if len(m.c.args) > 0 {
		name := nameOf(m.c.args[0])
		m.req("get", metrics, name)
		m.req("get", nodes, name)
		return nil
	}
	m.req("list", metrics, "")
	m.req("list", nodes, "")
	return nil
}

// canI creates a self subject access (or, with --list, rules) review. Note
// that the system:basic-user ClusterRole grants this to every
// authenticated user.
func (m *mapper) canI() error {
	list, err := m.c.bool("list", false)
	if err != nil {
		return err
	}
	review := "selfsubjectaccessreviews"
	if list {
		review = "selfsubjectrulesreviews"
	}
	m.req("create", resource("authorization.k8s.io", review), "")
	return nil
}

// whoami creates a self subject review, granted to every authenticated
// user by system:basic-user.
func (m *mapper) whoami() error {
	m.req("create", resource("authentication.k8s.io", "selfsubjectreviews"), "")
	return nil
}

// clusterInfo lists the cluster services, in kube-system unless told.
func (m *mapper) clusterInfo() error {
	if len(m.c.args) > 0 {
		return unresolved("kubectl cluster-info %s is not modelled", m.c.args[0].Value)
	}
	s := m.scope
	if _, ok := m.c.value("namespace"); !ok {
		s.namespace = literal("kube-system")
	}
	m.reqIn(s, "list", resource("", "services"), "")
	return nil
}

// fromFiles maps commands whose objects come from files.
func (m *mapper) fromFiles() error {
	return unresolved("objects are read from --filename or --kustomize")
}
