# METADATA
# title: Jobs whose kubectl commands lack RBAC permissions
# description: |
#   jobguard finds every kubectl command in a Job's or CronJob's containers (shell scripts
#   included), works out the API requests each makes, and checks them against the RBAC of the
#   pod's ServiceAccount: the Roles, ClusterRoles and bindings of the same input in lint, the API
#   server in the webhook. A missing permission makes the command fail with 403 Forbidden at run
#   time. When the ServiceAccount's RBAC is not available, or a command cannot be understood
#   (kubectl apply -f "$FILE"), an info finding says so instead of guessing.
# custom:
#   id: rbac-insufficient
#   severity: error
#   kinds: [Job, CronJob]
#   inventory: true
#   remediation: Grant the missing rule named in the message with a Role and RoleBinding in that namespace (`jobguard rbac suggest` writes them), or fix the ServiceAccount the pod runs as.
package jobguard.rules.rbac.rbac_insufficient

import data.jobguard.lib.k8s
import data.jobguard.lib.result

namespace := object.get(k8s.obj, ["metadata", "namespace"], "default")

default service_account := "default"

service_account := k8s.pod_spec.serviceAccountName

sa_path := array.concat(k8s.pod_spec_path, ["serviceAccountName"])

# invocations maps [path of the command element holding it, offset in a script] to each kubectl invocation.
invocations[[array.concat(path, [inv.position.field, inv.position.index]), inv.position.offset]] := inv if {
	some path, container in k8s.containers
	some inv in jobguard.kubectl.analyze(
		object.get(container, "command", []),
		object.get(container, "args", []),
		namespace,
	)
}

deny contains result.fail(msg, path) if {
	not rbac_unknown
	some [path, _], inv in invocations
	inv.unresolved == ""
	some req in inv.requests
	not req.optional
	verdict := jobguard.rbac.check(namespace, service_account, req)
	verdict.known
	not verdict.allowed
	msg := sprintf("`%s` needs %s, which ServiceAccount %s/%s lacks%s; grant it %s: %s", [
		inv.text, describe(req), namespace, service_account, note(verdict), where(req), req.rule,
	])
}

deny contains result.fail_with_severity(msg, path, "info") if {
	some [path, _], inv in invocations
	inv.unresolved != ""
	msg := sprintf("cannot tell which permissions `%s` needs: %s; check them by hand", [inv.text, trim_prefix(inv.unresolved, "kubectl: ")])
}

# rbac_unknown: the ServiceAccount's RBAC is not available (not in the lint input, no cluster).
rbac_unknown if {
	some inv in invocations
	some req in inv.requests
	not jobguard.rbac.check(namespace, service_account, req).known
}

deny contains result.fail_with_severity(msg, sa_path, "info") if {
	rbac_unknown
	msg := sprintf("runs kubectl as ServiceAccount %s/%s, whose RBAC is not in the input; lint the Roles and bindings together with this %s to check its permissions", [
		namespace, service_account, k8s.obj.kind,
	])
}

describe(req) := sprintf("%s on %s%s%s", [req.verb, resource(req), group(req), name(req)])

resource(req) := concat("/", [req.resource, req.subresource]) if req.subresource != ""

resource(req) := req.resource if req.subresource == ""

group(req) := "" if req.group == ""

group(req) := sprintf(" (group %s)", [req.group]) if req.group != ""

name(req) := "" if req.name == ""

name(req) := sprintf(" %q", [req.name]) if req.name != ""

default note(_) := ""

note(verdict) := sprintf(" (%s)", [verdict.note]) if verdict.note != ""

where(req) := "in all namespaces, with a ClusterRole and a ClusterRoleBinding" if req.allNamespaces

where(req) := "cluster-wide, with a ClusterRole and a ClusterRoleBinding" if {
	not req.allNamespaces
	req.namespace == ""
}

where(req) := sprintf("in namespace %q", [req.namespace]) if req.namespace != ""
