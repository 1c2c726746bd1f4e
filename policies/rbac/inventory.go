package rbac

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// DefaultNamespace is assumed for objects that name none, as kubectl does without a context namespace.
const DefaultNamespace = "default"

// ServiceAccount identifies a ServiceAccount.
type ServiceAccount struct {
	Namespace, Name string
}

func (sa ServiceAccount) String() string { return sa.Namespace + "/" + sa.Name }

// Workload is what the RBAC analysis keeps of a Job or CronJob: who it runs as and what its
// kubectl commands ask of the API server.
type Workload struct {
	Kind, Namespace, Name string
	ServiceAccount        ServiceAccount
	// ServiceAccountSet is false when the pod template names no ServiceAccount (it runs as "default").
	ServiceAccountSet bool
	Invocations       []Invocation
}

// Invocation is one kubectl command of a workload and the requests it makes.
type Invocation struct {
	Container string
	kubectl.Result
}

// Inventory holds RBAC objects and workload summaries. Add everything first, then query; queries
// are safe for concurrent use once adding is done.
//
// Add indexes what the queries look up (bindings by subject and by role, workloads by
// ServiceAccount name), so that a query costs what it finds, not the size of the input: lint
// asks one or more queries per workload, and a corpus can hold a hundred thousand bindings.
type Inventory struct {
	mu              sync.Mutex
	roles           map[string][]rbacv1.PolicyRule // namespace/name
	clusterRoles    map[string]*clusterRole
	serviceAccounts map[ServiceAccount]bool
	workloads       []*Workload
	aggregated      map[string][]rbacv1.PolicyRule // built on first query
	// ambiguous names the roles ("Role ns/name", "ClusterRole name") and ClusterRoleBindings
	// ("ClusterRoleBinding name") that the input defines more than once, differently. Lint
	// reads files concurrently, so "the last one wins" would change from run to run: a role's
	// definitions are merged instead (what any of them grants), and the unneeded-grant analysis,
	// which points into one definition's rules, says nothing about such an object.
	ambiguous map[string]bool

	bindings int // bindings added, for binding.seq
	// Bindings by subject: a ServiceAccount named as one (or as its User), every ServiceAccount
	// of a namespace (Group system:serviceaccounts:<ns>), every ServiceAccount.
	boundAccounts   map[ServiceAccount][]*binding
	boundNamespaces map[string][]*binding
	boundAll        []*binding
	// ServiceAccount subjects by name, whatever their namespace: Knows and nearMiss.
	accountSubjects map[string]*namedAccount
	byRole          map[roleKey][]*binding // bindings by roleRef kind and name
	clusterBinding  map[string]*binding    // ClusterRoleBindings by name, the first of duplicates
	workloadsByName map[string][]*Workload // by ServiceAccount name
}

// clusterRole is what the inventory keeps of a ClusterRole: its rules, and what aggregation needs.
type clusterRole struct {
	rules       []rbacv1.PolicyRule
	labels      labels.Set
	aggregation *rbacv1.AggregationRule
}

func (c *clusterRole) same(o *clusterRole) bool {
	return equality.Semantic.DeepEqual(c.rules, o.rules) && maps.Equal(c.labels, o.labels) &&
		equality.Semantic.DeepEqual(c.aggregation, o.aggregation)
}

// merge is what two definitions of one ClusterRole grant together: both sets of rules, every
// label (the smaller value where they disagree, so that the result does not depend on which came
// first) and both aggregation rules' selectors.
func (c *clusterRole) merge(o *clusterRole) *clusterRole {
	m := &clusterRole{rules: slices.Concat(c.rules, o.rules), labels: labels.Set{}}
	for _, l := range []labels.Set{c.labels, o.labels} {
		for k, v := range l {
			if old, ok := m.labels[k]; !ok || v < old {
				m.labels[k] = v
			}
		}
	}
	if c.aggregation != nil || o.aggregation != nil {
		m.aggregation = &rbacv1.AggregationRule{}
		for _, a := range []*rbacv1.AggregationRule{c.aggregation, o.aggregation} {
			if a != nil {
				m.aggregation.ClusterRoleSelectors = append(m.aggregation.ClusterRoleSelectors, a.ClusterRoleSelectors...)
			}
		}
	}
	return m
}

