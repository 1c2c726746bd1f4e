# METADATA
# title: RBAC grants that run commands in pods
# description: |
#   create on pods/exec, pods/attach or pods/portforward lets a subject run commands in a pod's
#   containers, attach to them or reach their ports: it acts with the pod's ServiceAccount token, its
#   Secrets and its network access. get is reported too for targets before Kubernetes 1.35, where
#   get alone allowed exec over the WebSocket protocol kubectl uses since 1.30 (1.35 also checks
#   create, feature gate AuthorizePodWebsocketUpgradeCreatePermission). Matches the way the
#   authorizer does: "pods/exec", "*/exec" and "*", with apiGroups "" or "*" ("pods/*" matches
#   nothing and is reported by rbac-wildcard). In a ClusterRole it reaches every pod of every
#   namespace once a ClusterRoleBinding binds it. Grants limited by resourceNames are not reported.
# custom:
#   id: rbac-pods-exec
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: Drop exec, attach and port-forward from roles that do not need them; otherwise grant them in a Role of the one namespace, limited by resourceNames where the pods have fixed names.
package jobguard.rules.rbac.rbac_pods_exec

import data.jobguard.lib.rbac
import data.jobguard.lib.result

exec_into := "exec into"

attach_to := "attach to"

port_forward_to := "port-forward to"

# What each resources entry that matches a pods subresource lets one do ("pods/*" matches none).
actions := {
	"*": [exec_into, attach_to, port_forward_to],
	"pods/exec": [exec_into], "*/exec": [exec_into],
	"pods/attach": [attach_to], "*/attach": [attach_to],
	"pods/portforward": [port_forward_to], "*/portforward": [port_forward_to],
}

target := data.jobguard.target.kubeVersion.minor

# get alone opens exec over WebSocket before 1.35.
granting_verbs := {"create", "get"} if target < 35

else := {"create"}

deny contains result.fail(msg, ["rules", i, "resources", j]) if {
	some i, rule in rbac.rules
	some j, pattern in rule.resources
	what := actions[pattern]
	rbac.in_group(rule, "")
	not rbac.named(rule)
	verbs := rbac.verbs_granting(rule, granting_verbs)
	count(verbs) > 0
	msg := sprintf("grants %s on %s: it %s", [rbac.show_all(verbs), rbac.show(pattern), consequence(what, only_get(verbs))])
}

only_get(verbs) := false if {
	some v in verbs
	v in {"create", "*"}
} else := true

consequence(what, websocket_get) := sprintf("lets the subject %s %s%s", [rbac.and_join(what), rbac.reach("every pod"), get_note(websocket_get)])

get_note(true) := sprintf(" (get alone is enough over WebSocket before Kubernetes 1.35; the target is 1.%d)", [target])

get_note(false) := ""
