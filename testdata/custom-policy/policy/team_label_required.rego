# METADATA
# title: Jobs must name the team that owns them
# description: |
#   An example of a custom rule: a Job or CronJob without a team label has no one to page when it
#   fails. Load it with `jobguard lint --policy testdata/custom-policy/policy`.
# custom:
#   id: team-label-required
#   severity: warning
#   kinds: [Job, CronJob]
#   remediation: Add a metadata.labels.team naming the owning team.
#   params:
#     label: team
package jobguard.rules.custom.team_label_required

import data.jobguard.lib.k8s
import data.jobguard.lib.result

label := data.jobguard.params["team-label-required"].label

deny contains result.fail(sprintf("no %q label: nobody owns this %s", [label, k8s.obj.kind]), ["metadata", "labels"]) if {
	not k8s.obj.metadata.labels[label]
}