// binding is what the inventory keeps of a RoleBinding or ClusterRoleBinding.
type binding struct {
	cluster   bool
	seq       int    // order of addition
	namespace string // "" for a ClusterRoleBinding
	name      string
	roleRef   rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

// String is "ClusterRoleBinding name" or "RoleBinding namespace/name".
func (b *binding) String() string {
	if b.cluster {
		return "ClusterRoleBinding " + b.name
	}
	return "RoleBinding " + b.namespace + "/" + b.name
}

// compare orders bindings as queries report them: ClusterRoleBindings first, then by namespace
// and name. Not by the order of addition: lint reads files concurrently, and its reports must
// not depend on which came first.
func (b *binding) compare(o *binding) int {
	if b.cluster != o.cluster {
		if b.cluster {
			return -1
		}
		return 1
	}
	return cmp.Or(strings.Compare(b.namespace, o.namespace), strings.Compare(b.name, o.name))
}

// accountSubject is a ServiceAccount subject of a binding, as written (namespace may be empty).
type accountSubject struct {
	binding   *binding
	namespace string
}

// namedAccount keeps, of the subjects that name ServiceAccounts of one name, the first (in the
// order of accountSubject.before) and the first in a namespace other than the first's: whatever the
// namespace asked about, one of them is the first subject in another namespace (nearMiss).
type namedAccount struct {
	first, otherNamespace *accountSubject
}

func (n *namedAccount) add(s *accountSubject) {
	switch {
	case n.first == nil:
		n.first = s
	case s.before(n.first):
		if s.namespace != n.first.namespace {
			n.otherNamespace = n.first
		}
		n.first = s
	case s.namespace != n.first.namespace && (n.otherNamespace == nil || s.before(n.otherNamespace)):
		n.otherNamespace = s
	}
}

// before orders subjects by their binding (binding.compare), then by their namespace: two
// definitions of one binding (same kind, namespace and name) differ only there, and the order in
// which lint read them must not decide which one a note names.
func (s *accountSubject) before(o *accountSubject) bool {
	if c := cmp.Or(s.binding.compare(o.binding), strings.Compare(s.namespace, o.namespace)); c != 0 {
		return c < 0
	}
	return s.binding.seq < o.binding.seq
}

// firstOutside is the first subject whose namespace is not namespace, or nil.
func (n *namedAccount) firstOutside(namespace string) *accountSubject {
	if n.first != nil && n.first.namespace != namespace {
		return n.first
	}
	return n.otherNamespace
}

type roleKey struct{ kind, name string }

// NewInventory returns an empty inventory.
func NewInventory() *Inventory {
	return &Inventory{
		roles:           map[string][]rbacv1.PolicyRule{},
		clusterRoles:    map[string]*clusterRole{},
		serviceAccounts: map[ServiceAccount]bool{},
		boundAccounts:   map[ServiceAccount][]*binding{},
		boundNamespaces: map[string][]*binding{},
		accountSubjects: map[string]*namedAccount{},
		byRole:          map[roleKey][]*binding{},
		clusterBinding:  map[string]*binding{},
		workloadsByName: map[string][]*Workload{},
		ambiguous:       map[string]bool{},
	}
}

// addBinding records a binding and indexes it by subject and role. Call with mu held.
func (inv *Inventory) addBinding(b *binding) {
	b.seq = inv.bindings
	inv.bindings++
	for _, s := range b.subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			named := inv.accountSubjects[s.Name]
			if named == nil {
				named = &namedAccount{}
				inv.accountSubjects[s.Name] = named
			}
			named.add(&accountSubject{b, s.Namespace})
			// The API server requires the namespace; lint tolerates the omission in a RoleBinding.
			bindTo(inv.boundAccounts, ServiceAccount{cmpOr(s.Namespace, b.namespace), s.Name}, b)
		case rbacv1.GroupKind:
			if s.Name == "system:serviceaccounts" {
				inv.boundAll = appendOnce(inv.boundAll, b)
			} else if ns, ok := strings.CutPrefix(s.Name, "system:serviceaccounts:"); ok {
				bindTo(inv.boundNamespaces, ns, b)
			}
		case rbacv1.UserKind:
			if rest, ok := strings.CutPrefix(s.Name, "system:serviceaccount:"); ok {
				if ns, name, ok := strings.Cut(rest, ":"); ok {
					bindTo(inv.boundAccounts, ServiceAccount{ns, name}, b)
				}
			}
		}
	}
	key := roleKey{b.roleRef.Kind, b.roleRef.Name}
	inv.byRole[key] = append(inv.byRole[key], b)
	if b.cluster {
		if first, dup := inv.clusterBinding[b.name]; !dup {
			inv.clusterBinding[b.name] = b
		} else if first.roleRef != b.roleRef || !equality.Semantic.DeepEqual(first.subjects, b.subjects) {
			inv.ambiguous["ClusterRoleBinding "+b.name] = true
		}
	}
}

