# METADATA
# title: Credentials written into env values
# description: |
#   An env value is stored in the manifest, in etcd and in every copy of the Job: a literal
#   password, token or key there is readable by anyone who can read the Job or its source, and the
#   built-in view ClusterRole reads Jobs but not Secrets. A Secret referenced with
#   valueFrom.secretKeyRef keeps the value out of both. Besides names made of words such as
#   password, token or key, the variables that database clients read a password from count:
#   PGPASSWORD (psql) and REDISCLI_AUTH (redis-cli).
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/api/core/v1/types.go
#     description: "`EnvVar`: value is a literal stored in the object; `EnvVarSource` reads it at container start from `SecretKeyRef` instead."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
#     description: "`viewRules` read jobs and cronjobs (batch) and leave out secrets; `editRules` call secrets an escalating resource."
#   - ref: https://www.postgresql.org/docs/current/libpq-envars.html
#     description: "PGPASSWORD: libpq (psql) uses it as the password."
#   - ref: https://redis.io/docs/latest/develop/tools/cli/
#     description: "REDISCLI_AUTH: redis-cli uses it as the password."
# custom:
#   id: secret-in-env
#   severity: warning
#   kinds: [Job, CronJob]
#   remediation: Store the value in a Secret and reference it with env[].valueFrom.secretKeyRef.
#   params:
#     namePattern: '(?i)(^|[_.-])(pass(word|wd)?|pwd|secret|token|credentials?|(api|access|auth|private|secret|signing)?[_.-]?key)($|[_.-])|^(pgpassword|rediscli_auth)$'
#     ignorePattern: '(?i)[_.-](name|file|path|dir|ref|url|uri|id|header|length|size|ttl|expiry|expires|seconds|type|field)$'
package jobguard.rules.batch.secret_in_env

import data.jobguard.lib.k8s
import data.jobguard.lib.result

params := data.jobguard.params["secret-in-env"]

deny contains result.fail(msg, array.concat(path, ["env", i, "value"])) if {
	some path, container in k8s.containers
	some i, env in container.env
	value := env.value
	regex.match(params.namePattern, env.name) # before the tests on value: most names fail it
	is_string(value)
	value != ""
	not startswith(value, "$(") # a reference to another variable, not a value
	not regex.match(params.ignorePattern, env.name)
	msg := sprintf("env %s in container %q holds a literal value; a credential belongs in a Secret", [env.name, container.name])
}
