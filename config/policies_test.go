package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

const fetchRule = `# METADATA
# title: Fetches
# description: Reaches the network.
# custom:
#   id: fetches
#   severity: warning
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.fetches

deny contains {"message": "m", "path": []} if http.send({"method": "GET", "url": "http://127.0.0.1:1"}).status_code == 200
`

// repo lays out a repository (a .git directory, a .jobguard.yaml naming policies) and a
// directory of rules outside it; it returns the config file's path and the outside directory.
func repo(t *testing.T, policiesKey string) (string, string) {
	t.Helper()
	base := t.TempDir()
	root, outside := filepath.Join(base, "repo"), filepath.Join(base, "elsewhere")
	for _, d := range []string{filepath.Join(root, ".git"), filepath.Join(root, "rules"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, ".jobguard.yaml")
	if err := os.WriteFile(file, []byte("kubeVersion: \"1.36\"\n"+policiesKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, outside
}

func TestPoliciesStayInTheRepository(t *testing.T) {
	for _, tt := range []struct {
		name, key, want string
	}{
		{"inside", "policies: [rules]", ""},
		{"dot-dot", "policies: [../elsewhere]", "outside the repository"},
		{"symlink", "policies: [linked]", "outside the repository"},
		{"missing", "policies: [nope]", ".jobguard.yaml:2: policies: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := repo(t, tt.key)
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.EngineOptions()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("EngineOptions: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("EngineOptions: %v, want an error saying %q", err, tt.want)
			}
			// The missing directory is named, as well as the line (issue 14: it said "stat .").
			if tt.name == "missing" && (err == nil || !strings.Contains(err.Error(), string(filepath.Separator)+"nope is not a directory")) {
				t.Errorf("EngineOptions: %v, want the missing directory named", err)
			}
			if tt.name == "dot-dot" && err != nil && !strings.Contains(err.Error(), "--policy") {
				t.Errorf("the refusal does not say how to load it anyway: %v", err)
			}
			// The cluster operator's file (jobguard serve) may load rules from anywhere.
			c.Trusted = true
			if _, err := c.EngineOptions(); (err != nil) != (tt.name == "missing") {
				t.Errorf("trusted: %v", err)
			}
		})
	}
}

// TestAllowBuiltinsOnlyForServe: webhook.allowBuiltins in a repository's file does not let its
// rules reach the network in lint; the same file in jobguard serve (trusted) does.
func TestAllowBuiltinsOnlyForServe(t *testing.T) {
	file, _ := repo(t, "policies: [rules]\nwebhook:\n  allowBuiltins: [http.send]")
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "rules", "fetch.rego"), []byte(fetchRule), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var notAllowed *policies.BuiltinNotAllowedError
	if _, err := c.NewEngine(); !errors.As(err, &notAllowed) {
		t.Errorf("lint with the repository's allowBuiltins: %v, want the rule refused", err)
	}
	c.Trusted = true
	if _, err := c.NewEngine(); err != nil {
		t.Errorf("serve with allowBuiltins: %v", err)
	}
}
