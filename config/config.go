// Package config reads .jobguard.yaml, the one configuration file that lint and the webhook share:
// which rules run, their severities and parameters, the target Kubernetes version, paths lint
// ignores, and the webhook's modes. It turns the file into engine options; it knows nothing of
// files to lint or HTTP.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// FileNames are the names Find looks for, in order.
var FileNames = []string{".jobguard.yaml", ".jobguard.yml"}

// Mode says what the webhook does with a rule's findings.
type Mode string

const (
	// ModeEnforce denies the request, with every denying finding's message in the response.
	ModeEnforce Mode = "enforce"
	// ModeWarn returns findings as admission warnings, which kubectl prints as "Warning:".
	ModeWarn Mode = "warn"
	// ModeAudit only logs and counts findings.
	ModeAudit Mode = "audit"
)

var modes = []Mode{ModeEnforce, ModeWarn, ModeAudit}

// Updates says what the webhook judges on UPDATE.
type Updates string

const (
	// UpdatesChanges (the default) judges only what an UPDATE introduces: a finding the old object
	// already had is reported as a warning and never denies. A Job created by a CronJob is judged
	// against the CronJob's jobTemplate the same way.
	UpdatesChanges Updates = "changes"
	// UpdatesAll judges the whole new object on every UPDATE, as on CREATE.
	UpdatesAll Updates = "all"
)

// DefaultMode is a rule's mode unless configured: errors enforce, warnings warn, info is audited.
func DefaultMode(sev policies.Severity) Mode {
	switch sev {
	case policies.SeverityError:
		return ModeEnforce
	case policies.SeverityWarning:
		return ModeWarn
	}
	return ModeAudit
}

// Config is a parsed .jobguard.yaml. The zero value is the default configuration.
type Config struct {
	// KubeVersion is the Kubernetes release manifests target ("1.36"); empty means the default.
	KubeVersion string `yaml:"kubeVersion"`
	// Rules configures rules by id.
	Rules map[string]RuleConfig `yaml:"rules"`
	// Policies are directories of custom Rego rules, relative to the file.
	Policies []string `yaml:"policies"`
	Lint     Lint     `yaml:"lint"`
	Webhook  Webhook  `yaml:"webhook"`
	Audit    Audit    `yaml:"audit"`

	// File is where the configuration was read from; empty for the default.
	File string `yaml:"-"`
	// Trusted says the file is the cluster operator's (jobguard serve), not the repository's
	// being linted: its policies may live anywhere, and webhook.allowBuiltins applies. A
	// repository's own file may only load rules from inside the repository, and cannot let them
	// reach outside jobguard.
	Trusted bool `yaml:"-"`
	// policiesLine is where the policies key is, for errors.
	policiesLine int
	// lines remembers where each rule id was written, for errors.
	lines map[string]int
}

// RuleConfig configures one rule.
type RuleConfig struct {
	// Enabled false turns the rule off everywhere.
	Enabled *bool `yaml:"enabled"`
	// Severity overrides the rule's severity.
	Severity policies.Severity `yaml:"severity"`
	// Params override the rule's declared parameters.
	Params map[string]any `yaml:"params"`
	// Mode overrides the webhook mode for this rule.
	Mode Mode `yaml:"mode"`
}

// Lint configures jobguard lint.
type Lint struct {
	// IgnorePaths are glob patterns (path.Match syntax, plus ** for any number of directories),
	// relative to the configuration file's directory, of files lint skips.
	IgnorePaths []string `yaml:"ignorePaths"`
	// FailOn is the default of --fail-on: error, warning, info or none.
	FailOn string `yaml:"failOn"`
}

// Webhook configures jobguard serve.
type Webhook struct {
	// Mode, when set, is the mode of every rule without a mode of its own.
	Mode Mode `yaml:"mode"`
	// ExcludedNamespaces are never checked or mutated.
	ExcludedNamespaces []string `yaml:"excludedNamespaces"`
	Mutation           Mutation `yaml:"mutation"`
	// AllowBuiltins lets rules call builtins that reach outside jobguard (http.send,
	// net.lookup_ip_addr, opa.runtime). jobguard serve only: lint takes --allow-builtin, never a
	// repository's file.
	AllowBuiltins []string `yaml:"allowBuiltins"`
	// Updates is what an UPDATE is judged on: changes (default) or all.
	Updates Updates `yaml:"updates"`
}

// Audit configures the background audit of jobguard serve.
type Audit struct {
	// Interval between two audits of the cluster ("10m"); 0 turns the audit off. Nil: the
	// default, 10 minutes. serve reads it when it starts; --audit-interval overrides it.
	Interval *Duration `yaml:"interval"`
}

// Duration is a time.Duration written as Go writes one ("10m", "90s"), or 0.
type Duration time.Duration

