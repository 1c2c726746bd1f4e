// Package workload is jobguard's one model of a Job or CronJob: who its pods run as, whether they
// mount a ServiceAccount token, its containers with their field paths, and the kubectl commands
// they run with the API requests each makes. It is built once per object, straight from the
// decoded object; the Rego rules (as input.workload), the RBAC inventory, `jobguard rbac suggest`
// and the webhook all read it, so each kubectl script is analysed once.
package workload

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/internal/memo"
	"github.com/jobguard/jobguard/policies/kubectl"
)

// DefaultNamespace is assumed for objects that name none, as kubectl does without a context
// namespace.
const DefaultNamespace = "default"

// ServiceAccount identifies a ServiceAccount.
type ServiceAccount struct {
	Namespace, Name string
}

func (sa ServiceAccount) String() string { return sa.Namespace + "/" + sa.Name }

// Workload is a Job or CronJob as jobguard's rules see it. Paths are field paths into the object
// (keys and list indexes), for findings.
type Workload struct {
	Kind, Namespace, Name string
	// NamespaceAssumed is true when the object names no namespace: Namespace is the one assumed.
	NamespaceAssumed bool
	// ServiceAccount is who the pods run as: serviceAccountName, else the deprecated
	// serviceAccount (the API server copies it into serviceAccountName), else "default".
	ServiceAccount ServiceAccount
	// ServiceAccountSet is false when the pod template names no ServiceAccount.
	ServiceAccountSet bool
	// ServiceAccountPath is the field that names the ServiceAccount, or the pod spec's path.
	ServiceAccountPath []any
	// AutomountToken is the pod template's automountServiceAccountToken, nil when unset.
	AutomountToken     *bool
	AutomountTokenPath []any
	// PodSpecPath is the path of the pod template's spec.
	PodSpecPath []any
	// Containers are the init containers, then the containers, as written.
	Containers []Container
	// Invocations are the kubectl commands of every container, in container order.
	Invocations []Invocation
}

// Container is one container of the pod template.
type Container struct {
	Name, Image string
	Init        bool
	Path        []any
}

// Invocation is one kubectl command of a container and the requests it makes.
type Invocation struct {
	// Container indexes Workload.Containers.
	Container int
	// Path is the command or args element that holds the command (or its script).
	Path []any
	// Analysis names what the Result was computed from (a digest of the container's command and
	// args, the namespace, the versions) and its place among that analysis' results: invocations
	// with equal Analysis have equal Results, so what is derived from one can be kept for the
	// others.
	Analysis string
	kubectl.Result
}

// Options are what Of assumes where the object says nothing.
type Options struct {
	// Namespace is assumed for objects without metadata.namespace. Default: DefaultNamespace.
	Namespace string
	// Cluster is the Kubernetes version of the cluster the Job runs in, when known (--kube-version,
	// .jobguard.yaml, the webhook's API server). kubectl's requests depend on it and on the
	// kubectl version, read from each container's image (kubectl.ImageVersion).
	Cluster kubectl.Version
}

