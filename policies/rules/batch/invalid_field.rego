# METADATA
# title: Fields the API server rejects
# description: |
#   The API server refuses a Job or CronJob (400 Bad Request or 422 Invalid) when a field has the
#   wrong type (`completions: "${N}"`, a number as a label value: its decoder cannot fill the
#   Kubernetes type), when a required field is missing (a pod template without containers, a
#   container without name or image, a CronJob without jobTemplate), and when a value fails the
#   checks validation applies to every Job: label keys and values, annotation keys, the
#   ServiceAccount name, container port names and numbers, environment variable names, counts
#   that must not be negative, and a Job's spec.selector, which the API server generates itself
#   unless spec.manualSelector is true (a Job exported from a cluster carries the selector and
#   controller-uid labels of the old Job, so it is refused).
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apimachinery/pkg/runtime/serializer/json/json.go#L270
#     description: "`Serializer.Decode`: a value of the wrong type fails `UnmarshalCaseSensitivePreserveInts`, and the request with it (400)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`ValidateJob`, `ValidateJobSpec` and `validateJobSpec`: non-negative counts (`ValidateNonnegativeField`), the selector must select the template; `validateGeneratedSelector`: without manualSelector the selector and the template's controller-uid and job-name labels must be the generated ones; `validateCronJobSpec` and `ValidateJobTemplateSpec`: no selector or manualSelector in a CronJob's jobTemplate."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/batch/job/strategy.go
#     description: "`generateSelector` (from `PrepareForCreate`): on create, the selector gets the new Job's uid (`ControllerUidLabel`) and the template the labels it lacks."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/validation/validation.go
#     description: "`ValidatePodTemplateSpec` checks the template's labels and annotations; `validateContainerCommon`: name and image are required; `validateContainerPorts`: port names (`IsValidPortName`), unique, numbers in range; `ValidateEnv`: env names (`IsRelaxedEnvVarName`); `ValidatePodSpec`: at least one container, serviceAccountName (`ValidateServiceAccountName`); procMount Unmasked needs hostUsers false (`UnmaskedProcMount`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/features/kube_features.go
#     description: "`RelaxedEnvironmentVariableValidation` is GA and locked on since 1.34."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go
#     description: "`ValidateLabels`: each key a qualified name, each value a label value (`IsValidLabelValue`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go
#     description: "`ValidateAnnotations`: each lowercased key a qualified name, all of them at most `TotalAnnotationSizeLimitB`."
# custom:
#   id: invalid-field
#   severity: error
#   kinds: [Job, CronJob]
#   remediation: |
#     Give the field the type and value the message names: quote label values and annotation keys
#     that look like numbers, render template placeholders (${VAR}, {{ }}) before applying, and
#     delete spec.selector and the controller-uid and job-name labels from a Job exported from a
#     cluster (or set spec.manualSelector: true to keep a selector of your own).
package jobguard.rules.batch.invalid_field

import data.jobguard.lib.decode
import data.jobguard.lib.k8s
import data.jobguard.lib.result

# Wrong types: the decoder's facts, worded. spec.schedule has its own rule (cron-schedule-invalid).
deny contains result.fail(msg, e.path) if {
	some e in decode.errors
	e.problem == "wrong type"
	e.path != ["spec", "schedule"]
	msg := sprintf("%s must be %s, not %s %s: the API server cannot decode the object and rejects it", [
		format_path(e.path), type_words(e.want), article(e.got), shown(object.get(input.object, e.path, null)),
	])
}

# Required fields.
template_path := array.concat(k8s.job_spec_path, ["template"])

containers_path := array.concat(k8s.pod_spec_path, ["containers"])

deny contains result.fail(msg, containers_path) if {
	count(object.get(k8s.pod_spec, "containers", [])) == 0
	msg := no_containers_message
}

no_containers_message := "jobTemplate is missing: a CronJob needs the Job it starts, whose pod template has at least one container; the API server requires it" if {
	input.object.kind == "CronJob"
	not k8s.has(object.get(input.object, "spec", {}), "jobTemplate")
} else := "the pod template has no containers: the API server requires at least one"

