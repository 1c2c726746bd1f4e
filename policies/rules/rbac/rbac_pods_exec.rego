# METADATA
# title: RBAC grants that run commands in pods or reach them past the API
# description: |
#   create on pods/exec, pods/attach or pods/portforward lets a subject run commands in a pod's
#   containers, attach to them or reach their ports: it acts with the pod's ServiceAccount token,
#   its Secrets and its network access. get is reported too for targets before Kubernetes 1.35,
#   where get alone allowed exec over the WebSocket protocol kubectl uses since 1.30 (1.35 also
#   checks create, feature gate AuthorizePodWebsocketUpgradeCreatePermission, beta and on by
#   default). pods/proxy, with any of get, create, update, patch or delete (the request's HTTP
#   method), sends requests through the API server to any port of a pod, admin and debug endpoints
#   that trust the pod network included. nodes/proxy reaches the kubelet API of a node, whose /exec
#   and /run endpoints run commands in every pod on that node: the kubelet authorizes them as get (a
#   WebSocket GET) or create (POST) on nodes/proxy, so get alone is enough, and neither the
#   pods/exec authorization nor admission on pods/exec sees them. Nodes are cluster-scoped, so only
#   a ClusterRole grants nodes/proxy. Matches the way the authorizer does: "pods/exec", "*/exec",
#   "*/proxy" and "*", with apiGroups "" or "*" ("pods/*" matches nothing and is reported by
#   rbac-wildcard). In a ClusterRole it reaches every pod of every namespace once a
#   ClusterRoleBinding binds it. Grants limited by resourceNames are not reported.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/core/pod/rest/subresources.go
#     description: "`ExecREST`, `AttachREST` and `PortForwardREST` connect to the kubelet and, with `AuthorizePodWebsocketUpgradeCreatePermission`, check create also for a WebSocket GET (`ensureAuthorizedForVerb`); `ProxyREST` proxies `proxyMethods` (GET, POST, PUT, PATCH, DELETE...) to the pod's address."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/features/kube_features.go
#     description: "`AuthorizePodWebsocketUpgradeCreatePermission` is beta and on by default since 1.35."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/kubelet/server/auth.go
#     description: "`GetRequestAttributes` authorizes kubelet API requests as the HTTP method's verb (GET is get, POST is create) on nodes, subresource proxy for every path without a finer subresource: /exec, /run, /attach and /portForward among them."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/kubelet/server/server.go
#     description: "`InstallAuthRequiredHandlers` serves /exec on GET and POST (`getExec`) and /run on POST (`getRun`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go
#     description: "`NewRequestInfo` derives a request's verb from its HTTP method (GET and HEAD get, POST create, PUT update, PATCH patch, DELETE delete), for pods/proxy and nodes/proxy too."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/evaluation_helpers.go
#     description: "`ResourceMatches` matches \"*\", the exact resource and \"*/<subresource>\" only; `APIGroupMatches` matches the group or \"*\"."
# custom:
#   id: rbac-pods-exec
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: Drop exec, attach, port-forward and proxy from roles that do not need them; otherwise grant them in a Role of the one namespace, limited by resourceNames where the pods have fixed names. Grant nodes/proxy to no one but the control plane; monitoring reads nodes/metrics and nodes/stats.
package jobguard.rules.rbac.rbac_pods_exec

import data.jobguard.lib.rbac
import data.jobguard.lib.result

target := data.jobguard.target.kubeVersion.minor

# actions[resource] is what a grant on resource lets one do, and the verbs that grant it on every
# target ("*" included; a proxy request's verb is its HTTP method's); nodes/proxy is
# cluster-scoped, so only a ClusterRole reaches it.
actions := {
	"pods/exec": {"does": "exec into", "verbs": {"create", "*"}, "stream": true},
	"pods/attach": {"does": "attach to", "verbs": {"create", "*"}, "stream": true},
	"pods/portforward": {"does": "port-forward to", "verbs": {"create", "*"}, "stream": true},
	"pods/proxy": {"does": "proxy requests to", "verbs": {"get", "create", "update", "patch", "delete", "*"}, "stream": false},
	"nodes/proxy": {"does": "", "verbs": {"get", "create", "*"}, "stream": false},
}

# granted(v, r): verb v grants action r on the target. get alone opens exec, attach and
# port-forward over WebSocket before 1.35.
granted(v, r) if actions[r].verbs[v]

granted("get", r) if {
	actions[r].stream
	target < 35
}

# reaching[pattern] lists, in message order, the actions' resources a resources entry matches
# (rbac.covers: "*", the resource itself and "*/<subresource>"; a test checks the table against
# it). One lookup rules out every other entry, so most rules stop here.
reaching := {
	"*": ["pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "nodes/proxy"],
	"pods/exec": ["pods/exec"],
	"*/exec": ["pods/exec"],
	"pods/attach": ["pods/attach"],
	"*/attach": ["pods/attach"],
	"pods/portforward": ["pods/portforward"],
	"*/portforward": ["pods/portforward"],
	"pods/proxy": ["pods/proxy"],
	"nodes/proxy": ["nodes/proxy"],
	"*/proxy": ["pods/proxy", "nodes/proxy"],
}

# reached(rule, pattern) lists the resources of the actions a resources entry of the rule grants.
reached(rule, pattern) := [r |
	some r in reaching[pattern]
	applies(r)
	grants(rule, r)
]

# grants(rule, r): some verb of the rule grants action r.
grants(rule, r) if {
	some v in rule.verbs
	granted(v, r)
}

applies(r) if r != "nodes/proxy"

applies("nodes/proxy") if rbac.is_cluster_role

# The message is built inline, and only for entries that reach an action: a function call costs
# as much as several expressions.
deny contains result.fail(msg, ["rules", i, "resources", j]) if {
	some i, rule in rbac.rules
	some j, pattern in rule.resources
	reaching[pattern]
	rbac.in_group(rule, "")
	not rbac.named(rule)
	what := reached(rule, pattern)
	count(what) > 0

	# The rule's verbs that grant some of what, in order, each named once.
	granting := [v | some v in rule.verbs; some r in what; granted(v, r)]
	verbs := [v | some k, v in granting; not v in array.slice(granting, 0, k)]

	# What the grant lets one do to pods, then to nodes: nodes/proxy comes last in what.
	does := [actions[r].does | some r in what; r != "nodes/proxy"]
	effects := array.concat(
		[sprintf("%s %s%s", [rbac.and_join(does), rbac.reach("every pod"), get_note(rule, what)]) | count(does) > 0],
		[node_effect | "nodes/proxy" in what],
	)
	msg := sprintf("grants %s on %s: it lets the subject %s", [rbac.show_all(verbs), rbac.show(pattern), concat(" and ", effects)])
}

node_effect := "call the kubelet API of every node, whose /exec and /run endpoints run commands in every pod on it (get on nodes/proxy is enough, and no pods/exec check applies)"

# The note for exec, attach or port-forward reached by get alone: by none of their other verbs.
get_note(rule, what) := sprintf(" (get alone is enough over WebSocket before Kubernetes 1.35; the target is 1.%d)", [target]) if {
	some r in what
	actions[r].stream
	not grants_any(rule, actions[r].verbs)
} else := ""

# grants_any(rule, verbs): some verb of the rule is among verbs.
grants_any(rule, verbs) if {
	some v in rule.verbs
	verbs[v]
}
