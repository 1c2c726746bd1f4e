package irvm

import (
	"context"
	"math"
	"sync"

	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
)

// CodecTarget prepares a query as Target does, but from its plan after EncodePolicy and
// DecodePolicy: the tests evaluate decoded plans through it.
const CodecTarget = "jobguard-ir-codec"

// Planned is what a query prepared with CodecTarget was planned to, and what decoding gave.
type Planned struct {
	Policy, Decoded *ir.Policy
	Encoded         []byte
}

type plannedKey struct{}

// WithPlanned returns a context whose CodecTarget preparation fills p.
func WithPlanned(ctx context.Context, p *Planned) context.Context {
	return context.WithValue(ctx, plannedKey{}, p)
}

var registerCodecOnce sync.Once

// RegisterCodec makes CodecTarget, and Target, known to package rego.
func RegisterCodec() {
	Register()
	registerCodecOnce.Do(func() { rego.RegisterPlugin(CodecTarget, codecPlugin{}) })
}

type codecPlugin struct{}

func (codecPlugin) IsTarget(t string) bool { return t == CodecTarget }

func (codecPlugin) PrepareForEval(ctx context.Context, policy *ir.Policy, opts ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	b, err := EncodePolicy(policy)
	if err != nil {
		return nil, err
	}
	decoded, err := DecodePolicy(b)
	if err != nil {
		return nil, err
	}
	if p, ok := ctx.Value(plannedKey{}).(*Planned); ok {
		*p = Planned{Policy: policy, Decoded: decoded, Encoded: b}
	}
	return plugin{}.PrepareForEval(ctx, decoded, opts...)
}

// MaxNesting is how deeply blocks may nest in an encoded plan.
const MaxNesting = maxNesting

// EncodeUnbounded encodes as EncodePolicy does, however deeply blocks nest, for the decoder's
// bound to be tested.
func EncodeUnbounded(p *ir.Policy) []byte {
	b, err := encode(p, math.MaxInt)
	if err != nil {
		panic(err)
	}
	return b
}
