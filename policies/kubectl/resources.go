package kubectl

import "strings"

// resourceType is an API resource kubectl can be pointed at by name.
type resourceType struct {
	group, plural string
	namespaced    bool
	names         []string // singular first, then short names
}

// Built-in resources, as discovery lists them. Where two groups serve the
// same plural (events), the first one listed wins, as in kubectl.
var resourceTypes = []*resourceType{
	{"", "pods", true, []string{"pod", "po"}},
	{"", "services", true, []string{"service", "svc"}},
	{"", "configmaps", true, []string{"configmap", "cm"}},
	{"", "secrets", true, []string{"secret"}},
	{"", "namespaces", false, []string{"namespace", "ns"}},
	{"", "nodes", false, []string{"node", "no"}},
	{"", "serviceaccounts", true, []string{"serviceaccount", "sa"}},
	{"", "persistentvolumeclaims", true, []string{"persistentvolumeclaim", "pvc"}},
	{"", "persistentvolumes", false, []string{"persistentvolume", "pv"}},
	{"", "events", true, []string{"event", "ev"}},
	{"", "endpoints", true, []string{"endpoints", "ep"}},
	{"", "replicationcontrollers", true, []string{"replicationcontroller", "rc"}},
	{"", "resourcequotas", true, []string{"resourcequota", "quota"}},
	{"", "limitranges", true, []string{"limitrange", "limits"}},
	{"", "podtemplates", true, []string{"podtemplate"}},
	{"apps", "deployments", true, []string{"deployment", "deploy"}},
	{"apps", "statefulsets", true, []string{"statefulset", "sts"}},
	{"apps", "replicasets", true, []string{"replicaset", "rs"}},
	{"apps", "daemonsets", true, []string{"daemonset", "ds"}},
	{"apps", "controllerrevisions", true, []string{"controllerrevision"}},
	{"batch", "jobs", true, []string{"job"}},
	{"batch", "cronjobs", true, []string{"cronjob", "cj"}},
	{"autoscaling", "horizontalpodautoscalers", true, []string{"horizontalpodautoscaler", "hpa"}},
	{"networking.k8s.io", "ingresses", true, []string{"ingress", "ing"}},
	{"networking.k8s.io", "networkpolicies", true, []string{"networkpolicy", "netpol"}},
	{"networking.k8s.io", "ingressclasses", false, []string{"ingressclass"}},
	{"rbac.authorization.k8s.io", "roles", true, []string{"role"}},
	{"rbac.authorization.k8s.io", "rolebindings", true, []string{"rolebinding"}},
	{"rbac.authorization.k8s.io", "clusterroles", false, []string{"clusterrole"}},
	{"rbac.authorization.k8s.io", "clusterrolebindings", false, []string{"clusterrolebinding"}},
	{"policy", "poddisruptionbudgets", true, []string{"poddisruptionbudget", "pdb"}},
	{"discovery.k8s.io", "endpointslices", true, []string{"endpointslice"}},
	{"coordination.k8s.io", "leases", true, []string{"lease"}},
	{"storage.k8s.io", "storageclasses", false, []string{"storageclass", "sc"}},
	{"scheduling.k8s.io", "priorityclasses", false, []string{"priorityclass", "pc"}},
	{"apiextensions.k8s.io", "customresourcedefinitions", false, []string{"customresourcedefinition", "crd", "crds"}},
	{"certificates.k8s.io", "certificatesigningrequests", false, []string{"certificatesigningrequest", "csr"}},
	{"events.k8s.io", "events", true, []string{"event"}},
	{"metrics.k8s.io", "pods", true, []string{"pod"}},
	{"metrics.k8s.io", "nodes", false, []string{"node"}},
	{"authorization.k8s.io", "selfsubjectaccessreviews", false, nil},
	{"authorization.k8s.io", "selfsubjectrulesreviews", false, nil},
	{"authentication.k8s.io", "selfsubjectreviews", false, nil},
	{"resource.k8s.io", "resourceslices", false, []string{"resourceslice"}},
}

// lookupType finds a resource by the name kubectl accepts on its command
// line: plural, singular (the lowercased kind) or short name, optionally
// qualified as name.group or name.version.group.
func lookupType(arg string) (*resourceType, bool) {
	arg = strings.ToLower(arg)
	name, qualifier, qualified := strings.Cut(arg, ".")
	for _, t := range resourceTypes {
		if qualified && qualifier != t.group && !strings.HasSuffix(qualifier, "."+t.group) {
			continue
		}
		if !qualified && (t.group == "events.k8s.io" || t.group == "metrics.k8s.io") {
			continue // reachable only by their qualified names
		}
		if name == t.plural {
			return t, true
		}
		for _, n := range t.names {
			if name == n {
				return t, true
			}
		}
	}
	return nil, false
}

// resource returns the built-in resource type with the given group and plural.
func resource(group, plural string) *resourceType {
	for _, t := range resourceTypes {
		if t.group == group && t.plural == plural {
			return t
		}
	}
	panic("kubectl: unknown resource " + plural + "." + group)
}

var (
	pods                = resource("", "pods")
	namespaces          = resource("", "namespaces")
	events              = resource("", "events")
	nodes               = resource("", "nodes")
	replicaSets         = resource("apps", "replicasets")
	controllerRevisions = resource("apps", "controllerrevisions")
)

func (t *resourceType) is(group, plural string) bool {
	return t.group == group && t.plural == plural
}

// ownsPods reports whether kubectl can find pods through the resource's
// selector (polymorphichelpers.SelectorsForObject).
func (t *resourceType) ownsPods() bool {
	switch {
	case t.group == "apps":
		return t.plural != "controllerrevisions"
	case t.is("", "replicationcontrollers"), t.is("", "services"), t.is("batch", "jobs"):
		return true
	}
	return false
}

// scalable reports whether the resource has a scale subresource.
func (t *resourceType) scalable() bool {
	return t.is("apps", "deployments") || t.is("apps", "replicasets") ||
		t.is("apps", "statefulsets") || t.is("", "replicationcontrollers")
}

// hasPodTemplate reports whether kubectl set image/env/resources can
// update the resource (polymorphichelpers.UpdatePodSpecForObject).
func (t *resourceType) hasPodTemplate() bool {
	return t.ownsPods() && !t.is("", "services") || t.is("", "pods") || t.is("batch", "cronjobs")
}

// String returns the name kubectl prints, e.g. "deployments.apps".
func (t *resourceType) String() string {
	if t.group == "" {
		return t.plural
	}
	return t.plural + "." + t.group
}