// UnmarshalYAML reads "10m", "1h30m", "0".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 10m or 90s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Mutation configures the defaults the mutating webhook injects.
type Mutation struct {
	// Enabled false turns mutation off. Default: true.
	Enabled *bool `yaml:"enabled"`
	// OptIn lists rules whose fix changes behaviour (cron-concurrency-unset) and is applied only
	// when named here.
	OptIn []string `yaml:"optIn"`
}

// Find looks for a configuration file in dir and its parents; it returns "" when there is none.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		for _, name := range FileNames {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a configuration from data; name is used in errors. Unknown keys are errors that
// name the key and its line.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{File: name, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return c, nil // an empty file is the default configuration
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeDecodeError(err))
	}
	for i := 0; i+1 < len(root.Content[0].Content); i += 2 {
		if root.Content[0].Content[i].Value == "policies" {
			c.policiesLine = root.Content[0].Content[i].Line
		}
	}
	if rules := mappingValue(root.Content[0], "rules"); rules != nil {
		for i := 0; i+1 < len(rules.Content); i += 2 {
			c.lines[rules.Content[i].Value] = rules.Content[i].Line
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

var notFound = regexp.MustCompile(`field (\S+) not found in type [\w.]+`)

func describeDecodeError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\n  ", "; "))
	// yaml.v3 says "field x not found in type config.Lint"; say what it means.
	if replaced := notFound.ReplaceAllString(msg, "unknown key $1"); replaced != msg {
		msg = replaced + " (see the configuration reference in README.md)"
	}
	return msg
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// atLine names a line of the file for errors, or the file when line is 0.
func (c *Config) atLine(line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", c.File, line)
	}
	return cmp.Or(c.File, ".jobguard.yaml")
}

// repositoryRoot is the nearest directory from dir up that holds .git, else dir itself.
func repositoryRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

// confined checks that dir, and every file under it, resolves (symbolic links and .. followed)
// to a place inside root.
func confined(dir, root string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	inside := func(p string) error {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return err
		}
		if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s resolves to %s, outside the repository %s", p, real, realRoot)
		}
		return nil
	}
	if err := inside(dir); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return inside(p)
		}
		return nil
	})
}

// at names a place in the file for errors.
func (c *Config) at(ruleID string) string {
	if line := c.lines[ruleID]; line > 0 {
		return fmt.Sprintf("%s:%d", c.File, line)
	}
	return c.File
}

// check validates values that do not need the rules: severities, modes, versions.
func (c *Config) check() error {
	var errs []error
	if c.KubeVersion != "" {
		if _, err := policies.ParseKubeVersion(c.KubeVersion); err != nil {
			errs = append(errs, fmt.Errorf("%s: kubeVersion: %w", c.File, err))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		rc := c.Rules[id]
		if rc.Severity != "" {
			if _, err := policies.ParseSeverity(string(rc.Severity)); err != nil {
				errs = append(errs, fmt.Errorf("%s: rules.%s.severity: %w", c.at(id), id, err))
			}
		}
		if rc.Mode != "" && !slices.Contains(modes, rc.Mode) {
			errs = append(errs, fmt.Errorf("%s: rules.%s.mode: unknown mode %q (valid: enforce, warn, audit)", c.at(id), id, rc.Mode))
		}
	}
	if c.Audit.Interval != nil && *c.Audit.Interval < 0 {
		errs = append(errs, fmt.Errorf("%s: audit.interval: %s is negative (0 turns the audit off)", c.File, time.Duration(*c.Audit.Interval)))
	}
	if c.Webhook.Mode != "" && !slices.Contains(modes, c.Webhook.Mode) {
		errs = append(errs, fmt.Errorf("%s: webhook.mode: unknown mode %q (valid: enforce, warn, audit)", c.File, c.Webhook.Mode))
	}
	if u := c.Webhook.Updates; u != "" && u != UpdatesChanges && u != UpdatesAll {
		errs = append(errs, fmt.Errorf("%s: webhook.updates: unknown value %q (valid: changes, all)", c.File, u))
	}
	if c.Lint.FailOn != "" && c.Lint.FailOn != "none" {
		if _, err := policies.ParseSeverity(c.Lint.FailOn); err != nil {
			errs = append(errs, fmt.Errorf("%s: lint.failOn: %w (or none)", c.File, err))
		}
	}
	for _, p := range c.Lint.IgnorePaths {
		if _, err := filepath.Match(strings.ReplaceAll(p, "**", "*"), ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: lint.ignorePaths: bad pattern %q: %w", c.File, p, err))
		}
	}
	return errors.Join(errs...)
}

// Dir is the directory relative paths in the file are resolved against.
func (c *Config) Dir() string {
	if c.File == "" {
		return "."
	}
	return filepath.Dir(c.File)
}

// EngineOptions turns the configuration into options for policies.New.
func (c *Config) EngineOptions() ([]policies.Option, error) {
	var opts []policies.Option
	if c.KubeVersion != "" {
		v, err := policies.ParseKubeVersion(c.KubeVersion)
		if err != nil {
			return nil, err
		}
		opts = append(opts, policies.WithKubeVersion(v))
	}
	for _, dir := range c.Policies {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(c.Dir(), dir)
		}
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("%s: policies: %s is not a directory (relative paths are relative to %s)", c.atLine(c.policiesLine), dir, c.Dir())
		}
		if !c.Trusted {
			if err := confined(dir, repositoryRoot(c.Dir())); err != nil {
				return nil, fmt.Errorf("%s: policies: %w; a repository's .jobguard.yaml loads rules only from inside the repository (name the directory with --policy to load it anyway)", c.atLine(c.policiesLine), err)
			}
		}
		opts = append(opts, policies.WithPolicyDir(dir))
	}
	if c.Trusted && len(c.Webhook.AllowBuiltins) > 0 {
		opts = append(opts, policies.WithAllowedBuiltins(c.Webhook.AllowBuiltins...))
	}
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		rc := c.Rules[id]
		if rc.Enabled != nil && !*rc.Enabled {
			opts = append(opts, policies.WithDisabled(id))
		}
		if rc.Severity != "" {
			opts = append(opts, policies.WithSeverity(id, rc.Severity))
		}
		if len(rc.Params) > 0 {
			opts = append(opts, policies.WithParams(id, rc.Params))
		}
	}
	return opts, nil
}