// bindTo appends b to index[key], once: a binding may name the same subject twice.
func bindTo[K comparable](index map[K][]*binding, key K, b *binding) {
	index[key] = appendOnce(index[key], b)
}

func appendOnce(list []*binding, b *binding) []*binding {
	if len(list) > 0 && list[len(list)-1] == b {
		return list
	}
	return append(list, b)
}

// Relevant reports whether an object matters to the inventory: RBAC objects, ServiceAccounts, and
// Jobs and CronJobs (whose summaries Add keeps).
func Relevant(apiVersion, kind string) bool {
	switch {
	case strings.HasPrefix(apiVersion, "rbac.authorization.k8s.io/"):
		return kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" || kind == "ClusterRoleBinding"
	case strings.HasPrefix(apiVersion, "batch/"):
		return kind == "Job" || kind == "CronJob"
	case apiVersion == "v1":
		return kind == "ServiceAccount"
	}
	return false
}

// Add records an object. It returns the workload summary for a Job or CronJob (nil otherwise),
// and an error when the object does not decode as its kind.
func (inv *Inventory) Add(obj ast.Object) (*Workload, error) {
	raw, err := ast.JSON(obj)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var meta metav1.TypeMeta
	if err := json.Unmarshal(data, &meta); err != nil || !Relevant(meta.APIVersion, meta.Kind) {
		return nil, err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.aggregated = nil
	switch meta.Kind {
	case "Role":
		var r rbacv1.Role
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("reading Role: %w", err)
		}
		key := namespaceOf(r.ObjectMeta) + "/" + r.Name
		if rules, dup := inv.roles[key]; dup {
			if !equality.Semantic.DeepEqual(rules, r.Rules) {
				inv.ambiguous["Role "+key] = true
				inv.roles[key] = slices.Concat(rules, r.Rules)
			}
			break
		}
		inv.roles[key] = r.Rules
	case "ClusterRole":
		var r rbacv1.ClusterRole
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("reading ClusterRole: %w", err)
		}
		add := &clusterRole{rules: r.Rules, labels: r.Labels, aggregation: r.AggregationRule}
		if first, dup := inv.clusterRoles[r.Name]; dup {
			if !first.same(add) {
				inv.ambiguous["ClusterRole "+r.Name] = true
				inv.clusterRoles[r.Name] = first.merge(add)
			}
			break
		}
		inv.clusterRoles[r.Name] = add
	case "RoleBinding":
		var b rbacv1.RoleBinding
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("reading RoleBinding: %w", err)
		}
		inv.addBinding(&binding{namespace: namespaceOf(b.ObjectMeta), name: b.Name, roleRef: b.RoleRef, subjects: b.Subjects})
	case "ClusterRoleBinding":
		var b rbacv1.ClusterRoleBinding
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("reading ClusterRoleBinding: %w", err)
		}
		inv.addBinding(&binding{cluster: true, name: b.Name, roleRef: b.RoleRef, subjects: b.Subjects})
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if err := json.Unmarshal(data, &sa); err != nil {
			return nil, fmt.Errorf("reading ServiceAccount: %w", err)
		}
		inv.serviceAccounts[ServiceAccount{namespaceOf(sa.ObjectMeta), sa.Name}] = true
	case "Job", "CronJob":
		w, err := Summarize(meta.Kind, data)
		if err != nil {
			return nil, err
		}
		inv.workloads = append(inv.workloads, w)
		sa := w.ServiceAccount.Name
		inv.workloadsByName[sa] = append(inv.workloadsByName[sa], w)
		return w, nil
	}
	return nil, nil
}

