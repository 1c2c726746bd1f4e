# METADATA
# title: Unknown CronJob time zones
# description: |
#   spec.timeZone must name a zone of the IANA database, such as Asia/Seoul or Etc/UTC. Local (in
#   any case), an empty string, names with characters outside the IANA rules and names the API
#   server's time zone database does not know are rejected.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`validateTimeZone` rejects an empty string, parts that do not match `validTimeZoneCharacters`, Local (`strings.EqualFold`) and names `time.LoadLocation` cannot load."
# custom:
#   id: cron-timezone-invalid
#   severity: error
#   kinds: [CronJob]
#   remediation: Use an IANA zone name such as Asia/Seoul, Europe/Berlin or Etc/UTC, or leave timeZone out for the controller's zone.
package jobguard.rules.batch.cron_timezone_invalid

import data.jobguard.lib.result

deny contains result.fail(msg, ["spec", "timeZone"]) if {
	zone := input.object.spec.timeZone
	is_string(zone)
	errors := jobguard.k8s.time_zone_errors(zone)
	count(errors) > 0
	msg := sprintf("timeZone %q is not valid: %s", [zone, concat("; ", errors)])
}
