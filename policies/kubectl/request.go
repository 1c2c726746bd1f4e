package kubectl

import (
	"fmt"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is one API request as the RBAC authorizer sees it.
type Request struct {
	// Group is the API group, "" for the core group.
	Group string `json:"group"`
	// Resource is the plural resource name, e.g. "deployments".
	Resource string `json:"resource"`
	// Subresource is e.g. "scale", "log" or "exec".
	Subresource string `json:"subresource"`
	// Verb is the RBAC verb: get, list, watch, create, update, patch or delete.
	Verb string `json:"verb"`
	// Namespace is the namespace of a namespaced request; it is "" for
	// cluster-scoped resources and when AllNamespaces is set. A request on
	// a namespace object by name has that namespace: RBAC lets a Role in
	// a namespace grant access to the namespace itself.
	Namespace string `json:"namespace"`
	// AllNamespaces marks a namespaced resource requested across all
	// namespaces: it needs a ClusterRole.
	AllNamespaces bool `json:"allNamespaces"`
	// Name is the object's name when RBAC sees one, "" otherwise: for
	// collections, creates, and names not known before run time.
	Name string `json:"name"`
	// Optional marks a request kubectl makes only in some cluster states,
	// or whose denial it tolerates. A Role granting it is sufficient in
	// every state; one without it may still work.
	Optional bool `json:"optional"`
	// Escalation marks what the API server's escalation check asks of a
	// binding's creator: bind on the role it binds, which is not needed
	// when the creator already holds every permission that role grants.
	Escalation bool `json:"escalation,omitempty"`
	// Assumed says which kubectl and cluster versions the request (or its
	// being optional) depends on, and why, e.g. "kubectl 1.31 lists before
	// it watches"; "" when every version makes it alike.
	Assumed string `json:"assumed,omitempty"`
}

// ClusterScoped reports whether the request is for a cluster-scoped resource.
func (r Request) ClusterScoped() bool { return r.Namespace == "" && !r.AllNamespaces }

// ResourcePath is the resource as RBAC rules name it: "pods", or with the subresource "pods/exec".
func (r Request) ResourcePath() string {
	if r.Subresource == "" {
		return r.Resource
	}
	return r.Resource + "/" + r.Subresource
}

// PolicyRule is the narrowest RBAC rule that allows the request.
func (r Request) PolicyRule() rbacv1.PolicyRule {
	rule := rbacv1.PolicyRule{APIGroups: []string{r.Group}, Resources: []string{r.ResourcePath()}, Verbs: []string{r.Verb}}
	if r.Name != "" {
		rule.ResourceNames = []string{r.Name}
	}
	return rule
}

// Rule renders PolicyRule in YAML flow style, e.g.
//
//	{apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["web"]}
func (r Request) Rule() string {
	p := r.PolicyRule()
	rule := fmt.Sprintf("{apiGroups: [%s], resources: [%s], verbs: [%s]",
		strconv.Quote(p.APIGroups[0]), strconv.Quote(p.Resources[0]), strconv.Quote(p.Verbs[0]))
	if len(p.ResourceNames) > 0 {
		rule += fmt.Sprintf(", resourceNames: [%s]", strconv.Quote(p.ResourceNames[0]))
	}
	return rule + "}"
}

// String describes the request for messages, e.g.
// `patch deployments.apps/scale "web" in namespace "prod"`.
func (r Request) String() string {
	var b strings.Builder
	b.WriteString(r.Verb + " " + r.Resource)
	if r.Group != "" {
		b.WriteString("." + r.Group)
	}
	if r.Subresource != "" {
		b.WriteString("/" + r.Subresource) // deployments.apps/scale: the group goes with the resource
	}
	if r.Name != "" {
		b.WriteString(" " + strconv.Quote(r.Name))
	}
	switch {
	case r.AllNamespaces:
		b.WriteString(" in all namespaces")
	case r.Namespace != "":
		b.WriteString(" in namespace " + strconv.Quote(r.Namespace))
	default:
		b.WriteString(" (cluster-scoped)")
	}
	if r.Optional {
		b.WriteString(" (optional)")
	}
	return b.String()
}

// UnresolvedError tells why the requests of an invocation are not known.
type UnresolvedError struct {
	Reason string
}

func (e *UnresolvedError) Error() string { return "kubectl: " + e.Reason }

func unresolved(format string, args ...any) *UnresolvedError {
	return &UnresolvedError{Reason: fmt.Sprintf(format, args...)}
}
