package kubectl

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		args string
		// want shows the path, positional arguments, flags sorted by name
		// and the arguments after "--".
		want string
	}{
		{"get pods", "[get] [pods] [] []"},
		{"-n prod get pods", "[get] [pods] [namespace=prod] []"},
		{"get -n prod pods", "[get] [pods] [namespace=prod] []"},
		{"get pods --namespace prod", "[get] [pods] [namespace=prod] []"},
		{"get pods --namespace=prod", "[get] [pods] [namespace=prod] []"},
		{"get pods -nprod", "[get] [pods] [namespace=prod] []"},
		{"get pods -n=prod", "[get] [pods] [namespace=prod] []"},
		{"get pods --all_namespaces", "[get] [pods] [all-namespaces=true] []"},
		{"get pods -Aw", "[get] [pods] [all-namespaces=true watch=true] []"},
		{"get pods -w=false", "[get] [pods] [watch=false] []"},
		{"get pods -lapp=web -o name", "[get] [pods] [output=name selector=app=web] []"},
		{"--kubeconfig /k -v 6 rollout -n x status deploy/web", "[rollout status] [deploy/web] [kubeconfig=/k namespace=x v=6] []"},
		{"logs -f web -p", "[logs] [web] [follow=true previous=true] []"},
		{"patch deploy web -p {}", "[patch] [deploy web] [patch={}] []"},
		{"exec web -it -c app -- ls -l", "[exec] [web] [container=app stdin=true tty=true] [ls -l]"},
		{"exec web -- kubectl -n x get pods", "[exec] [web] [] [kubectl -n x get pods]"},
		{"delete pod x --dry-run server", "[delete] [pod x server] [dry-run=unchanged] []"},
		{"delete pod x --dry-run=server", "[delete] [pod x] [dry-run=server] []"},
		{"create secret generic s --from-literal=a=b", "[create secret generic] [s] [from-literal=a=b] []"},
		{"create cm c", "[create configmap] [c] [] []"},
		{"create -f job.yaml", "[create] [] [filename=job.yaml] []"},
		{"top po", "[top pod] [] [] []"},
		{"set env deploy/web -e A=1 --prefix P_", "[set env] [deploy/web] [env=A=1 prefix=P_] []"},
		{"top pod --containers web", "[top pod] [web] [containers=true] []"},
		{"logs --tail -1 web", "[logs] [web] [tail=-1] []"},
		{"frobnicate --help", "[frobnicate] [] [help=true] []"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			var words []Word
			for _, f := range strings.Fields(tt.args) {
				words = append(words, literal(f))
			}
			c, err := parseCmdline(words)
			if err != nil {
				t.Fatal(err)
			}
			var flags []string
			for name, values := range c.flags {
				for _, v := range values {
					flags = append(flags, name+"="+v.Value)
				}
			}
			slices.Sort(flags)
			got := fmt.Sprintf("[%s] %v %v %v", c.command(), values(c.args), flags, values(c.dash))
			if got != tt.want {
				t.Errorf("parseCmdline() = %s, want %s", got, tt.want)
			}
		})
	}
}

func values(words []Word) []string {
	out := []string{}
	for _, w := range words {
		out = append(out, w.Value)
	}
	return out
}

func TestParseCmdlineErrors(t *testing.T) {
	tests := []struct{ args, reason string }{
		{"get pods --frobnicate", "unknown flag --frobnicate"},
		{"get pods -Z", "unknown shorthand flag -Z"},
		{"get pods -n", "flag -n needs an argument"},
		{"get pods --selector", "flag --selector needs an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			var words []Word
			for _, f := range strings.Fields(tt.args) {
				words = append(words, literal(f))
			}
			_, err := parseCmdline(words)
			if err == nil || err.(*UnresolvedError).Reason != tt.reason {
				t.Errorf("parseCmdline() error = %v, want %q", err, tt.reason)
			}
		})
	}
}

// The flag tables must not contradict each other.
func TestFlagTables(t *testing.T) {
	for name := range valueFlags {
		if boolFlags[name] {
			t.Errorf("--%s is both a value and a boolean flag", name)
		}
	}
	for name := range optionalValue {
		if !valueFlags[name] {
			t.Errorf("--%s has an optional value but is not a value flag", name)
		}
	}
	for _, long := range shorthands {
		if !valueFlags[long] && !boolFlags[long] {
			t.Errorf("shorthand for unknown flag --%s", long)
		}
	}
}
