package policies

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestFieldPathRoundTrip(t *testing.T) {
	tests := []struct {
		path FieldPath
		want string
	}{
		{FieldPath{"spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"}, "spec.jobTemplate.spec.template.spec.restartPolicy"},
		{FieldPath{"spec", "template", "spec", "containers", 1, "env", 0, "value"}, "spec.template.spec.containers[1].env[0].value"},
		{FieldPath{"metadata", "annotations", "jobguard.io/ignore"}, `metadata.annotations["jobguard.io/ignore"]`},
		{FieldPath{"rules", 0, "verbs", 2}, "rules[0].verbs[2]"},
		{FieldPath{"data", "a]b"}, `data["a]b"]`},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
		data, _ := json.Marshal(tt.path)
		var back FieldPath
		if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, tt.path) {
			t.Errorf("round trip of %s = %#v, %v", tt.want, back, err)
		}
	}
}

func TestSeverity(t *testing.T) {
	if !SeverityError.AtLeast(SeverityWarning) || SeverityInfo.AtLeast(SeverityWarning) || !SeverityWarning.AtLeast(SeverityWarning) {
		t.Error("severity order is wrong")
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity accepted fatal")
	}
}

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string]KubeVersion{"1.36": {1, 36}, "v1.25.3": {1, 25}} {
		if got, err := ParseKubeVersion(in); err != nil || got != want {
			t.Errorf("ParseKubeVersion(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1", "latest", "2.0", "1.x"} {
		if _, err := ParseKubeVersion(bad); err == nil {
			t.Errorf("ParseKubeVersion(%q) accepted", bad)
		}
	}
}