// Of builds the model of a Job or CronJob (any apiVersion of group batch), or returns false for
// other objects. Fields of the wrong type are read as absent: the rules that check types report
// them.
func Of(obj ast.Object, opts Options) (*Workload, bool) {
	kind := str(obj, "kind")
	var podSpecPath []any
	switch kind {
	case "Job":
		podSpecPath = []any{"spec", "template", "spec"}
	case "CronJob":
		podSpecPath = []any{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil, false
	}
	if group, _, _ := strings.Cut(str(obj, "apiVersion"), "/"); group != "batch" {
		return nil, false
	}
	w := &Workload{
		Kind:        kind,
		Namespace:   str(obj, "metadata", "namespace"),
		Name:        cmp.Or(str(obj, "metadata", "name"), str(obj, "metadata", "generateName")),
		PodSpecPath: podSpecPath,
	}
	if w.Namespace == "" {
		w.Namespace, w.NamespaceAssumed = cmp.Or(opts.Namespace, DefaultNamespace), true
	}
	pod, _ := at(obj, podSpecPath...).(ast.Object)

	w.ServiceAccount = ServiceAccount{Namespace: w.Namespace, Name: "default"}
	w.ServiceAccountPath = podSpecPath
	for _, field := range []string{"serviceAccountName", "serviceAccount"} {
		if name := str(pod, field); name != "" {
			w.ServiceAccount.Name, w.ServiceAccountSet = name, true
			w.ServiceAccountPath = append(clone(podSpecPath), field)
			break
		}
	}
	if b, ok := at(pod, "automountServiceAccountToken").(ast.Boolean); ok {
		mount := bool(b)
		w.AutomountToken = &mount
		w.AutomountTokenPath = append(clone(podSpecPath), "automountServiceAccountToken")
	}

	for _, field := range []string{"initContainers", "containers"} {
		list, _ := at(pod, field).(*ast.Array)
		if list == nil {
			continue
		}
		for i := range list.Len() {
			c, _ := list.Elem(i).Value.(ast.Object)
			path := append(clone(podSpecPath), field, i)
			w.Containers = append(w.Containers, Container{
				Name: str(c, "name"), Image: str(c, "image"), Init: field == "initContainers", Path: path,
			})
			command, args := strs(at(c, "command")), strs(at(c, "args"))
			if !mentionsKubectl(command) && !mentionsKubectl(args) {
				continue
			}
			image := str(c, "image")
			versions := kubectl.Versions{Kubectl: kubectl.ImageVersion(image), Image: image, Cluster: opts.Cluster}
			id := analysisID(command, args, w.Namespace, versions)
			for i, r := range analyses.Get(id, func() []kubectl.Result {
				return kubectl.AnalyzeFor(command, args, w.Namespace, versions)
			}) {
				w.Invocations = append(w.Invocations, Invocation{
					Container: len(w.Containers) - 1,
					Path:      append(clone(path), r.Invocation.Position.Field, r.Invocation.Position.Index),
					Analysis:  id + "#" + strconv.Itoa(i),
					Result:    r,
				})
			}
		}
	}
	return w, true
}

// UsesAPI reports whether the workload runs kubectl at all.
func (w *Workload) UsesAPI() bool { return len(w.Invocations) > 0 }

// Understood reports whether the requests of every kubectl command are known.
func (w *Workload) Understood() bool {
	for _, inv := range w.Invocations {
		if inv.Unresolved != "" {
			return false
		}
	}
	return true
}

// MentionsKubectl is a cheap test of a whole object: only Jobs whose containers mention kubectl
// need more than the per-object rules.
func MentionsKubectl(obj ast.Object) bool {
	found := false
	ast.WalkTerms(obj, func(t *ast.Term) bool {
		if s, ok := t.Value.(ast.String); ok && strings.Contains(string(s), "kubectl") {
			found = true
		}
		return found
	})
	return found
}

func mentionsKubectl(words []string) bool {
	for _, w := range words {
		if strings.Contains(w, "kubectl") {
			return true
		}
	}
	return false
}

// at is the value at a path of keys, or nil.
func at(v ast.Value, path ...any) ast.Value {
	for _, k := range path {
		o, ok := v.(ast.Object)
		if !ok {
			return nil
		}
		t := o.Get(ast.StringTerm(k.(string)))
		if t == nil {
			return nil
		}
		v = t.Value
	}
	return v
}

func str(v ast.Value, path ...any) string {
	s, _ := at(v, path...).(ast.String)
	return string(s)
}

// strs reads a command or args list; an element that is not a string is kept as its text (the
// API server rejects it, and invalid-field says so), so that indexes still match the object.
func strs(v ast.Value) []string {
	list, _ := v.(*ast.Array)
	if list == nil {
		return nil
	}
	out := make([]string, list.Len())
	for i := range list.Len() {
		if s, ok := list.Elem(i).Value.(ast.String); ok {
			out[i] = string(s)
		} else {
			out[i] = list.Elem(i).Value.String()
		}
	}
	return out
}

func clone(p []any) []any { return append(make([]any, 0, len(p)+3), p...) }

// analyses keeps the kubectl analyses of recent scripts: the same script runs in many Jobs (a
// chart's hooks, a fleet of generated CronJobs), and an analysis parses shell.
var analyses = memo.New[[]kubectl.Result](4096)

// analysisID is the digest of analysisKey: the memos and every invocation hold it, not the
// script, which a script of thousands of commands would otherwise copy thousands of times.
func analysisID(command, args []string, namespace string, versions kubectl.Versions) string {
	digest := sha256.Sum256([]byte(analysisKey(command, args, namespace, versions)))
	return hex.EncodeToString(digest[:])
}

// analysisKey names an analysis by everything it reads. Each string is written with its length
// first, so that no two inputs give one key.
func analysisKey(command, args []string, namespace string, versions kubectl.Versions) string {
	var b strings.Builder
	word := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	for _, list := range [][]string{command, args} {
		b.WriteString(strconv.Itoa(len(list)))
		b.WriteByte('[')
		for _, s := range list {
			word(s)
		}
	}
	word(namespace)
	word(versions.Image)
	for _, n := range []int{versions.Kubectl.Major, versions.Kubectl.Minor, versions.Cluster.Major, versions.Cluster.Minor} {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