// Summarize reads a Job or CronJob (JSON) into a Workload.
func Summarize(kind string, data []byte) (*Workload, error) {
	var meta metav1.ObjectMeta
	var pod corev1.PodSpec
	switch kind {
	case "Job":
		var j batchv1.Job
		if err := json.Unmarshal(data, &j); err != nil {
			return nil, fmt.Errorf("reading Job: %w", err)
		}
		meta, pod = j.ObjectMeta, j.Spec.Template.Spec
	case "CronJob":
		var c batchv1.CronJob
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("reading CronJob: %w", err)
		}
		meta, pod = c.ObjectMeta, c.Spec.JobTemplate.Spec.Template.Spec
	default:
		return nil, fmt.Errorf("%s is not a Job or CronJob", kind)
	}
	ns := namespaceOf(meta)
	w := &Workload{Kind: kind, Namespace: ns, Name: meta.Name, ServiceAccount: ServiceAccount{ns, "default"}}
	if name := cmpOr(pod.ServiceAccountName, pod.DeprecatedServiceAccount); name != "" {
		w.ServiceAccount.Name, w.ServiceAccountSet = name, true
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, r := range kubectl.Analyze(c.Command, c.Args, ns) {
			w.Invocations = append(w.Invocations, Invocation{Container: c.Name, Result: r})
		}
	}
	return w, nil
}

// UsesAPI reports whether the workload runs kubectl at all.
func (w *Workload) UsesAPI() bool { return len(w.Invocations) > 0 }

func namespaceOf(m metav1.ObjectMeta) string { return cmpOr(m.Namespace, DefaultNamespace) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Workloads returns the summaries added so far.
func (inv *Inventory) Workloads() []*Workload {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return slices.Clone(inv.workloads)
}

// clusterRoleRules returns a ClusterRole's rules, aggregation included.
func (inv *Inventory) clusterRoleRules(name string) ([]rbacv1.PolicyRule, bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.aggregated == nil {
		inv.aggregated = map[string][]rbacv1.PolicyRule{}
		for n, cr := range inv.clusterRoles {
			rules := slices.Clone(cr.rules)
			if cr.aggregation != nil {
				for _, sel := range cr.aggregation.ClusterRoleSelectors {
					selector, err := metav1.LabelSelectorAsSelector(&sel)
					if err != nil {
						continue
					}
					for other, o := range inv.clusterRoles {
						if other != n && selector.Matches(o.labels) {
							rules = append(rules, o.rules...)
						}
					}
				}
			}
			inv.aggregated[n] = rules
		}
	}
	rules, ok := inv.aggregated[name]
	return rules, ok
}

// roleRefRules returns the rules a binding's roleRef grants, and whether the role is in the inventory.
func (inv *Inventory) roleRefRules(namespace string, ref rbacv1.RoleRef) ([]rbacv1.PolicyRule, bool) {
	if ref.Kind == "ClusterRole" {
		return inv.clusterRoleRules(ref.Name)
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	rules, ok := inv.roles[namespace+"/"+ref.Name]
	return rules, ok
}

// MentionsKubectl is a cheap test run before Add on Jobs and CronJobs: only workloads whose
// containers mention kubectl need a summary.
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
