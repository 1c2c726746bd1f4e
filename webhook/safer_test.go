package webhook_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// A change that only makes an object safer never denies, even with every rule enforced:
// suspending any Job or CronJob of testdata/, removing any one grant (a rule of a Role or
// ClusterRole, a subject of a binding). None asks an access question: the kubectl commands are
// the old object's.
func TestUpdateSaferChangesNeverDeny(t *testing.T) {
	access := &accessLog{}
	s := enforcingServer(t, access)
	suspended, removed := 0, 0
	for _, obj := range reviewedFixtures(t) {
		var m struct {
			Kind     string
			Metadata struct {
				Name   string
				Labels map[string]string
			}
			Rules, Subjects []any
		}
		if err := json.Unmarshal(obj, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m.Metadata.Labels["kubernetes.io/bootstrapping"]; ok {
			// The API server's own RBAC: the objectSelector of deploy/base/webhooks.yaml never
			// sends it to jobguard.
			continue
		}
		changes := map[string][]byte{}
		list, n := "rules", len(m.Rules)
		switch m.Kind {
		case "Job", "CronJob":
			changes["suspend"] = set(t, obj, "spec.suspend", true)
			suspended++
		case "RoleBinding", "ClusterRoleBinding":
			list, n = "subjects", len(m.Subjects)
		}
		if m.Kind != "Job" && m.Kind != "CronJob" {
			for i := range n {
				changes[fmt.Sprintf("remove %s[%d]", list, i)] = edit(t, obj, func(o map[string]any) {
					l := o[list].([]any)
					o[list] = append(append([]any{}, l[:i]...), l[i+1:]...)
				})
				removed++
			}
		}
		for what, changed := range changes {
			resp := s.Validator().Handle(ctx, update(t, obj, changed))
			if !resp.Allowed {
				t.Errorf("%s %s: %s: denied: %s", m.Kind, m.Metadata.Name, what, message(resp))
			}
			if asked := access.take(); len(asked) != 0 {
				t.Errorf("%s %s: %s: asked %q", m.Kind, m.Metadata.Name, what, asked)
			}
		}
	}
	if suspended < 20 || removed < 20 {
		t.Fatalf("only %d objects suspended and %d grants removed", suspended, removed)
	}
}

// Fixing one of several error findings is allowed; the findings left come back as warnings that
// say they were there before.
func TestUpdateFixingOneOfSeveralFindings(t *testing.T) {
	s := newServer(t, "", nil)
	cron := yamlJSON(t, `
apiVersion: batch/v1
kind: CronJob
metadata: {name: two-errors, namespace: apps}
spec:
  schedule: "0 0 30 2 *"
  startingDeadlineSeconds: 300
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          restartPolicy: Always
          containers: [{name: run, image: "busybox:1.37"}]
`)
	binding := yamlJSON(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: a, namespace: Data_Team}
  - {kind: ServiceAccount, name: b, namespace: Ops_Team}
`)
	for _, obj := range [][]byte{cron, binding} {
		if resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, obj)); resp.Allowed || strings.Count(message(resp), "\n") != 1 {
			t.Fatalf("CREATE: allowed=%v %q; want denied by two findings", resp.Allowed, message(resp))
		}
	}
	cases := []struct {
		what      string
		old, obj  []byte
		fixed     string // not in any warning
		remaining string // the warning of the finding left
	}{
		{"the schedule fixed", cron, set(t, cron, "spec.schedule", "0 0 28 2 *"),
			"cron-schedule-never-runs", "job-restart-policy: " + existingBefore},
		{"the restartPolicy fixed", cron, set(t, cron, "spec.jobTemplate.spec.template.spec.restartPolicy", "Never"),
			"job-restart-policy", "cron-schedule-never-runs: " + existingBefore},
		{"the first subject fixed", binding, edit(t, binding, func(m map[string]any) {
			m["subjects"].([]any)[0].(map[string]any)["namespace"] = "data-team"
		}), "Data_Team", "rbac-invalid-subject: " + existingBefore},
		{"the first subject removed", binding, edit(t, binding, func(m map[string]any) {
			m["subjects"] = m["subjects"].([]any)[1:]
		}), "Data_Team", "rbac-invalid-subject: " + existingBefore},
	}
	for _, c := range cases {
		resp := s.Validator().Handle(ctx, update(t, c.old, c.obj))
		if !resp.Allowed {
			t.Errorf("%s: denied: %s", c.what, message(resp))
		}
		if !hasWarning(resp, c.remaining) || slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.Contains(w, c.fixed) }) {
			t.Errorf("%s: warnings %q; want one starting %q and none about %s", c.what, resp.Warnings, c.remaining, c.fixed)
		}
	}
}
