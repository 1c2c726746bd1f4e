package policies

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	opaversion "github.com/open-policy-agent/opa/v1/version"

	"github.com/jobguard/jobguard/policies/irvm"
)

// prebuiltFile holds the bundled rules' metadata and OPA's plan of them, made at build time by
// `make plan`: an engine of the bundled rules alone starts without parsing, compiling and
// planning them, two thirds of a one-file lint run (BENCHMARKS.md). It names the sources it was
// made from; when they differ (the Rego or OPA changed and `make plan` was not run), New plans
// at run time as for custom rules, and TestPrebuiltIsCurrent fails.
//
//go:embed prebuilt.plan
var prebuiltFile []byte

// prebuiltFormat changes when the file's layout does (irvm's encoding of plans has a version of
// its own).
const prebuiltFormat = "jobguard prebuilt plan 2"

// prebuiltHeader is the file's first line, JSON; the encoded plan follows it.
type prebuiltHeader struct {
	Format string         `json:"format"`
	Key    string         `json:"key"`
	Rules  []prebuiltRule `json:"rules"`
}

// prebuiltRule is a rule's metadata with what New otherwise reads from its module.
type prebuiltRule struct {
	*Rule
	Package       []string `json:"package"`
	ReadsWorkload bool     `json:"readsWorkload"`
}

// prebuilt is the decoded file.
type prebuilt struct {
	rules    []prebuiltRule
	policy   *ir.Policy
	builtins map[string]*topdown.Builtin
}

var bundledPrebuilt = sync.OnceValue(func() *prebuilt {
	p, err := decodePrebuilt(prebuiltFile)
	if err != nil {
		return nil
	}
	return p
})

func decodePrebuilt(file []byte) (*prebuilt, error) {
	line, plan, ok := bytes.Cut(file, []byte("\n"))
	if !ok {
		return nil, errors.New("no header")
	}
	var h prebuiltHeader
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&h); err != nil {
		return nil, err
	}
	key, err := bundledKey()
	if err != nil {
		return nil, err
	}
	if h.Format != prebuiltFormat || h.Key != key {
		return nil, errors.New("made from other sources")
	}
	for _, r := range h.Rules {
		for k, v := range r.Params {
			r.Params[k] = yamlNumbers(v)
		}
		if r.Fix != nil {
			r.Fix.Value = yamlNumbers(r.Fix.Value)
		}
	}
	policy, err := irvm.DecodePolicy(plan)
	if err != nil {
		return nil, err
	}
	// rego wraps the rego.Functions it is given: plan a query that calls none to get them.
	_, builtins, err := irvm.Plan(context.Background(), append(BuiltinOptions(), rego.Query("true"))...)
	if err != nil {
		return nil, err
	}
	return &prebuilt{rules: h.Rules, policy: policy, builtins: builtins}, nil
}

// makePrebuilt returns the file prebuiltFile is: the bundled rules, as an engine of them alone
// reads and plans them.
func makePrebuilt() ([]byte, error) {
	e := &Engine{byID: map[string]*Rule{}, queries: map[GroupKind]query{}, opts: defaultOptions()}
	modules, err := e.load()
	if err != nil {
		return nil, err
	}
	compiler, err := e.compile(modules)
	if err != nil {
		return nil, err
	}
	policy, _, err := irvm.Plan(context.Background(), e.queryOptions(compiler, e.rules)...)
	if err != nil {
		return nil, err
	}
	key, err := bundledKey()
	if err != nil {
		return nil, err
	}
	h := prebuiltHeader{Format: prebuiltFormat, Key: key}
	for _, r := range e.rules {
		h.Rules = append(h.Rules, prebuiltRule{Rule: r, Package: refPath(r.pkg), ReadsWorkload: r.readsWorkload})
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	plan, err := irvm.EncodePolicy(policy)
	if err != nil {
		return nil, err
	}
	return append(append(line, '\n'), plan...), nil
}

// bundledKey names what a prebuilt plan is made from: OPA's version and every bundled Rego file.
func bundledKey() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", prebuiltFormat, opaversion.Version)
	err := walkRego(Bundled, false, func(name string, data []byte) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// yamlNumbers turns the JSON numbers in v into the values the YAML of METADATA gives: an int
// for an integer, else a float64.
func yamlNumbers(v any) any {
	return replaceNumbers(v, func(n json.Number) any {
		if i, err := strconv.Atoi(string(n)); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	})
}

// rulesFromPrebuilt returns copies of the prebuilt rules, for one engine.
func (p *prebuilt) rulesFromPrebuilt() []*Rule {
	rules := make([]*Rule, len(p.rules))
	for i, pr := range p.rules {
		r := *pr.Rule
		r.pkg = ast.Ref{ast.DefaultRootDocument}
		for _, k := range pr.Package {
			r.pkg = append(r.pkg, ast.StringTerm(k))
		}
		r.readsWorkload = pr.ReadsWorkload
		rules[i] = &r
	}
	return rules
}
