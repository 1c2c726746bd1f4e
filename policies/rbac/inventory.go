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
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/jobguard/jobguard/internal/astjson"
	"github.com/jobguard/jobguard/policies/workload"
)

// ServiceAccount identifies a ServiceAccount; the workload model names who a pod runs as.
type ServiceAccount = workload.ServiceAccount

// Inventory holds RBAC objects and workload summaries. Add everything first, then query; queries
// are safe for concurrent use once adding is done.
//
// Add indexes what the queries look up (bindings by subject and by role, workloads by
// ServiceAccount name), so that a query costs what it finds, not the size of the input: lint
// asks one or more queries per workload, and a corpus can hold a hundred thousand bindings.
type Inventory struct {
	mu           sync.Mutex
	roles        map[string][]rbacv1.PolicyRule // namespace/name
	clusterRoles map[string]*clusterRole
	// serviceAccounts holds the ServiceAccounts of the input, with their
	// automountServiceAccountToken (nil when unset).
	serviceAccounts map[ServiceAccount]*bool
	workloads       []*workload.Workload
	// namespace is assumed for objects that name none.
	namespace  string
	aggregated map[string][]rbacv1.PolicyRule // built on first query
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
	byRole          map[roleKey][]*binding          // bindings by roleRef kind and name
	clusterBinding  map[string]*binding             // ClusterRoleBindings by name, the first of duplicates
	workloadsByName map[string][]*workload.Workload // by ServiceAccount name
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

// NewInventory returns an empty inventory in which objects that name no namespace are in
// namespace (workload.DefaultNamespace when empty).
func NewInventory(namespace string) *Inventory {
	return &Inventory{
		namespace:       cmpOr(namespace, workload.DefaultNamespace),
		roles:           map[string][]rbacv1.PolicyRule{},
		clusterRoles:    map[string]*clusterRole{},
		serviceAccounts: map[ServiceAccount]*bool{},
		boundAccounts:   map[ServiceAccount][]*binding{},
		boundNamespaces: map[string][]*binding{},
		accountSubjects: map[string]*namedAccount{},
		byRole:          map[roleKey][]*binding{},
		clusterBinding:  map[string]*binding{},
		workloadsByName: map[string][]*workload.Workload{},
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
			bindTo(inv.boundAccounts, ServiceAccount{Namespace: cmpOr(s.Namespace, b.namespace), Name: s.Name}, b)
		case rbacv1.GroupKind:
			if s.Name == "system:serviceaccounts" {
				inv.boundAll = appendOnce(inv.boundAll, b)
			} else if ns, ok := strings.CutPrefix(s.Name, "system:serviceaccounts:"); ok {
				bindTo(inv.boundNamespaces, ns, b)
			}
		case rbacv1.UserKind:
			if rest, ok := strings.CutPrefix(s.Name, "system:serviceaccount:"); ok {
				if ns, name, ok := strings.Cut(rest, ":"); ok {
					bindTo(inv.boundAccounts, ServiceAccount{Namespace: ns, Name: name}, b)
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

// Relevant reports whether an object matters to the inventory: RBAC objects and ServiceAccounts
// (Add), and Jobs and CronJobs (AddWorkload).
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

// Add records an RBAC object or a ServiceAccount, and returns an error when the object does not
// decode as its kind. Other objects are ignored: Jobs and CronJobs go through AddWorkload.
func (inv *Inventory) Add(obj ast.Object) error {
	data, err := astjson.Append(nil, obj)
	if err != nil {
		return err
	}
	apiVersion, kind, typed := typeMeta(obj)
	if !typed { // not strings: the decoder says what is wrong
		var meta metav1.TypeMeta
		if err := json.Unmarshal(data, &meta); err != nil {
			return err
		}
		apiVersion, kind = meta.APIVersion, meta.Kind
	}
	if !Relevant(apiVersion, kind) {
		return nil
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.aggregated = nil
	switch kind {
	case "Role":
		var r rbacv1.Role
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("reading Role: %w", err)
		}
		key := inv.namespaceOf(r.ObjectMeta) + "/" + r.Name
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
			return fmt.Errorf("reading ClusterRole: %w", err)
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
			return fmt.Errorf("reading RoleBinding: %w", err)
		}
		inv.addBinding(&binding{namespace: inv.namespaceOf(b.ObjectMeta), name: b.Name, roleRef: b.RoleRef, subjects: b.Subjects})
	case "ClusterRoleBinding":
		var b rbacv1.ClusterRoleBinding
		if err := json.Unmarshal(data, &b); err != nil {
			return fmt.Errorf("reading ClusterRoleBinding: %w", err)
		}
		inv.addBinding(&binding{cluster: true, name: b.Name, roleRef: b.RoleRef, subjects: b.Subjects})
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if err := json.Unmarshal(data, &sa); err != nil {
			return fmt.Errorf("reading ServiceAccount: %w", err)
		}
		inv.serviceAccounts[ServiceAccount{Namespace: inv.namespaceOf(sa.ObjectMeta), Name: sa.Name}] = sa.AutomountServiceAccountToken
	}
	return nil
}

// typeMeta reads apiVersion and kind; typed is false when either is there but not a string.
func typeMeta(obj ast.Object) (apiVersion, kind string, typed bool) {
	read := func(key string) (string, bool) {
		t := obj.Get(ast.InternedTerm(key))
		if t == nil {
			return "", true
		}
		s, ok := t.Value.(ast.String)
		return string(s), ok
	}
	apiVersion, okVersion := read("apiVersion")
	kind, okKind := read("kind")
	return apiVersion, kind, okVersion && okKind
}

// AddWorkload records the model of a Job or CronJob: whom it runs as and what it requests.
func (inv *Inventory) AddWorkload(w *workload.Workload) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.workloads = append(inv.workloads, w)
	sa := w.ServiceAccount.Name
	inv.workloadsByName[sa] = append(inv.workloadsByName[sa], w)
}

// AutomountToken reports the automountServiceAccountToken of a ServiceAccount of the input: known
// is false when the input does not define it, mount is false only when it turns mounting off.
func (inv *Inventory) AutomountToken(sa ServiceAccount) (mount, known bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	v, known := inv.serviceAccounts[sa]
	return v == nil || *v, known
}

func (inv *Inventory) namespaceOf(m metav1.ObjectMeta) string {
	return cmpOr(m.Namespace, inv.namespace)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Workloads returns the workloads added so far.
func (inv *Inventory) Workloads() []*workload.Workload {
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
