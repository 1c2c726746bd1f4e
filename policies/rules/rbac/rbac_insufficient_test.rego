package jobguard.rules.rbac.rbac_insufficient_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.rbac.rbac_insufficient

scale_job := fixtures.with_pod({
	"serviceAccountName": "scaler",
	"containers": [{"name": "scale", "image": "bitnami/kubectl:1.36.3", "command": ["sh", "-c", "kubectl scale deploy/web --replicas=0"]}],
})

denied_all(_, _, _) := {"known": true, "allowed": false}

denied_patch(_, _, req) := {"known": true, "allowed": req.verb != "patch", "note": "RoleBinding x names another namespace"}

allowed_all(_, _, _) := {"known": true, "allowed": true}

unknown(_, _, _) := {"known": false, "allowed": false}

test_missing_permission_denied if {
	findings := rbac_insufficient.deny with input as scale_job with jobguard.rbac.check as denied_patch
	count(findings) == 1
	some f in findings
	f.path == ["spec", "template", "spec", "containers", 0, "command", 2]
	startswith(f.message, "`kubectl scale deploy/web --replicas=0` needs patch on deployments/scale (group apps) \"web\", which ServiceAccount ops/scaler lacks (RoleBinding x names another namespace); grant it in namespace \"ops\":")
	endswith(f.message, `{apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["web"]}`)
}

test_every_missing_request_denied if {
	count(rbac_insufficient.deny) == 2 with input as scale_job with jobguard.rbac.check as denied_all
}

test_sufficient_allowed if {
	count(rbac_insufficient.deny) == 0 with input as scale_job with jobguard.rbac.check as allowed_all
}

test_rbac_not_in_input_info if {
	findings := rbac_insufficient.deny with input as scale_job with jobguard.rbac.check as unknown
	count(findings) == 1
	some f in findings
	f.severity == "info"
	f.path == ["spec", "template", "spec", "serviceAccountName"]
	contains(f.message, "whose RBAC is not in the input")
}

test_unresolved_command_info if {
	job := fixtures.with_pod({"containers": [{"name": "apply", "image": "bitnami/kubectl:1.36.3", "command": ["sh", "-c", "kubectl apply -f \"$FILE\""]}]})
	some f in rbac_insufficient.deny with input as job with jobguard.rbac.check as allowed_all
	f.severity == "info"
	startswith(f.message, "cannot tell which permissions `kubectl apply -f \"$FILE\"` needs")
}

test_default_service_account_and_namespace if {
	job := json.remove(fixtures.with_pod({"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "get", "pods"]}]}), ["/object/metadata/namespace"])
	some f in rbac_insufficient.deny with input as job with jobguard.rbac.check as denied_all
	contains(f.message, "ServiceAccount default/default")
}

test_no_kubectl_allowed if {
	count(rbac_insufficient.deny) == 0 with input as fixtures.job({}) with jobguard.rbac.check as denied_all
}
