# METADATA
# description: |
#   Where things live in Jobs and CronJobs. A CronJob is a Job template one level down, so rules
#   written against these paths work for both kinds.
package jobguard.lib.k8s

obj := input.object

is_job if obj.kind == "Job"

is_cronjob if obj.kind == "CronJob"

# The Job spec: the object's own for a Job, the template's for a CronJob.
job_spec_path := ["spec"] if is_job

job_spec_path := ["spec", "jobTemplate", "spec"] if is_cronjob

job_spec := object.get(obj, job_spec_path, {})

pod_spec_path := array.concat(job_spec_path, ["template", "spec"])

pod_spec := object.get(obj, pod_spec_path, {})

name := object.get(obj, ["metadata", "name"], "")

# containers maps the path of every init and regular container of the pod template to it.
containers[array.concat(pod_spec_path, [field, i])] := c if {
	some field in ["initContainers", "containers"]
	some i, c in pod_spec[field]
}

# has(o, key) is true when o has key with a non-null value.
has(o, key) if object.get(o, key, null) != null
