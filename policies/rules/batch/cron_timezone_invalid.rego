# METADATA
# title: Unknown CronJob time zones
# description: |
#   spec.timeZone must name a zone of the IANA database, such as Asia/Seoul or Etc/UTC. "Local",
#   an empty string and misspelt names are rejected by the API server.
# custom:
#   id: cron-timezone-invalid
#   severity: error
#   kinds: [CronJob]
#   remediation: Use an IANA zone name such as Asia/Seoul, Europe/Berlin or Etc/UTC, or leave timeZone out for the controller's zone.
package jobguard.rules.batch.cron_timezone_invalid

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(msg, ["spec", "timeZone"]) if {
	zone := k8s.obj.spec.timeZone
	is_string(zone)
	errors := jobguard.k8s.time_zone_errors(zone)
	count(errors) > 0
	msg := sprintf("timeZone %q is not valid: %s", [zone, concat("; ", errors)])
}