// NewEngine builds the engine this configuration describes, plus extra options (flags) applied
// after it. Errors about rules name the line of the file that configures them.
func (c *Config) NewEngine(extra ...policies.Option) (*policies.Engine, error) {
	opts, err := c.EngineOptions()
	if err != nil {
		return nil, err
	}
	engine, err := policies.New(append(opts, extra...)...)
	if err != nil {
		if c.File != "" {
			return nil, fmt.Errorf("%s: %w", c.File, err)
		}
		return nil, err
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		if engine.Rule(id) == nil {
			errs = append(errs, fmt.Errorf("%s: rules.%s: no such rule (run `jobguard rules` to list them)", c.at(id), id))
		}
	}
	for _, id := range c.Webhook.Mutation.OptIn {
		if r := engine.Rule(id); r == nil || r.Fix == nil {
			errs = append(errs, fmt.Errorf("%s: webhook.mutation.optIn: %q is not a rule with a fix", c.File, id))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return engine, nil
}

// ModeFor returns the webhook mode of a finding's rule: the rule's own mode, else webhook.mode,
// else the default for the finding's severity.
func (c *Config) ModeFor(ruleID string, sev policies.Severity) Mode {
	if m := c.Rules[ruleID].Mode; m != "" {
		return m
	}
	if c.Webhook.Mode != "" {
		return c.Webhook.Mode
	}
	return DefaultMode(sev)
}

// JudgeChangesOnly reports whether the webhook judges only what an UPDATE (or a CronJob's Job)
// introduces (webhook.updates: changes, the default).
func (c *Config) JudgeChangesOnly() bool { return c.Webhook.Updates != UpdatesAll }

// MutationEnabled reports whether the mutating webhook applies defaults at all.
func (c *Config) MutationEnabled() bool {
	return c.Webhook.Mutation.Enabled == nil || *c.Webhook.Mutation.Enabled
}

// ApplyFix reports whether a finding's fix is applied: fixes that change behaviour only when opted in.
func (c *Config) ApplyFix(f policies.Finding) bool {
	if f.Fix == nil {
		return false
	}
	return !f.Fix.OptIn || slices.Contains(c.Webhook.Mutation.OptIn, f.Rule)
}

// NamespaceExcluded reports whether the webhook leaves objects in ns alone.
func (c *Config) NamespaceExcluded(ns string) bool {
	return slices.Contains(c.Webhook.ExcludedNamespaces, ns)
}

// Ignored reports whether lint skips the file at path (relative to the working directory).
func (c *Config) Ignored(path string) bool {
	if len(c.Lint.IgnorePaths) == 0 {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	base, err := filepath.Abs(c.Dir())
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, pattern := range c.Lint.IgnorePaths {
		if matchGlob(pattern, rel) {
			return true
		}
	}
	return false
}

// matchGlob matches path.Match patterns where a "**" segment matches any number of directories.
func matchGlob(pattern, name string) bool {
	pp, np := strings.Split(pattern, "/"), strings.Split(name, "/")
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(pp) {
			if pp[i] == "**" {
				for k := j; k <= len(np); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			}
			if j >= len(np) {
				return false
			}
			if ok, _ := filepath.Match(pp[i], np[j]); !ok {
				return false
			}
			i, j = i+1, j+1
		}
		return j == len(np)
	}
	return match(0, 0)
}
