package jobguard.rules.rbac.rbac_overbroad_test

import data.jobguard.rules.rbac.rbac_overbroad

role := {"object": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "flusher"}}}

excess("ClusterRole", "", "flusher") := [{"path": ["rules", 0, "verbs", 1], "message": "verb \"list\" on pods is used by no command of CronJob flush; remove it"}]

excess(_, _, name) := [] if name != "flusher"

test_excess_denied if {
	findings := rbac_overbroad.deny with input as role with jobguard.rbac.excess as excess
	findings == {{"path": ["rules", 0, "verbs", 1], "message": "verb \"list\" on pods is used by no command of CronJob flush; remove it"}}
}

test_nothing_to_remove_allowed if {
	other := json.patch(role, [{"op": "replace", "path": "/object/metadata/name", "value": "viewer"}])
	count(rbac_overbroad.deny) == 0 with input as other with jobguard.rbac.excess as excess
}
