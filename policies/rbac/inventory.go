package rbac

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
type Inventory struct {
	mu                  sync.Mutex
	roles               map[string]*rbacv1.Role // namespace/name
	clusterRoles        map[string]*rbacv1.ClusterRole
	roleBindings        []*rbacv1.RoleBinding
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
	serviceAccounts     map[ServiceAccount]bool
	workloads           []*Workload
	aggregated          map[string][]rbacv1.PolicyRule // built on first query
}

// NewInventory returns an empty inventory.
func NewInventory() *Inventory {
	return &Inventory{
		roles:           map[string]*rbacv1.Role{},
		clusterRoles:    map[string]*rbacv1.ClusterRole{},
		serviceAccounts: map[ServiceAccount]bool{},
	}
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
		inv.roles[namespaceOf(r.ObjectMeta)+"/"+r.Name] = &r
	case "ClusterRole":
		var r rbacv1.ClusterRole
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("reading ClusterRole: %w", err)
		}
		inv.clusterRoles[r.Name] = &r
	case "RoleBinding":
		var b rbacv1.RoleBinding
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("reading RoleBinding: %w", err)
		}
		b.Namespace = namespaceOf(b.ObjectMeta)
		inv.roleBindings = append(inv.roleBindings, &b)
	case "ClusterRoleBinding":
		var b rbacv1.ClusterRoleBinding
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("reading ClusterRoleBinding: %w", err)
		}
		inv.clusterRoleBindings = append(inv.clusterRoleBindings, &b)
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
			rules := slices.Clone(cr.Rules)
			if cr.AggregationRule != nil {
				for _, sel := range cr.AggregationRule.ClusterRoleSelectors {
					selector, err := metav1.LabelSelectorAsSelector(&sel)
					if err != nil {
						continue
					}
					for _, other := range inv.clusterRoles {
						if other.Name != n && selector.Matches(labels.Set(other.Labels)) {
							rules = append(rules, other.Rules...)
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
	r, ok := inv.roles[namespace+"/"+ref.Name]
	if !ok {
		return nil, false
	}
	return r.Rules, true
}

func subjectIs(s rbacv1.Subject, bindingNamespace string, sa ServiceAccount) bool {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace // the API server requires it; lint tolerates the omission here
		}
		return s.Name == sa.Name && ns == sa.Namespace
	}
	if s.Kind == rbacv1.GroupKind {
		return s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:"+sa.Namespace
	}
	return s.Kind == rbacv1.UserKind && s.Name == "system:serviceaccount:"+sa.Namespace+":"+sa.Name
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
