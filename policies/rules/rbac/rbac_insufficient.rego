# METADATA
# title: Jobs whose kubectl commands lack RBAC permissions
# description: |
#   jobguard finds every kubectl command in a Job's or CronJob's containers (shell scripts
#   included), works out the API requests each makes, and checks them against the RBAC of the
#   pod's ServiceAccount: the Roles, ClusterRoles and bindings of the same input in lint, the API
#   server in the webhook. A missing permission makes the command fail with 403 Forbidden at run
#   time (one finding per command, listing every permission it lacks and the rule that grants
#   each); a pod that does not mount its ServiceAccount token (automountServiceAccountToken: false on
#   the pod, or on its ServiceAccount without a pod override) can never authenticate. When the
#   ServiceAccount's RBAC is not available, or a command cannot be understood (kubectl apply -f
#   "$FILE"), an info finding says so instead of guessing.
#
#   The requests are those of the kubectl the container's image pins (bitnami/kubectl:1.31.0,
#   registry.k8s.io/kubectl:v1.30.2, ...) against the cluster version of --kube-version or
#   .jobguard.yaml (the webhook: the API server's): kubectl rollout status and kubectl wait list
#   before they watch, except kubectl 1.35 and later against an API server that serves watch-list.
#   Where either version is unknown (image tagged latest or pinned by a digest alone, no
#   --kube-version),
#   they are the requests that work for every version, list included; the message says which
#   version it assumed.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/v1/conversion.go#L354-L358
#     description: Convert_v1_PodSpec_To_core_PodSpec, the deprecated serviceAccount names the ServiceAccount when serviceAccountName is empty
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/admission/serviceaccount/admission.go#L254-L265
#     description: shouldAutomount, the pod's automountServiceAccountToken wins, then the ServiceAccount's, else the token is mounted
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/escalation_check.go#L101
#     description: BindingAuthorized, creating a binding takes bind on its role unless the creator holds every permission of the role
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.35.0/staging/src/k8s.io/client-go/features/known_features.go#L101-L104
#     description: WatchListClient, on by default from client-go 1.35 (off and Beta from 1.30 to 1.34)
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.35.0/staging/src/k8s.io/kubectl/pkg/cmd/rollout/rollout_status.go#L187
#     description: kubectl rollout status (and wait) use watch-list semantics from 1.35; 1.34 and older pass a plain ListWatch, which lists first
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/features/kube_features.go#L536-L542
#     description: the API server's WatchList gate, on by default in 1.32 and from 1.34
# custom:
#   id: rbac-insufficient
#   severity: error
#   kinds: [Job, CronJob]
#   inventory: true
#   remediation: Grant the missing rule named in the message with a Role and RoleBinding in that namespace (`jobguard rbac suggest` writes them), or fix the ServiceAccount the pod runs as.
package jobguard.rules.rbac.rbac_insufficient

import data.jobguard.lib.result

# The rule reads the engine's model of the Job (input.workload): who it runs as (serviceAccountName,
# or the deprecated serviceAccount the API server copies into it), and each kubectl invocation
# with the requests it makes, analysed once per object.
workload := input.workload

namespace := workload.namespace

service_account := workload.serviceAccount.name

# token_off says why the pod has no ServiceAccount token: the pod's automountServiceAccountToken
# wins, then the ServiceAccount's (shouldAutomount, plugin/pkg/admission/serviceaccount).
token_off := ["the pod template sets automountServiceAccountToken: false", workload.automountTokenPath] if {
	workload.automountToken == false
}

token_off := [sprintf("ServiceAccount %s/%s sets automountServiceAccountToken: false and the pod template does not override it", [namespace, service_account]), workload.serviceAccount.path] if {
	workload.automountToken == null
	sa := jobguard.rbac.automount_token(namespace, service_account)
	sa.known
	not sa.mount
}

# Each body looks for kubectl invocations first: most Jobs have none, and then neither builtin runs.
deny contains result.fail(msg, inv.path) if {
	some inv in workload.invocations
	inv.unresolved == ""
	count(inv.requests) > 0
	[why, _] := token_off
	msg := sprintf("`%s` can never authenticate: %s, so kubectl has no credentials in the pod and every request is refused; mount the token, or remove the setting", [inv.text, why])
}

# One finding per kubectl command, listing every request its ServiceAccount lacks.
deny contains result.fail(msg, inv.path) if {
	some inv in workload.invocations
	inv.unresolved == ""
	not token_off
	not rbac_unknown
	missing := [[req, verdict] |
		some req in inv.requests
		not req.optional
		verdict := jobguard.rbac.check(namespace, service_account, req)
		verdict.known
		not verdict.allowed
	]
	count(missing) > 0
	listed := [req | some [req, _] in array.slice(missing, 0, max_listed)]
	msg := sprintf("`%s` needs %s%s, which ServiceAccount %s/%s%s lacks%s; %s%s", [
		inv.text, needs(listed), more(count(missing) - count(listed)), namespace, service_account, assumed,
		notes([verdict | some [_, verdict] in missing]), grants(listed), suggest_all(count(missing) - count(listed)),
	])
}