deny contains result.fail(sprintf("container %d has no name: the API server requires one", [i]), array.concat(path, ["name"])) if {
	some path, container in k8s.containers
	object.get(container, "name", "") == ""
	i := path[count(path) - 1]
}

deny contains result.fail(sprintf("container %q has no image: the API server requires one", [container.name]), array.concat(path, ["image"])) if {
	some path, container in k8s.containers
	object.get(container, "image", "") == ""
}

# Values. A reference to another rule (k8s.*, a helper) or a function costs more than a test on
# input, so bodies test input first where they can: bodies for one kind start with
# input.object.kind (rule indexing skips them for the other kind), and the checks of ports and
# procMounts, which most objects lack, are behind one test each.

deny contains result.fail(sprintf("serviceAccountName %q is not a valid ServiceAccount name: %s", [name, concat("; ", errors)]), array.concat(k8s.pod_spec_path, ["serviceAccountName"])) if {
	name := k8s.pod_spec.serviceAccountName
	is_string(name)
	name != ""
	errors := jobguard.k8s.dns1123_subdomain_errors(name)
	errors != []
}

# Label and annotation maps the API server validates: the object's (read from input), and the pod
# template's (from template_metadata, computed once).
template_metadata := object.get(k8s.job_spec, ["template", "metadata"], {})

deny contains result.fail(map_message("label", e, labels), ["metadata", "labels", e.key]) if {
	labels := input.object.metadata.labels
	is_object(labels)
	some e in jobguard.k8s.labels_errors(labels)
}

deny contains result.fail(map_message("label", e, labels), array.concat(template_path, ["metadata", "labels", e.key])) if {
	labels := template_metadata.labels
	is_object(labels)
	some e in jobguard.k8s.labels_errors(labels)
}

deny contains result.fail(map_message("annotation", e, annotations), map_path(["metadata", "annotations"], e)) if {
	annotations := input.object.metadata.annotations
	is_object(annotations)
	some e in jobguard.k8s.annotations_errors(annotations)
}

deny contains result.fail(map_message("annotation", e, annotations), map_path(array.concat(template_path, ["metadata", "annotations"]), e)) if {
	annotations := template_metadata.annotations
	is_object(annotations)
	some e in jobguard.k8s.annotations_errors(annotations)
}

map_path(path, e) := path if e.part == "size"

map_path(path, e) := array.concat(path, [e.key]) if e.part != "size"

map_message(what, e, _) := sprintf("%s key %q is not valid: %s", [what, e.key, concat("; ", e.errors)]) if e.part == "key"

map_message(what, e, entries) := sprintf("%s %s: value %q is not valid: %s", [what, e.key, entries[e.key], concat("; ", e.errors)]) if e.part == "value"

map_message(what, e, _) := sprintf("%ss: %s", [what, concat("; ", e.errors)]) if e.part == "size"

deny contains result.fail(sprintf("env %d of container %q: name %q is not valid: %s", [j, container.name, name, concat("; ", errors)]), array.concat(path, ["env", j, "name"])) if {
	some path, container in k8s.containers
	some j, env in container.env
	name := object.get(env, "name", "")
	is_string(name)
	errors := env_name_errors(name)
	errors != []
}

env_name_errors(name) := ["a name is required"] if name == ""

env_name_errors(name) := jobguard.k8s.env_var_name_errors(name) if name != ""

# The ports of the containers, with their paths, computed once per evaluation; port_problems is
# evaluated only when there are some.
ports := [[path, container, j, port] |
	some path, container in k8s.containers
	some j, port in container.ports
]

deny contains problem if {
	ports != []
	some problem in port_problems
}

port_problems contains result.fail(sprintf("port %d of container %q: name %q is not valid: %s", [j, container.name, port.name, concat("; ", errors)]), array.concat(path, ["ports", j, "name"])) if {
	some [path, container, j, port] in ports
	is_string(port.name)
	port.name != ""
	errors := jobguard.k8s.port_name_errors(port.name)
	errors != []
}

port_problems contains result.fail(sprintf("port %d of container %q: name %q is used by an earlier port of the container; port names must be unique", [j, container.name, port.name]), array.concat(path, ["ports", j, "name"])) if {
	some [path, container, j, port] in ports
	is_string(port.name)
	count(jobguard.k8s.port_name_errors(port.name)) == 0
	some earlier, other in container.ports
	earlier < j
	other.name == port.name
}

