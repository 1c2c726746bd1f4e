package policies_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies"
)

// TestEvaluateConcurrently: one engine evaluates objects from many goroutines, as the webhook
// does, and each evaluation finds what a lone one finds. The planned rules share their program
// and the objects their values: an evaluation that wrote into either would change the others'
// findings here, and `go test -race` names the write.
func TestEvaluateConcurrently(t *testing.T) {
	engine := newEngine(t)
	var objects []ast.Object
	var want [][]policies.Finding
	for _, kind := range []string{"CronJob", "Job", "Role"} {
		obj := sampleObject(t, kind)
		findings, err := engine.Evaluate(context.Background(), obj)
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) == 0 {
			t.Fatalf("the %s sample has no findings: nothing to compare", kind)
		}
		objects, want = append(objects, obj), append(want, findings)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(objects))
	for g := range 8 {
		wg.Go(func() {
			for round := range 20 {
				i := (g + round) % len(objects)
				got, err := engine.Evaluate(context.Background(), objects[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				if !reflect.DeepEqual(got, want[i]) {
					errs <- "concurrent findings differ from a lone evaluation's"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
