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

# One finding per command, listing every request its ServiceAccount lacks and what grants each.
test_every_missing_request_in_one_finding if {
	findings := rbac_insufficient.deny with input as scale_job with jobguard.rbac.check as denied_all
	count(findings) == 1
	some f in findings
	f.message == concat("", [
		"`kubectl scale deploy/web --replicas=0` needs get on deployments and patch on deployments/scale (group apps) \"web\", ",
		"which ServiceAccount ops/scaler lacks; grant them in namespace \"ops\": ",
		`{apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"], resourceNames: ["web"]}; `,
		`{apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["web"]}`,
	])
}

# Requests on different objects or in different places are each named in full, and each place
# says what to grant there.
test_missing_requests_in_two_places if {
	job := fixtures.with_pod({
		"serviceAccountName": "ops",
		"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "drain", "node-1", "--ignore-daemonsets"]}],
	})
	findings := rbac_insufficient.deny with input as job with jobguard.rbac.check as denied_all
	count(findings) == 1
	some f in findings
	contains(f.message, `needs get on nodes "node-1" and `)
	contains(f.message, "; grant them cluster-wide, with a ClusterRole and a ClusterRoleBinding: ")
	contains(f.message, "; and in all namespaces, with a ClusterRole and a ClusterRoleBinding: ")
}

# A command that lacks many permissions names the first eight, once each, and points at rbac
# suggest for the rest.
test_many_missing_requests_listed_up_to_eight if {
	job := fixtures.with_pod({
		"serviceAccountName": "ops",
		"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "describe", "namespace", "n1", "n2", "n3", "n4"]}],
	})
	findings := rbac_insufficient.deny with input as job with jobguard.rbac.check as denied_all
	count(findings) == 1
	some f in findings
	contains(f.message, `needs get on namespaces "n1" and list on resourcequotas and list on limitranges and get on namespaces "n2" and get on namespaces "n3" and`)
	contains(f.message, " more, which ServiceAccount ops/ops lacks;")
	endswith(f.message, " more: `jobguard rbac suggest` writes them all")
	count(split(f.message, "list on resourcequotas")) == 2
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
	obj := json.remove(fixtures.with_pod({"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "get", "pods"]}]}).object, ["/metadata/namespace"])
	some f in rbac_insufficient.deny with input as fixtures.input_of(obj) with jobguard.rbac.check as denied_all
	contains(f.message, "ServiceAccount default/default (namespace assumed; lint -n sets it) lacks")
}

# The deprecated serviceAccount field names the ServiceAccount when serviceAccountName is absent
# (Convert_v1_PodSpec_To_core_PodSpec).
test_deprecated_service_account_alias if {
	job := fixtures.with_pod({
		"serviceAccount": "deployer",
		"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "get", "pods"]}],
	})
	some f in rbac_insufficient.deny with input as job with jobguard.rbac.check as denied_all
	contains(f.message, "ServiceAccount ops/deployer lacks")
}

token_job(pod) := fixtures.with_pod(object.union(
	{"serviceAccountName": "scaler", "containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "get", "pods"]}]},
	pod,
))

sa_mounts(_, _) := {"known": true, "mount": true}

sa_does_not_mount(_, _) := {"known": true, "mount": false}

sa_unknown(_, _) := {"known": false, "mount": true}

test_pod_without_token_never_authenticates if {
	findings := rbac_insufficient.deny with input as token_job({"automountServiceAccountToken": false})
		with jobguard.rbac.check as allowed_all
		with jobguard.rbac.automount_token as sa_mounts
	count(findings) == 1
	some f in findings
	f.path == ["spec", "template", "spec", "containers", 0, "args", 0]
	contains(f.message, "can never authenticate: the pod template sets automountServiceAccountToken: false")
}

test_service_account_without_token_never_authenticates if {
	findings := rbac_insufficient.deny with input as token_job({})
		with jobguard.rbac.check as allowed_all
		with jobguard.rbac.automount_token as sa_does_not_mount
	count(findings) == 1
	some f in findings
	contains(f.message, "ServiceAccount ops/scaler sets automountServiceAccountToken: false and the pod template does not override it")
}

test_pod_overrides_service_account_token if {
	count(rbac_insufficient.deny) == 0 with input as token_job({"automountServiceAccountToken": true})
		with jobguard.rbac.check as allowed_all
		with jobguard.rbac.automount_token as sa_does_not_mount
	count(rbac_insufficient.deny) == 0 with input as token_job({})
		with jobguard.rbac.check as allowed_all
		with jobguard.rbac.automount_token as sa_unknown
}

test_binding_needs_bind_on_the_last_role if {
	job := fixtures.with_pod({
		"serviceAccountName": "onboard",
		"containers": [{"name": "c", "image": "k:1", "args": ["kubectl", "create", "rolebinding", "x", "--role=a", "--role=b", "--user=u"]}],
	})
	findings := rbac_insufficient.deny with input as job with jobguard.rbac.check as denied_all
	some f in findings
	contains(f.message, ` and bind on roles (group rbac.authorization.k8s.io) "b" (the API server's escalation check asks it of whoever creates the binding, unless they already hold every permission of that role), which ServiceAccount ops/onboard lacks;`)
	not any_mentions(findings, `roles (group rbac.authorization.k8s.io) "a"`)
}

any_mentions(findings, s) if {
	some f in findings
	contains(f.message, s)
}

test_no_kubectl_allowed if {
	count(rbac_insufficient.deny) == 0 with input as fixtures.job({}) with jobguard.rbac.check as denied_all
}

# The requests are those of the kubectl the image pins: kubectl 1.31 lists before it watches, so
# RBAC without list fails it, and the finding says why.
rollout_job(image) := fixtures.with_pod({
	"serviceAccountName": "deployer",
	"containers": [{"name": "wait", "image": image, "command": ["sh", "-c", "kubectl rollout status deploy/web"]}],
})

denied_list(_, _, req) := {"known": true, "allowed": req.verb != "list"}

test_kubectl_version_from_image_lists if {
	findings := rbac_insufficient.deny with input as rollout_job("bitnami/kubectl:1.31.0") with jobguard.rbac.check as denied_list
	count(findings) == 1
	some f in findings
	startswith(f.message, "`kubectl rollout status deploy/web` needs list on deployments (group apps) \"web\" (kubectl 1.31 lists before it watches), which ServiceAccount ops/deployer lacks; grant it")
}

test_kubectl_version_unknown_lists if {
	some f in rbac_insufficient.deny with input as rollout_job("bitnami/kubectl:latest") with jobguard.rbac.check as denied_list
	contains(f.message, `"web" (image "bitnami/kubectl:latest" does not say its kubectl version, and kubectl before 1.35 lists before it watches), which`)
}

# Without a cluster version (Rego tests have none), even kubectl 1.36 may list: the API server
# may not serve watch-list.
test_cluster_version_unknown_lists if {
	some f in rbac_insufficient.deny with input as rollout_job("registry.k8s.io/kubectl:v1.36.3") with jobguard.rbac.check as denied_list
	contains(f.message, "\"web\" (kubectl 1.36 lists before it watches on clusters without watch-list (set --kube-version)), which")
}
