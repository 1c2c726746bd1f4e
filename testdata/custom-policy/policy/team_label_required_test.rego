package jobguard.rules.custom.team_label_required_test

import data.jobguard.rules.custom.team_label_required

job(labels) := {"object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": labels}}}

test_missing_label_denied if {
	some f in team_label_required.deny with input as job({"app": "x"})
	f.path == ["metadata", "labels"]
	f.message == `no "team" label: nobody owns this Job`
}

test_label_allowed if {
	count(team_label_required.deny) == 0 with input as job({"team": "payments"})
}

test_label_parameter_allowed if {
	count(team_label_required.deny) == 0 with input as job({"owner": "payments"})
		with data.jobguard.params["team-label-required"].label as "owner"
}
