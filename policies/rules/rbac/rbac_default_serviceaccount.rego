# METADATA
# title: Bindings that give rights to the default ServiceAccount
# description: |
#   Every pod that sets no serviceAccountName runs as its namespace's default ServiceAccount, so a
#   binding to it gives the role to all of them: today's pods and whatever is deployed there later,
#   Jobs and CronJobs included. A RoleBinding's subject without a namespace means the binding's own.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/admission/serviceaccount/admission.go
#     description: "`Admit` sets an empty serviceAccountName to `DefaultServiceAccountName` (default)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/validation/rule.go
#     description: "`appliesToUser`: a ServiceAccount subject without a namespace means the namespace of the binding."
# custom:
#   id: rbac-default-serviceaccount
#   severity: warning
#   kinds: [RoleBinding, ClusterRoleBinding]
#   remediation: Create a ServiceAccount for the workload that needs the role, bind that one, and set serviceAccountName in its pod template.
package jobguard.rules.rbac.rbac_default_serviceaccount

import data.jobguard.lib.rbac
import data.jobguard.lib.result

deny contains result.fail(msg, ["subjects", i, "name"]) if {
	some i, s in rbac.subjects
	rbac.str(s, "kind") == "ServiceAccount"
	rbac.str(s, "name") == "default"
	msg := sprintf("binds %s %s to the default ServiceAccount of %s: every pod there that sets no serviceAccountName gets its rights", [
		rbac.str(rbac.role_ref, "kind"), rbac.str(rbac.role_ref, "name"),
		where(rbac.str(s, "namespace")),
	])
}

where(ns) := sprintf("namespace %s", [ns]) if ns != ""

else := sprintf("namespace %s", [rbac.namespace]) if {
	rbac.is_role_binding
	rbac.namespace != ""
}

else := "the RoleBinding's namespace" if rbac.is_role_binding

else := "a namespace not given"
