# METADATA
# title: ClusterRoles that read every Secret
# description: |
#   get, list or watch on secrets (or on "*" resources of the core group) in a ClusterRole reads
#   every Secret of every namespace once a ClusterRoleBinding binds it: ServiceAccount tokens, TLS
#   keys, registry and database passwords. list and watch return the Secrets' data too, not only
#   their names. Namespaced Roles and grants limited by resourceNames are not reported.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
#     description: "`editRules` lists secrets among the escalating resources; `viewRules` leave them out for that reason."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/api/core/v1/types.go
#     description: "`SecretList` returns whole `Secret` objects, `Data` included: list and watch read the values, not only the names."
# custom:
#   id: rbac-secrets-read
#   severity: warning
#   kinds: [ClusterRole]
#   remediation: Grant Secrets in a Role of the namespaces that need them, limited by resourceNames, or mount the Secret into the pod instead of reading it through the API.
package jobguard.rules.rbac.rbac_secrets_read

import data.jobguard.lib.rbac
import data.jobguard.lib.result

deny contains result.fail(msg, ["rules", i, "resources", j]) if {
	rbac.is_cluster_role
	some i, rule in rbac.rules
	some j, pattern in rule.resources
	pattern in {"secrets", "*"}
	rbac.in_group(rule, "")
	not rbac.named(rule)
	verbs := rbac.verbs_granting(rule, {"get", "list", "watch"})
	count(verbs) > 0
	msg := sprintf("grants %s on %s: it reads %s", [rbac.show_all(verbs), rbac.show(pattern), rbac.reach("every Secret, values included,")])
}
