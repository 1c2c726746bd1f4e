package policies

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// outsideBuiltins are OPA's builtins that reach outside the jobguard process: the network, name
// resolution, the process's environment. Custom rules are code from the repository being linted
// (or from whoever writes the webhook's configuration); by default they compile without these, so
// that a pull request adding a rule cannot make CI or the webhook pod send requests. Every other
// nondeterministic OPA builtin is listed in localNondeterministic: TestOutsideBuiltinsClassified
// fails when an OPA upgrade adds one that is in neither list.
var outsideBuiltins = map[string]string{
	"http.send":          "sends HTTP requests",
	"net.lookup_ip_addr": "resolves names through DNS",
	"opa.runtime":        "reads the process's environment variables and configuration",
}

// localNondeterministic are nondeterministic OPA builtins that stay inside the process. The JSON
// schema builtins would fetch a $ref's URL, but only from hosts the capabilities' allow_net names:
// none, unless http.send is allowed.
var localNondeterministic = map[string]bool{
	"rand.intn": true, "uuid.rfc4122": true, "time.now_ns": true,
	"io.jwt.encode_sign": true, "io.jwt.encode_sign_raw": true, "io.jwt.decode_verify": true,
	"json.match_schema": true, "json.verify_schema": true,
}

// WithAllowedBuiltins lets rules call builtins that reach outside the process (http.send,
// net.lookup_ip_addr, opa.runtime), which are off by default. An explicit opt-in: jobguard sets it
// from a command-line flag, or for serve from the cluster's configuration, never from a
// repository's own .jobguard.yaml.
func WithAllowedBuiltins(names ...string) Option {
	return func(o *options) {
		for _, n := range names {
			o.allowedBuiltins[n] = true
		}
	}
}

// OutsideBuiltins lists the builtins WithAllowedBuiltins can allow, sorted.
func OutsideBuiltins() []string { return slices.Sorted(maps.Keys(outsideBuiltins)) }

func (o *options) checkAllowedBuiltins() error {
	for _, n := range slices.Sorted(maps.Keys(o.allowedBuiltins)) {
		if _, ok := outsideBuiltins[n]; !ok {
			return fmt.Errorf("allowed builtin %q: not one that is off by default (those are: %s)", n, strings.Join(OutsideBuiltins(), ", "))
		}
	}
	return nil
}

// capabilities are OPA's own, less the builtins that reach outside the process unless allowed,
// plus the jobguard builtins. allow_net names no host unless http.send is allowed.
func capabilities(allowed map[string]bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	if !allowed["http.send"] {
		caps.AllowNet = []string{}
	}
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		_, outside := outsideBuiltins[b.Name]
		return outside && !allowed[b.Name]
	})
	for _, b := range TesterBuiltins() {
		caps.Builtins = append(caps.Builtins, b.Decl)
	}
	return caps
}

// BuiltinNotAllowedError is a rule that calls a builtin that reaches outside the process, which
// is not allowed.
type BuiltinNotAllowedError struct {
	Builtin string
	File    string
	Line    int
}

func (e *BuiltinNotAllowedError) Error() string {
	return fmt.Sprintf("%s:%d: %s %s, which rules may not do unless it is allowed explicitly: "+
		"jobguard lint or serve --allow-builtin %s (serve also takes webhook.allowBuiltins in its configuration)",
		e.File, e.Line, e.Builtin, outsideBuiltins[e.Builtin], e.Builtin)
}

var undefinedFunction = regexp.MustCompile(`^undefined function (\S+)$`)

// notAllowed finds, among compile errors, the call of a builtin that is off, and describes it.
func notAllowed(errs ast.Errors) error {
	for _, e := range errs {
		m := undefinedFunction.FindStringSubmatch(e.Message)
		if m == nil {
			continue
		}
		if _, outside := outsideBuiltins[m[1]]; outside {
			err := &BuiltinNotAllowedError{Builtin: m[1]}
			if e.Location != nil {
				err.File, err.Line = e.Location.File, e.Location.Row
			}
			return err
		}
	}
	return nil
}
