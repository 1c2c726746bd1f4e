# METADATA
# title: Fields the API server does not know
# description: |
#   The API server decodes an object into its Kubernetes type with a case-sensitive decoder. A
#   field the type does not have (a typo, `RestartPolicy` for `restartPolicy`, a field indented
#   one level too deep or too shallow) is dropped: with the default field validation (Warn, what
#   client-go, Helm and most controllers send) the object is stored without it and the client
#   only gets a warning, so what the field said silently does not happen. `kubectl create` and
#   `kubectl apply` ask for strict validation (--validate=strict, their default) and are refused.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apimachinery/pkg/runtime/serializer/json/json.go#L270-L295
#     description: "`Serializer.Decode` decodes with sigs.k8s.io/json (`UnmarshalCaseSensitivePreserveInts`: field names are case-sensitive) and reports unknown fields as strict errors (`UnmarshalStrict`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go#L121-L135
#     description: "With `FieldValidationWarn` a strict decoding error becomes a warning (`addStrictDecodingWarnings`) and the object is created without the field."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go#L409-L414
#     description: "`fieldValidation`: a request without a fieldValidation directive gets `FieldValidationWarn`."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go#L468-L476
#     description: "`AddValidateFlags`: kubectl's --validate defaults to strict, which fails the request."
# custom:
#   id: unknown-field
#   severity: warning
#   kinds: [Job, CronJob, Role, ClusterRole, RoleBinding, ClusterRoleBinding]
#   remediation: |
#     Correct the field's spelling and case, or its indentation (the message names where a field of
#     that name belongs); `kubectl explain job.spec` lists the fields of each level.
package jobguard.rules.batch.unknown_field

import data.jobguard.lib.decode
import data.jobguard.lib.result

deny contains result.fail(message(e), e.path) if {
	some e in decode.errors
	e.problem == "unknown field"
}

message(e) := sprintf("%s is not a field of %s: the API server drops it (kubectl --validate=strict refuses it); did you mean %s?", [
	field_name(e),
	parent(e.path),
	e.hint.case,
]) if e.hint.case

message(e) := sprintf("%s is not a field of %s: the API server drops it (kubectl --validate=strict refuses it); it is a field of %s: check the indentation", [
	field_name(e),
	parent(e.path),
	parent(e.hint.at),
]) if e.hint.at

message(e) := sprintf("%s is not a field of %s: the API server drops it (kubectl --validate=strict refuses it), so it has no effect", [
	field_name(e),
	parent(e.path),
]) if not e.hint

field_name(e) := sprintf("%q", [e.path[count(e.path) - 1]])

# parent names the object that holds the last key of path.
parent(path) := "the object" if count(path) == 1

parent(path) := format_path(array.slice(path, 0, count(path) - 1)) if count(path) > 1

format_path(path) := concat("", [segment(i, p) | some i, p in path])

segment(_, p) := sprintf("[%d]", [p]) if is_number(p)

segment(0, p) := p if is_string(p)

segment(i, p) := sprintf(".%s", [p]) if {
	is_string(p)
	i > 0
}
