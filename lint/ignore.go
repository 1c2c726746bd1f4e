package lint

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// IgnoreDirective starts a comment that exempts the field below it, and everything under that
// field, from rules: `# jobguard:ignore <rule-id>[,<rule-id>...] <reason>`.
const IgnoreDirective = "jobguard:ignore"

// Suppression is a finding that an ignore comment exempted.
type Suppression struct {
	Finding policies.Finding `json:"finding"`
	// Reason is the comment's text after the rule ids; empty when none was given.
	Reason string `json:"reason"`
	// Line is where the comment is.
	Line int `json:"line"`
}

// sortSuppressions orders suppressions as policies.SortFindings orders findings: objects are
// evaluated concurrently, and the report must not depend on which finished first.
func sortSuppressions(s []Suppression) {
	slices.SortStableFunc(s, func(a, b Suppression) int { return policies.CompareFindings(a.Finding, b.Finding) })
}

// suppression looks for an ignore comment naming rule above any field on path.
func suppression(root *yaml.Node, path policies.FieldPath, rule string) (reason string, line int, ok bool) {
	check := func(nodes ...*yaml.Node) bool {
		for _, n := range nodes {
			if n != nil && n.HeadComment != "" {
				if reason, ok = ignoreComment(n.HeadComment, rule); ok {
					line = n.Line - 1
					return true
				}
			}
		}
		return false
	}
	n := root
	for _, seg := range path {
		n = resolveAlias(n)
		switch seg := seg.(type) {
		case string:
			key, value := entry(n, seg)
			if key == nil || check(key, value) {
				return reason, line, ok
			}
			n = value
		case int:
			if n.Kind != yaml.SequenceNode || seg < 0 || seg >= len(n.Content) {
				return "", 0, false
			}
			n = n.Content[seg]
			if check(n) {
				return reason, line, ok
			}
		}
	}
	return "", 0, false
}

// ignoreComment parses the comment lines above a node for a directive naming rule.
func ignoreComment(comment, rule string) (reason string, ok bool) {
	for l := range strings.SplitSeq(comment, "\n") {
		l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "#"))
		rest, found := strings.CutPrefix(l, IgnoreDirective)
		if !found || rest != "" && rest[0] != ' ' {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if slices.Contains(strings.Split(fields[0], ","), rule) {
			return strings.Join(fields[1:], " "), true
		}
	}
	return "", false
}