# A command that lacks many permissions (kubectl describe of many objects) names the first few:
# the message stays readable, and its cost linear.
max_listed := 8

default more(_) := ""

more(n) := sprintf(" and %d more", [n]) if n > 0

default suggest_all(_) := ""

suggest_all(n) := sprintf("; and %d more: `jobguard rbac suggest` writes them all", [n]) if n > 0

deny contains result.fail_with_severity(msg, inv.path, "info") if {
	some inv in workload.invocations
	inv.unresolved != ""
	msg := sprintf("cannot tell which permissions `%s` needs: %s; check them by hand", [inv.text, trim_prefix(inv.unresolved, "kubectl: ")])
}

# rbac_unknown: the ServiceAccount's RBAC is not available (not in the lint input, no cluster).
rbac_unknown if {
	some inv in workload.invocations
	some req in inv.requests
	not jobguard.rbac.check(namespace, service_account, req).known
}

deny contains result.fail_with_severity(msg, workload.serviceAccount.path, "info") if {
	rbac_unknown
	not token_off
	msg := sprintf("runs kubectl as ServiceAccount %s/%s%s, whose RBAC is not in the input; lint the Roles and bindings together with this %s to check its permissions", [
		namespace, service_account, assumed, workload.kind,
	])
}

# assumed says when the namespace is not the object's own but the one lint assumed.
default assumed := ""

assumed := " (namespace assumed; lint -n sets it)" if workload.namespaceAssumed

# needs lists the requests: "get on deployments and patch on deployments/scale (group apps) "web""
# when they share a group and a name and neither a version nor an escalation aside, else each in
# full. " and ", not ", ": the
# short report keeps a message up to its first comma.
needs(reqs) := sprintf("%s%s", [concat(" and ", [sprintf("%s on %s", [r.verb, r.resourcePath]) | some r in reqs]), target_of(reqs[0])]) if {
	shared_target(reqs)
}

# Each request once: the same request in two places (list on resourcequotas in two namespaces) is
# one need; grants names each place.
needs(reqs) := concat(" and ", [d | some i, r in reqs; d := describe(r); not d in {describe(q) | some q in array.slice(reqs, 0, i)}]) if {
	not shared_target(reqs)
}

shared_target(reqs) if {
	count({target_of(r) | some r in reqs}) == 1
	every r in reqs {
		r.assumed == ""
		not r.escalation
	}
}

describe(req) := sprintf("%s on %s%s%s%s", [req.verb, req.resourcePath, target_of(req), version(req), escalation(req)])

target_of(req) := concat("", [group(req), name(req)])

# version says which kubectl or cluster version made the request necessary, and why.
default version(_) := ""

version(req) := sprintf(" (%s)", [req.assumed]) if req.assumed != ""

default escalation(_) := ""

escalation(req) := " (the API server's escalation check asks it of whoever creates the binding, unless they already hold every permission of that role)" if req.escalation

group(req) := "" if req.group == ""

group(req) := sprintf(" (group %s)", [req.group]) if req.group != ""

name(req) := "" if req.name == ""

name(req) := sprintf(" %q", [req.name]) if req.name != ""

# notes are the checker's reasons (a binding that names another namespace...), each once.
notes(verdicts) := "" if {
	every v in verdicts {
		object.get(v, "note", "") == ""
	}
}

notes(verdicts) := sprintf(" (%s)", [concat("; ", sort({v.note | some v in verdicts; object.get(v, "note", "") != ""}))]) if {
	some v in verdicts
	object.get(v, "note", "") != ""
}

# grants says what to grant, and where: "grant it in namespace "ops": RULE", "grant them in
# namespace "ops": RULE; RULE", and for several places "grant them in namespace "ops": RULE; and
# cluster-wide, with ...: RULE".
grants(reqs) := sprintf("grant %s %s: %s", [pronoun(reqs), where(reqs[0]), concat("; ", [r.rule | some r in reqs])]) if {
	count({where(r) | some r in reqs}) == 1
}

grants(reqs) := concat("", ["grant them ", concat("; and ", [sprintf("%s: %s", [w, concat("; ", [r.rule | some r in reqs; where(r) == w])]) | some w in places(reqs)])]) if {
	count({where(r) | some r in reqs}) > 1
}

# places are the distinct places of reqs, in the order of the requests.
places(reqs) := [w | some i, r in reqs; w := where(r); not w in [where(q) | some q in array.slice(reqs, 0, i)]]

pronoun(reqs) := "it" if count(reqs) == 1

pronoun(reqs) := "them" if count(reqs) > 1

where(req) := "in all namespaces, with a ClusterRole and a ClusterRoleBinding" if req.allNamespaces

where(req) := "cluster-wide, with a ClusterRole and a ClusterRoleBinding" if {
	not req.allNamespaces
	req.namespace == ""
}

where(req) := sprintf("in namespace %q", [req.namespace]) if {
	not req.allNamespaces
	req.namespace != ""
}
