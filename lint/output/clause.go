package output

import (
	"slices"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// maxAside is the longest parenthesised aside a short message keeps: "(group apps)" stays, the
// API server's explanation of a name format goes.
const maxAside = 40

// shortClause returns a message's first clause: the text before the first ", ", ": ", "; " or
// " — " that is not inside quotes, backticks or brackets, without long parenthesised asides.
// A note lint adds about an ignore comment without a reason is kept.
func shortClause(message string) string {
	message, note := splitIgnoreNote(message)
	var out strings.Builder
	depth, asideStart := 0, -1
	var quote rune
	runes := []rune(message)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote != 0:
			if r == '\\' && quote == '"' && i+1 < len(runes) {
				out.WriteRune(r)
				i++
				r = runes[i]
			} else if r == quote {
				quote = 0
			}
		case r == '"' || r == '`':
			quote = r
		case r == '(' || r == '[' || r == '{':
			if depth == 0 && r == '(' {
				asideStart = out.Len()
			}
			depth++
		case r == ')' || r == ']' || r == '}':
			depth = max(0, depth-1)
			if depth == 0 && r == ')' && asideStart >= 0 {
				if out.Len()+1-asideStart > maxAside {
					kept := strings.TrimRight(out.String()[:asideStart], " ")
					out.Reset()
					out.WriteString(kept)
					asideStart = -1
					continue
				}
				asideStart = -1
			}
		case depth == 0 && i+1 < len(runes) && runes[i+1] == ' ' && r == ':' && !hasVerb(out.String()):
			// "label team: value "x/y" is not valid": the part before the colon names the subject
		case depth == 0 && i+1 < len(runes) && runes[i+1] == ' ' && (r == ',' || r == ':' || r == ';'):
			return strings.TrimSpace(out.String()) + note
		case depth == 0 && r == ' ' && i+2 < len(runes) && runes[i+1] == '—' && runes[i+2] == ' ':
			return strings.TrimSpace(out.String()) + note
		}
		out.WriteRune(r)
	}
	return strings.TrimSpace(out.String()) + note
}

// shortMessage is a finding's short message: its first clause, with the notes lint appended
// that say where to fix it (the Helm values the field came from) or why an ignore comment did
// not apply.
func shortMessage(f policies.Finding) string {
	msg, ignoreNote := splitIgnoreNote(f.Message)
	values := lint.ValuesNote(f)
	if rest, ok := strings.CutSuffix(msg, values); ok && values != "" {
		return shortClause(rest) + values + ignoreNote
	}
	return shortClause(msg) + ignoreNote
}

// verbs are the verbs rule messages state things with; a clause without one only names its
// subject ("env 0 of container "main"") and goes on after its colon.
var verbs = map[string]bool{
	"is": true, "are": true, "was": true, "has": true, "have": true, "must": true, "needs": true,
	"grants": true, "uses": true, "does": true, "can": true, "cannot": true, "lacks": true, "never": true,
	"starts": true, "runs": true, "fires": true, "matches": true, "binds": true, "gives": true,
	"sets": true, "holds": true, "allows": true, "requires": true, "rejects": true, "names": true,
}

func hasVerb(clause string) bool {
	for _, w := range strings.Fields(clause) {
		if verbs[w] {
			return true
		}
	}
	return false
}

// splitIgnoreNote separates the note lint appends to a message when an ignore comment gives no
// reason (lint.Linter, WithRequireReasons): it says why the comment did not apply, which a short
// message must keep.
func splitIgnoreNote(message string) (string, string) {
	if i := strings.LastIndex(message, " (the "+lint.IgnoreDirective+" comment on line "); i >= 0 && strings.HasSuffix(message, ")") {
		return message[:i], message[i:]
	}
	return message, ""
}

// maxMergedWords bounds what may differ between findings merged into one line: a permission
// ("patch on deployments/scale"), not a sentence.
const maxMergedWords = 6

// mergeClauses is the short message of findings of one rule at one place: one finding's first
// clause, or, for several that differ only in a few words (a rule that names one permission per
// finding), the clause with the differing words listed: "`kubectl scale …` needs get on
// deployments, patch on deployments/scale (group apps) "web"". Findings that differ more (two
// kubectl commands of one script) are joined with "; ".
func mergeClauses(findings []policies.Finding) string {
	var clauses []string
	for _, f := range findings {
		c := shortMessage(f)
		if !slices.Contains(clauses, c) {
			clauses = append(clauses, c)
		}
	}
	if len(clauses) == 1 {
		return clauses[0]
	}
	words := make([][]string, len(clauses))
	for i, c := range clauses {
		words[i] = strings.Split(c, " ")
	}
	shortest := len(words[0])
	for _, w := range words {
		shortest = min(shortest, len(w))
	}
	prefix := 0
	for prefix < shortest && allEqual(words, func(w []string) string { return w[prefix] }) {
		prefix++
	}
	suffix := 0
	for suffix < shortest-prefix && allEqual(words, func(w []string) string { return w[len(w)-1-suffix] }) {
		suffix++
	}
	var middles []string
	for _, w := range words {
		middle := w[prefix : len(w)-suffix]
		if len(middle) == 0 || len(middle) > maxMergedWords || prefix == 0 {
			return strings.Join(clauses, "; ")
		}
		middles = append(middles, strings.Join(middle, " "))
	}
	parts := append(append(append([]string{}, words[0][:prefix]...), strings.Join(middles, ", ")), words[0][len(words[0])-suffix:]...)
	return strings.Join(parts, " ")
}

func allEqual(words [][]string, at func([]string) string) bool {
	first := at(words[0])
	for _, w := range words[1:] {
		if at(w) != first {
			return false
		}
	}
	return true
}
