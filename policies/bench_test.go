package policies_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/policies"
)

// BenchmarkRules evaluates each built-in rule alone on the lint benchmark's sample objects
// (benchcorpus.Sample), and all rules together, to tell where evaluation time goes:
//
//	go test -run '^$' -bench 'Rules/CronJob' ./policies/
//	go test -run '^$' -bench 'Rules/Role/rbac-pods-exec$' -count 5 ./policies/
//
// Together, rules share the library's values (a planned function is evaluated once per object), so
// the parts do not add up to the whole.
func BenchmarkRules(b *testing.B) {
	all, err := policies.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"CronJob", "Job", "Role"} {
		obj := sampleObject(b, kind)
		b.Run(kind+"/all", func(b *testing.B) { benchmarkEvaluate(b, all, obj) })
		for _, r := range all.Rules() {
			if !slices.ContainsFunc(r.Kinds, func(gk policies.GroupKind) bool { return gk.Kind == kind }) {
				continue
			}
			var others []string
			for _, o := range all.Rules() {
				if o.ID != r.ID {
					others = append(others, o.ID)
				}
			}
			alone, err := policies.New(policies.WithDisabled(others...))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(kind+"/"+r.ID, func(b *testing.B) { benchmarkEvaluate(b, alone, obj) })
		}
	}
}

func benchmarkEvaluate(b *testing.B, e *policies.Engine, obj ast.Object) {
	for b.Loop() {
		if _, err := e.Evaluate(context.Background(), obj); err != nil {
			b.Fatal(err)
		}
	}
}

func sampleObject(b *testing.B, kind string) ast.Object {
	b.Helper()
	data, err := yaml.YAMLToJSON([]byte(benchcorpus.Sample(kind)))
	if err != nil {
		b.Fatal(err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	return v.(ast.Object)
}

// BenchmarkNew is what every jobguard process pays before it checks anything: loading,
// compiling and preparing the bundled rules.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := policies.New(); err != nil {
			b.Fatal(err)
		}
	}
}
