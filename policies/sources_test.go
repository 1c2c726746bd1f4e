package policies_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

// kubernetesSource is the prefix of every citation: the Kubernetes release jobguard targets.
const kubernetesSource = "https://github.com/kubernetes/kubernetes/blob/v1.36.3/"

// uncitedRules are built-in rules whose files another change owns; each gets its citation there.
// The test fails once one of them cites its source, so that the entry is removed.
var uncitedRules = map[string]string{}

// TestRuleSources: every built-in rule cites, in its METADATA related_resources, the Kubernetes
// v1.36.3 source its description and messages rest on, and each cited file exists and contains
// every `identifier` its description names (when the module cache holds k8s.io/kubernetes).
func TestRuleSources(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	modules := moduleDirs{}
	for _, r := range engine.Rules() {
		var cited int
		for _, s := range r.Sources {
			path, ok := strings.CutPrefix(s.Ref, kubernetesSource)
			if !ok {
				continue
			}
			path, _, _ = strings.Cut(path, "#") // a line anchor, #L101
			cited++
			if s.Description == "" {
				t.Errorf("%s: %s has no description: say what the source shows", r.ID, s.Ref)
			}
			checkCitation(t, r.ID, modules, path, s.Description)
		}
		why, exempt := uncitedRules[r.ID]
		switch {
		case exempt && cited > 0:
			t.Errorf("%s cites its source now: remove it from uncitedRules", r.ID)
		case exempt:
			t.Logf("%s: no citation yet (%s)", r.ID, why)
		case cited == 0:
			t.Errorf("%s: no related_resources entry points at %s...: cite the source its rationale rests on", r.ID, kubernetesSource)
		}
	}
	for id := range uncitedRules {
		if engine.Rule(id) == nil {
			t.Errorf("uncitedRules names %s, which is not a rule", id)
		}
	}
}

// identifier is a Go name quoted in a citation's description: `nextScheduleTime`, `batch.JobSpec`.
var identifier = regexp.MustCompile("`([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)`")

// checkCitation reads the cited file from the module (staging/src/k8s.io/X/... is module
// k8s.io/X@v0.36.3) and looks for each identifier the description quotes.
func checkCitation(t *testing.T, id string, modules moduleDirs, path, description string) {
	t.Helper()
	file := filepath.Join(modules.dir(t, "k8s.io/kubernetes@v1.36.3"), filepath.FromSlash(path))
	if rest, ok := strings.CutPrefix(path, "staging/src/k8s.io/"); ok {
		module, inner, _ := strings.Cut(rest, "/")
		file = filepath.Join(modules.dir(t, "k8s.io/"+module+"@v0.36.3"), filepath.FromSlash(inner))
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Errorf("%s: cites %s, which v1.36.3 does not have (%v)", id, path, err)
		return
	}
	for _, m := range identifier.FindAllStringSubmatch(description, -1) {
		name := m[1]
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		if !strings.Contains(string(src), name) {
			t.Errorf("%s: the citation of %s names `%s`, which the file does not contain", id, path, m[1])
		}
	}
}

// moduleDirs finds modules' source directories, downloading them through the module proxy
// when the module cache lacks them, as make test's envtest build does: a citation is always
// checked, never skipped.
type moduleDirs map[string]string

func (m moduleDirs) dir(t *testing.T, module string) string {
	t.Helper()
	if dir, ok := m[module]; ok {
		return dir
	}
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v %s %s (the citations are checked against its source)", module, err, info.Error, out)
	}
	m[module] = info.Dir
	return info.Dir
}
