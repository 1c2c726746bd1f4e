# METADATA
# title: RBAC verbs that grant nothing
# description: |
#   The authorizer compares a rule's verbs with the verb of each request: get, list, watch, create,
#   update, patch, delete or deletecollection, plus a few special verbs checked on specific
#   resources (bind, escalate, impersonate, approve, sign, attest; use only on OpenShift's
#   securitycontextconstraints since podsecuritypolicies were removed in 1.25). A verb that no
#   request on the rule's resources ever carries grants nothing, and whoever wrote it usually meant
#   something else: "exec" on pods (exec is create on pods/exec), "scale" on deployments (update or
#   patch on deployments/scale), "logs" (get on pods/log), "proxy" (the root /proxy paths that
#   carried it are no longer served), bind on rolebindings. list or watch on a subresource grants
#   nothing either (a request on a subresource names one object, so it is get), but harms nothing
#   and is what kubebuilder rbac markers often generate: those findings are info. Non-resource URLs
#   take lowercase HTTP methods (get, post...). Verbs other than the standard ones are judged only
#   in the API groups of Kubernetes itself: an aggregated API server or a webhook authorizer may
#   check verbs of its own on other groups. Never reported: "*", the constrained impersonation verbs
#   (impersonate:<mode>, impersonate-on:<mode>:<verb>) and unsafe-delete-ignore-read-errors.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go
#     description: "`NewRequestInfo`: a resource request's verb comes from its HTTP method; a path with a subresource always sets the name, so only a request without a name becomes list or watch; a non-resource request's verb is the lowercase method (`strings.ToLower`); `specialVerbs` still parses the old /proxy/ prefix."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/evaluation_helpers.go
#     description: "`VerbMatches`: a rule's verb matches only the request's verb, or *."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/core/pod/rest/subresources.go
#     description: "`ExecREST`, `AttachREST` and `PortForwardREST` are connect handlers (create, or get for a WebSocket upgrade)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/kubectl/pkg/cmd/exec/exec.go
#     description: "`ExecOptions.Run` reads the pod (`PodClient` Get) before opening pods/exec."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/escalation_check.go
#     description: "`RoleEscalationAuthorized` checks escalate and `BindingAuthorized` checks bind, on roles and clusterroles."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/certauthorization/certauthorization.go
#     description: "`IsAuthorizedForSignerName` checks approve, sign and attest on signers (certificates.k8s.io)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/policy/rest/storage_policy.go
#     description: "`RESTStorageProvider.v1Storage` serves poddisruptionbudgets only: no podsecuritypolicies, where use was checked."
# custom:
#   id: rbac-unknown-verb
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: Grant the verb and resource the request really uses, as the message says.
package jobguard.rules.rbac.rbac_unknown_verb

import data.jobguard.lib.rbac
import data.jobguard.lib.result

