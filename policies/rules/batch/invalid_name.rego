# METADATA
# title: Names the API server rejects
# description: |
#   Job and CronJob names must be lowercase RFC 1123 subdomains; namespaces and container names
#   lowercase RFC 1123 labels: lowercase letters, digits and '-', starting and ending with a
#   letter or digit (names may also contain '.'). Uppercase letters and '_' are rejected.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`ValidateJob` and `ValidateCronJobCreate` validate metadata with `NameIsDNSSubdomain`."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go
#     description: "`ValidateObjectMetaAccessor` validates the namespace with `ValidateNamespaceName`, a DNS label."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/validation/validation.go
#     description: "`validateContainerCommon` validates each container name as a DNS label (`ValidateDNS1123Label`)."
# custom:
#   id: invalid-name
#   severity: error
#   kinds: [Job, CronJob]
#   remediation: Use lowercase letters, digits and '-' only, starting and ending with a letter or digit (my-job, not My_Job).
package jobguard.rules.batch.invalid_name

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(message("name", name, errors), ["metadata", "name"]) if {
	name := input.object.metadata.name
	name != ""
	errors := jobguard.k8s.dns1123_subdomain_errors(name)
	errors != []
}

deny contains result.fail(message("namespace", namespace, errors), ["metadata", "namespace"]) if {
	namespace := input.object.metadata.namespace
	errors := jobguard.k8s.dns1123_label_errors(namespace)
	errors != []
}

deny contains result.fail(message("container name", container.name, errors), array.concat(path, ["name"])) if {
	some path, container in k8s.containers
	errors := jobguard.k8s.dns1123_label_errors(container.name)
	errors != []
}

message(what, value, errors) := sprintf("%s %q is not valid: %s", [what, value, concat("; ", errors)])
