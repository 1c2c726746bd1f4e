# METADATA
# description: |
#   Where things live in Jobs and CronJobs. A CronJob is a Job template one level down, so rules
#   written against these paths work for both kinds.
package jobguard.lib.k8s

obj := input.object

# These rules run for every Job and CronJob rule, so they test input.object, not obj or is_job:
# input is read directly, and rule indexing picks the body of the object's kind without
# evaluating another rule.
is_job if input.object.kind == "Job"

is_cronjob if input.object.kind == "CronJob"

# The Job spec: the object's own for a Job, the template's for a CronJob.
job_spec_path := ["spec"] if input.object.kind == "Job"

job_spec_path := ["spec", "jobTemplate", "spec"] if input.object.kind == "CronJob"

job_spec := object.get(input.object, job_spec_path, {})

# The pod spec: job_spec_path's template.spec.
pod_spec_path := ["spec", "template", "spec"] if input.object.kind == "Job"

pod_spec_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.object.kind == "CronJob"

pod_spec := object.get(input.object, pod_spec_path, {})

name := object.get(input.object, ["metadata", "name"], "")

# containers maps the path of every init and regular container of the pod template to it. A
# complete rule: computed once per evaluation however many rules iterate it.
containers := {array.concat(path, [field, i]): c |
	path := pod_spec_path # once, not once per container
	spec := pod_spec
	some field in ["initContainers", "containers"]
	some i, c in spec[field]
}

# has(o, key) is true when o has key with a non-null value.
has(o, key) if object.get(o, key, null) != null