standard := {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

# Requests on a subresource always name an object, so they are never list, watch or deletecollection.
collection_verbs := {"list", "watch", "deletecollection"}

# special[verb][group] holds the resources the API server checks verb on.
special := {
	"use": {"security.openshift.io": {"securitycontextconstraints"}},
	"bind": {"rbac.authorization.k8s.io": {"roles", "clusterroles"}},
	"escalate": {"rbac.authorization.k8s.io": {"roles", "clusterroles"}},
	"impersonate": {"": {"users", "groups", "serviceaccounts"}, "authentication.k8s.io": {"uids", "userextras"}},
	"approve": {"certificates.k8s.io": {"signers"}},
	"sign": {"certificates.k8s.io": {"signers"}},
	"attest": {"certificates.k8s.io": {"signers"}},
}

# only[resource]: built-in resources whose handlers take only some of the standard verbs, with
# their API group.
only := {
	"pods/exec": {"group": "", "verbs": {"create", "get"}},
	"pods/attach": {"group": "", "verbs": {"create", "get"}},
	"pods/portforward": {"group": "", "verbs": {"create", "get"}},
	"pods/log": {"group": "", "verbs": {"get"}},
	"pods/eviction": {"group": "", "verbs": {"create"}},
	"pods/binding": {"group": "", "verbs": {"create"}},
	"bindings": {"group": "", "verbs": {"create"}},
	"serviceaccounts/token": {"group": "", "verbs": {"create"}},
	"tokenreviews": {"group": "authentication.k8s.io", "verbs": {"create"}},
	"selfsubjectreviews": {"group": "authentication.k8s.io", "verbs": {"create"}},
	"subjectaccessreviews": {"group": "authorization.k8s.io", "verbs": {"create"}},
	"localsubjectaccessreviews": {"group": "authorization.k8s.io", "verbs": {"create"}},
	"selfsubjectaccessreviews": {"group": "authorization.k8s.io", "verbs": {"create"}},
	"selfsubjectrulesreviews": {"group": "authorization.k8s.io", "verbs": {"create"}},
}

# The groups of Kubernetes itself (and metrics-server), whose verbs are all known.
builtin_groups := {
	"", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "apps",
	"authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io",
	"coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "extensions", "flowcontrol.apiserver.k8s.io",
	"internal.apiserver.k8s.io", "metrics.k8s.io", "networking.k8s.io", "node.k8s.io", "policy",
	"rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io",
	"storagemigration.k8s.io",
}

# With apiGroups "*", these resource names are taken to mean the built-in resources.
builtin_resources := {
	"pods", "services", "secrets", "configmaps", "nodes", "namespaces", "serviceaccounts", "endpoints",
	"events", "persistentvolumes", "persistentvolumeclaims", "replicationcontrollers", "deployments",
	"statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "roles", "clusterroles", "rolebindings",
	"clusterrolebindings", "ingresses", "networkpolicies", "certificatesigningrequests", "users", "groups",
}

# restricted(groups, resource): resource is one of only's, in one of the rule's groups.
restricted(groups, resource) if groups[only[resource].group]

restricted(groups, resource) if {
	only[resource]
	groups["*"]
}

# lenient(groups, resource): some group of the rule is not Kubernetes' own (a CRD's, an aggregated
# API server's or a webhook authorizer's), so any verb may be checked on resource there.
lenient(groups, _) if {
	some group in groups
	not builtin_groups[group]
	group != "*"
}

lenient(groups, resource) if {
	groups["*"]
	not builtin_resources[split(resource, "/")[0]]
}

sub_collection(verb, resource) if {
	collection_verbs[verb]
	contains(resource, "/")
}

# granted(verb, groups, resources): some request on the rule's groups and resources is authorized
# with verb (the API server's own checks, plus whatever lenient groups may check).
granted(verb, groups, resources) if {
	standard[verb]
	some resource in resources
	not sub_collection(verb, resource)
	not restricted(groups, resource)
}

granted(verb, groups, resources) if {
	standard[verb]
	some resource in resources
	restricted(groups, resource)
	only[resource].verbs[verb]
}

granted(verb, groups, resources) if {
	some group, targets in special[verb]
	some g in [group, "*"]
	groups[g]
	some resource in resources
	special_target(targets, resource)
}

granted(verb, groups, resources) if {
	not standard[verb]
	some resource in resources
	lenient(groups, resource)
}

# PodSecurityPolicy admission checked use on podsecuritypolicies until Kubernetes 1.25 removed it.
granted("use", groups, resources) if {
	data.jobguard.target.kubeVersion.minor < 25
	some g in ["policy", "extensions", "*"]
	groups[g]
	some resource in resources
	special_target({"podsecuritypolicies"}, resource)
}

# Checked by the NodeRestriction admission plugin; the resource is the token audience.
granted("request-serviceaccounts-token-audience", groups, _) if groups[""]

granted("request-serviceaccounts-token-audience", groups, _) if groups["*"]

special_target(_, "*") := true

special_target(targets, resource) if targets[resource]

special_target(targets, resource) if {
	targets.userextras
	startswith(resource, "userextras/")
}

# has_plain(resources): some resource is neither a subresource nor one of only's, so every standard
# verb is checked on it. Most rules have one: the fast path, taken before anything is built.
has_plain(resources) if {
	some resource in resources
	is_string(resource)
	not contains(resource, "/")
	not only[resource]
}

# Standard verbs can be wasted only on subresources and on only's resources. Most verbs are taken
# by some resource whatever the groups (taken_somewhere): only the rest pay for the full check.
deny contains wasted(verb, resources, ["rules", i, "verbs", k]) if {
	some i, rule in rbac.rules
	not has_plain(rule.resources)
	some k, verb in rule.verbs
	standard[verb]
	not taken_somewhere(verb, rule.resources)
	resources := [r | some r in rule.resources; is_string(r)]
	count(resources) > 0
	groups := {g | some g in rule.apiGroups; is_string(g)}
	count(groups) > 0
	not granted(verb, groups, resources)
}

# taken_somewhere(verb, resources): some resource takes the standard verb whatever the groups: any
# but only's takes every verb other than list, watch and deletecollection, and only's take their
# own verbs. A shortcut: granted holds then too (a test checks it).
taken_somewhere(verb, resources) if {
	not collection_verbs[verb]
	some resource in resources
	is_string(resource)
	not only[resource]
}

taken_somewhere(verb, resources) if {
	some resource in resources
	only[resource].verbs[verb]
}

# Other verbs are rare: only they pay for the full check. Never reported: "*", the constrained
# impersonation verbs (KEP-5284: impersonate:<mode>, impersonate-on:<mode>:<verb>), and
# unsafe-delete-ignore-read-errors, checked on any object whose stored data cannot be read (KEP-3926).
deny contains result.fail(message(verb, resources), ["rules", i, "verbs", k]) if {
	some i, rule in rbac.rules
	some k, verb in rule.verbs
	not standard[verb]
	is_string(verb)
	not verb in {"*", "unsafe-delete-ignore-read-errors"}
	not startswith(verb, "impersonate:")
	not startswith(verb, "impersonate-on:")
	resources := [r | some r in rule.resources; is_string(r)]
	count(resources) > 0
	groups := {g | some g in rule.apiGroups; is_string(g)}
	count(groups) > 0
	not granted(verb, groups, resources)
}

# wasted is the finding of a verb that grants nothing: info for list or watch on subresources
# only (kubebuilder's rbac markers write them; they grant nothing and open nothing), a warning for
# anything else, which usually means the author expected it to grant something.
wasted(verb, resources, path) := result.fail_with_severity(message(verb, resources), path, "info") if {
	verb in {"list", "watch"}
	every r in resources {
		contains(r, "/")
	}
} else := result.fail(message(verb, resources), path)

message(verb, resources) := sprintf("verb %q on %s grants nothing (never checked there); %s", [verb, concat(", ", resources), hint(verb, resources)])

http_verbs := {"get", "post", "put", "patch", "delete", "head", "options"}

http_for := {"list": "get", "watch": "get", "create": "post", "update": "put"}

deny contains result.fail(msg, ["rules", i, "verbs", k]) if {
	some i, rule in rbac.rules
	urls := rule.nonResourceURLs
	count(urls) > 0
	count(rbac.list(rule, "resources")) == 0
	some k, verb in rule.verbs
	is_string(verb)
	verb != "*"
	not verb in http_verbs
	msg := sprintf(
		"verb %q on non-resource URLs (%s) grants nothing: they are authorized with their lowercase HTTP method (get, post, put, patch, delete, head, options)%s",
		[verb, concat(", ", [u | some u in urls; is_string(u)]), http_hint(verb)],
	)
}

http_hint(verb) := sprintf("; use %q", [http_for[verb]]) if http_for[verb]

else := sprintf("; use %q", [lower(verb)]) if lower(verb) in http_verbs

else := ""

fixed_hints := {
	"exec": "exec is create on pods/exec: grant create on pods/exec, and get on pods, which kubectl exec reads first",
	"attach": "attaching is create on pods/attach: grant create on pods/attach, and get on pods, which kubectl attach reads first",
	"port-forward": port_forward,
	"portforward": port_forward,
	"port_forward": port_forward,
	"portForward": port_forward,
	"log": logs,
	"logs": logs,
	"evict": evict,
	"eviction": evict,
	"proxy": "the root /proxy paths that checked it were removed in Kubernetes 1.10: grant get (and create, update, patch, delete as needed) on services/proxy, pods/proxy or nodes/proxy",
	"approve": "approving a CertificateSigningRequest takes update on certificatesigningrequests/approval and approve on signers (apiGroups certificates.k8s.io, resourceNames the signer name, e.g. example.com/my-signer)",
	"sign": "signing a CertificateSigningRequest takes update on certificatesigningrequests/status and sign on signers (apiGroups certificates.k8s.io, resourceNames the signer name)",
	"attest": "attest is checked on signers (apiGroups certificates.k8s.io) when a ClusterTrustBundle names a signer",
	"use": "use is checked only on securitycontextconstraints (apiGroups security.openshift.io, OpenShift); podsecuritypolicies, where Kubernetes checked it, were removed in 1.25",
	"bind": "bind is checked only on roles and clusterroles (apiGroups rbac.authorization.k8s.io), when a binding refers to them",
	"escalate": "escalate is checked only on roles and clusterroles (apiGroups rbac.authorization.k8s.io), when one is written",
	"impersonate": "impersonate is checked only on users, groups and serviceaccounts (apiGroups \"\") and on uids and userextras/<key> (apiGroups authentication.k8s.io)",
	"read": read,
	"view": read,
	"write": write,
	"edit": write,
	"post": "a POST on a resource is create",
	"put": "a PUT on a resource is update",
	"head": "a HEAD on a resource is get",
	"rollback": "kubectl rollout undo patches the workload: grant patch",
	"restart": restart,
	"rollout": restart,
	"cordon": cordon,
	"uncordon": cordon,
	"drain": "kubectl drain patches the node and evicts its pods: grant patch on nodes and create on pods/eviction",
	"all": "write \"*\" for every verb",
}

port_forward := "port-forwarding is create on pods/portforward: grant create on pods/portforward, and get on pods, which kubectl port-forward reads first"

logs := "logs are read with get on pods/log"

evict := "evicting is create on pods/eviction"

read := "reading is get, list and watch"

write := "writing is create, update, patch and delete"

restart := "kubectl rollout restart patches the pod template: grant patch"

cordon := "cordoning patches the node: grant patch on nodes"

known_verbs := standard | object.keys(special)

hint(verb, resources) := h if {
	h := fixed_hints[verb]
}

else := sprintf("verbs are lowercase: write %q", [lower(verb)]) if {
	lower(verb) != verb
	lower(verb) in known_verbs
}

else := sprintf("scaling is update or patch on the scale subresource: grant them on %s", [concat(", ", scale_targets(resources))]) if {
	verb == "scale"
} else := "requests on a subresource always name one object, so they are never list, watch or deletecollection (reading one is get)" if {
	verb in collection_verbs
	every r in resources {
		contains(r, "/")
	}
} else := concat("; ", [sprintf("%s takes only %s", [r, concat(" and ", sort(only[r].verbs))]) |
	some r in resources
	only[r]
]) if {
	verb in standard
} else := "the verbs are get, list, watch, create, update, patch, delete and deletecollection, plus use, bind, escalate, impersonate, approve, sign and attest on specific resources"

scale_targets(resources) := ["*/scale"] if "*" in resources

else := targets if {
	targets := [sprintf("%s/scale", [r]) | some r in resources; not contains(r, "/")]
	count(targets) > 0
} else := ["<resource>/scale"]