port_problems contains result.fail(sprintf("port %d of container %q: containerPort is required (1-65535)", [j, container.name]), array.concat(path, ["ports", j, "containerPort"])) if {
	some [path, container, j, port] in ports
	object.get(port, "containerPort", 0) == 0
}

port_problems contains result.fail(sprintf("port %d of container %q: %s %v is not a port number (1-65535)", [j, container.name, field, number]), array.concat(path, ["ports", j, field])) if {
	some [path, container, j, port] in ports
	some field in ["containerPort", "hostPort"]
	number := port[field]
	is_number(number)
	number != 0
	not valid_port(number)
}

valid_port(n) if {
	n >= 1
	n <= 65535
}

# Counts the API server requires to be 0 or more.
job_counts := {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"}

cronjob_counts := {"startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"}

deny contains result.fail(sprintf("%s is %v: it must be 0 or more", [field, value]), array.concat(k8s.job_spec_path, [field])) if {
	some field, value in k8s.job_spec
	value < 0 # first: most values fail it (null and booleans sort below numbers, hence is_number)
	is_number(value)
	field in job_counts
}

deny contains result.fail(sprintf("%s is %v: it must be 0 or more", [field, value]), ["spec", field]) if {
	input.object.kind == "CronJob"
	some field, value in input.object.spec
	value < 0
	is_number(value)
	field in cronjob_counts
}

# The procMounts of the containers, with their paths, computed once per evaluation;
# proc_mount_problems is evaluated only when there are some.
proc_mounts := [[path, container, mount] |
	some path, container in k8s.containers
	mount := container.securityContext.procMount
]

deny contains problem if {
	proc_mounts != []
	some problem in proc_mount_problems
}

proc_mount_problems contains result.fail(sprintf("container %q: procMount Unmasked needs the pod's hostUsers: false (a user namespace); the API server rejects it otherwise", [container.name]), array.concat(path, ["securityContext", "procMount"])) if {
	some [path, container, "Unmasked"] in proc_mounts
	not k8s.pod_spec.hostUsers == false
}

proc_mount_problems contains result.fail(sprintf("container %q: procMount %q is not supported: valid values are \"Default\" and \"Unmasked\"", [container.name, mount]), array.concat(path, ["securityContext", "procMount"])) if {
	some [path, container, mount] in proc_mounts
	is_string(mount)
	not mount in {"Default", "Unmasked"}
}

# Selectors. On create the API server generates a Job's selector (its new uid as
# batch.kubernetes.io/controller-uid) and adds the labels it selects to the pod template, unless
# manualSelector is true: any other selector is refused. A selector naming the object's own
# metadata.uid is taken as the generated one: that is the Job as admission webhooks see it.
generated_uid := object.get(input.object, ["metadata", "uid"], "jobguard-placeholder-for-the-new-uid")

job_labels := {
	"controller-uid": generated_uid, "batch.kubernetes.io/controller-uid": generated_uid,
	"job-name": k8s.name, "batch.kubernetes.io/job-name": k8s.name,
}

deny contains result.fail(msg, ["spec", "selector"]) if {
	input.object.kind == "Job"
	selector := input.object.spec.selector
	is_object(selector)
	not input.object.spec.manualSelector == true
	generated := object.union(selector, {"matchLabels": object.union(
		{"batch.kubernetes.io/controller-uid": generated_uid},
		object.get(selector, "matchLabels", {}),
	)})
	not jobguard.k8s.selector_matches(generated, job_labels)
	msg := "spec.selector is set but spec.manualSelector is not true: the API server generates a Job's selector (the new Job's controller-uid) and rejects any other; delete spec.selector (a Job exported from a cluster carries the old one), or set manualSelector: true"
}

deny contains result.fail(sprintf("pod template label %s: %q is the controller-uid of another Job: the API server sets it to the new Job's uid and rejects a template that already has it; delete the label", [key, value]), array.concat(template_path, ["metadata", "labels", key])) if {
	input.object.kind == "Job"
	some key in ["controller-uid", "batch.kubernetes.io/controller-uid"]
	value := input.object.spec.template.metadata.labels[key]
	not input.object.spec.manualSelector == true
	value != generated_uid
}

# The template's labels once the API server has added the generated ones it lacks.
generated_template_labels := object.union(job_labels, object.get(input.object, ["spec", "template", "metadata", "labels"], {}))

deny contains result.fail("spec.selector does not select the pod template's labels: the API server rejects a Job whose selector does not match the pods it creates", array.concat(template_path, ["metadata", "labels"])) if {
	input.object.kind == "Job"
	selector := input.object.spec.selector
	is_object(selector)
	not input.object.spec.manualSelector == true
	generated := object.union(selector, {"matchLabels": object.union(
		{"batch.kubernetes.io/controller-uid": generated_uid},
		object.get(selector, "matchLabels", {}),
	)})
	not jobguard.k8s.selector_matches(generated, generated_template_labels)
}

deny contains result.fail(sprintf("pod template label %s: %q is not the Job's name %q: the API server requires it to be the name (or absent: it adds it)", [key, value, k8s.name]), array.concat(template_path, ["metadata", "labels", key])) if {
	input.object.kind == "Job"
	some key in ["job-name", "batch.kubernetes.io/job-name"]
	value := input.object.spec.template.metadata.labels[key]
	not input.object.spec.manualSelector == true
	value != k8s.name
}

deny contains result.fail("spec.selector does not select the pod template's labels: the API server rejects a Job whose selector does not match the pods it creates", array.concat(template_path, ["metadata", "labels"])) if {
	input.object.kind == "Job"
	input.object.spec.manualSelector == true
	selector := input.object.spec.selector
	is_object(selector)
	not jobguard.k8s.selector_matches(selector, object.get(input.object, ["spec", "template", "metadata", "labels"], {}))
}

deny contains result.fail("spec.manualSelector is true but spec.selector is missing: the API server requires a selector", ["spec", "selector"]) if {
	input.object.kind == "Job"
	input.object.spec.manualSelector == true
	not k8s.has(input.object.spec, "selector")
}

deny contains result.fail("a CronJob's jobTemplate cannot set a selector: the API server generates it for each Job; delete it", ["spec", "jobTemplate", "spec", "selector"]) if {
	input.object.kind == "CronJob"
	input.object.spec.jobTemplate.spec.selector != null
}

deny contains result.fail("a CronJob's jobTemplate cannot set manualSelector: true; delete it", ["spec", "jobTemplate", "spec", "manualSelector"]) if {
	input.object.kind == "CronJob"
	input.object.spec.jobTemplate.spec.manualSelector == true
}

# Wording.
type_words(want) := "a list" if startswith(want, "[]")

type_words(want) := "a map of names to values" if startswith(want, "map[")

type_words(want) := "an integer" if regex.match(`^u?int(8|16|32|64)?$`, want)

type_words(want) := "a number" if startswith(want, "float")

type_words("string") := "a string"

type_words("bool") := "true or false"

type_words("resource.Quantity") := "a quantity (such as 500m, 2 or 1Gi)"

type_words("intstr.IntOrString") := "an integer or a string"

type_words(want) := "a timestamp (RFC 3339)" if want in {"v1.Time", "v1.MicroTime"}

type_words(want) := "an object" if {
	not startswith(want, "[]")
	not startswith(want, "map[")
	not regex.match(`^(u?int(8|16|32|64)?|float(32|64)|string|bool|resource\.Quantity|intstr\.IntOrString|v1\.Time|v1\.MicroTime)$`, want)
}

article("object") := "an object"

article("list") := "a list"

article("number") := "the number"

article("string") := "the string"

article("boolean") := "the boolean"

shown(v) := s if {
	s := json.marshal(v)
	count(s) <= 60
}

shown(v) := sprintf("%s...", [substring(json.marshal(v), 0, 57)]) if count(json.marshal(v)) > 60

format_path(path) := concat("", [segment(i, p) | some i, p in path])

segment(_, p) := sprintf("[%d]", [p]) if is_number(p)

segment(0, p) := p if is_string(p)

segment(i, p) := sprintf(".%s", [p]) if {
	is_string(p)
	i > 0
}
