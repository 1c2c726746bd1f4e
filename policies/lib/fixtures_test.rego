# Builders for rule tests: minimal valid objects that a test then changes with object.union.
package jobguard.lib.fixtures

pod_spec := {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox:1.36"}]}

job_spec := {"ttlSecondsAfterFinished": 3600, "activeDeadlineSeconds": 600, "template": {"spec": pod_spec}}

# input_of is the input the engine gives rules for obj: the object, and for a Job or CronJob its
# model (input.workload), built by the same Go code.
input_of(obj) := {"object": obj, "workload": jobguard.workload.of(obj)}

# job returns the input for a Job whose spec is job_spec merged with spec.
job(spec) := input_of({
	"apiVersion": "batch/v1", "kind": "Job",
	"metadata": {"name": "backup", "namespace": "ops"},
	"spec": object.union(job_spec, spec),
})

# cronjob returns the input for a CronJob whose spec is a valid CronJob spec merged with spec.
cronjob(spec) := input_of({
	"apiVersion": "batch/v1", "kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "ops"},
	"spec": object.union(
		{
			"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 300,
			"jobTemplate": {"spec": object.remove(job_spec, ["ttlSecondsAfterFinished"])},
		},
		spec,
	),
})

# with_pod returns a Job whose pod template spec is pod_spec merged with spec.
with_pod(spec) := job({"template": {"spec": object.union(pod_spec, spec)}})

# cron_with_pod returns a CronJob whose pod template spec is pod_spec merged with spec.
cron_with_pod(spec) := cronjob({"jobTemplate": {"spec": object.union(
	object.remove(job_spec, ["ttlSecondsAfterFinished"]),
	{"template": {"spec": object.union(pod_spec, spec)}},
)}})
