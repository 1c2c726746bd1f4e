package policies

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/jobguard/jobguard/policies/workload"
)

// RuleErrors says that some rules failed while evaluating one object (a custom rule's runtime
// error: two values for one complete rule, a type error); Evaluate returns it with the findings of
// the rules that did not fail.
type RuleErrors struct {
	Object ObjectRef
	Errors []RuleError
}

// RuleError is one rule's failure on one object.
type RuleError struct {
	Rule string
	Err  error
}

func (e *RuleErrors) Error() string {
	var parts []string
	for _, re := range e.Errors {
		parts = append(parts, fmt.Sprintf("rule %s failed on %s: %v", re.Rule, e.Object, re.Err))
	}
	return strings.Join(parts, "; ")
}

type singleQuery struct {
	once sync.Once
	pq   rego.PreparedEvalQuery
	err  error
}

// evaluateEach runs the rules obj's evaluation would run one at a time: the findings of those
// that succeed, and a *RuleErrors naming those that fail.
func (e *Engine) evaluateEach(ctx context.Context, obj ast.Object, ref ObjectRef, rules []*Rule, model *workload.Workload) ([]Finding, error) {
	input := inputTerm(obj, model)
	ignored := ignoredRules(obj)
	var out []Finding
	failed := &RuleErrors{Object: ref}
	for _, r := range rules {
		if ignored[r.ID] {
			continue
		}
		sq, _ := e.single.LoadOrStore(r.ID, &singleQuery{})
		q := sq.(*singleQuery)
		q.once.Do(func() { q.pq, q.err = e.prepare([]*Rule{r}) })
		if q.err != nil {
			return nil, fmt.Errorf("evaluating %s: preparing rule %s alone: %w", ref, r.ID, q.err)
		}
		cancel := topdown.NewCancel()
		stop := context.AfterFunc(ctx, cancel.Cancel)
		rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel), rego.EvalMetrics(metrics.NoOp()),
			rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }))
		stop()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("evaluating %s: %w", ref, ctx.Err())
		}
		if err != nil {
			failed.Errors = append(failed.Errors, RuleError{Rule: r.ID, Err: describeEvalError(err)})
			continue
		}
		findings, err := e.findingsOf(rs, ref, ignored)
		if err != nil {
			failed.Errors = append(failed.Errors, RuleError{Rule: r.ID, Err: err})
			continue
		}
		out = append(out, findings...)
	}
	if len(failed.Errors) == 0 {
		return out, nil
	}
	return out, failed
}

// describeEvalError keeps OPA's message and the rule's file and line.
func describeEvalError(err error) error {
	var te *topdown.Error
	if errors.As(err, &te) {
		msg := strings.Join(strings.Fields(te.Message), " ") // one line: conflicts list each value
		if te.Location != nil && !strings.Contains(msg, te.Location.File) {
			return fmt.Errorf("%s: %s (%s:%d)", te.Code, msg, te.Location.File, te.Location.Row)
		}
		return fmt.Errorf("%s: %s", te.Code, msg)
	}
	return err
}
