package kubectl

import (
	"slices"
	"strings"
	"testing"
)

// render shows an invocation's arguments, with unresolved words in <>, or
// its unresolved reason.
func render(inv Invocation) string {
	if inv.Unresolved != "" {
		return "unresolved: " + inv.Unresolved
	}
	words := make([]string, len(inv.Args))
	for i, w := range inv.Args {
		words[i] = w.Value
		if !w.Resolved {
			words[i] = "<" + w.Value + ">"
		}
	}
	return strings.Join(words, " ")
}

// matches compares got with want, a prefix when it ends with "*".
func matches(got, want string) bool {
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return got == want
}

func sh(script string) []string { return []string{"sh", "-c", script} }

func TestFind(t *testing.T) {
	tests := []struct {
		name          string
		command, args []string
		want          []string
	}{
		{
			name:    "seed: scale in sh -c",
			command: sh("kubectl scale deployment example-deployment -n example-namespace --replicas=0"),
			want:    []string{"scale deployment example-deployment -n example-namespace --replicas=0"},
		},
		{
			name:    "exec keeps the remote command",
			command: sh("kubectl exec example-redis -n redis -- redis-cli flushall"),
			want:    []string{"exec example-redis -n redis -- redis-cli flushall"},
		},
		{
			name: "multi-line script",
			command: sh(`set -e
kubectl scale deploy web --replicas=0 && kubectl exec redis -- redis-cli flushall | grep x
if kubectl get cm cfg; then echo found; fi`),
			want: []string{
				"scale deploy web --replicas=0",
				"exec redis -- redis-cli flushall",
				"get cm cfg",
			},
		},
		{
			name:    "argv",
			command: []string{"kubectl", "get", "pods"},
			want:    []string{"get pods"},
		},
		{
			name:    "args are appended to command",
			command: []string{"/usr/local/bin/kubectl"},
			args:    []string{"delete", "job", "old"},
			want:    []string{"delete job old"},
		},
		{
			name:    "script in args",
			command: []string{"/bin/sh", "-c"},
			args:    []string{"kubectl get pods"},
			want:    []string{"get pods"},
		},
		{
			name: "no command: args are the command line",
			args: []string{"kubectl", "get", "pods"},
			want: []string{"get pods"},
		},
		{
			name: "no command: -c args go to a shell entrypoint",
			args: []string{"-c", "kubectl get pods"},
			want: []string{"get pods"},
		},
		{
			name: "no command: unknown entrypoint",
			args: []string{"get", "pods"},
		},
		{
			name:    "pipes, lists and subshells",
			command: sh("(kubectl get pods || true); kubectl get svc | wc -l; ! kubectl get ns x && echo gone"),
			want:    []string{"get pods", "get svc", "get ns x"},
		},
		{
			name:    "command substitution",
			command: sh("for p in $(kubectl get pods -o name); do kubectl delete $p; done"),
			want:    []string{"get pods -o name", "delete <$p>"},
		},
		{
			name:    "loops, functions, background and time",
			command: sh("until kubectl get job j; do sleep 1; done\nf() { kubectl get cm; }\nf\nkubectl port-forward svc/web 8080 &\ntime kubectl get no"),
			want:    []string{"get job j", "get cm", "port-forward svc/web 8080", "get no"},
		},
		{
			name:    "here-document",
			command: sh("kubectl apply -f - <<EOF\napiVersion: v1\nEOF"),
			want:    []string{"apply -f -"},
		},
		{
			name:    "quotes and escapes",
			command: sh(`kubectl annotate pod 'web-1' note="a b" x\ y "$(date)"`),
			want:    []string{`annotate pod web-1 note=a b x y <$(date)>`},
		},
		{
			name:    "brace expansion and tilde are not literal",
			command: sh("kubectl delete pod/{a,b} --kubeconfig ~/.kube/config"),
			want:    []string{"delete <pod/{a,b}> --kubeconfig <~/.kube/config>"},
		},
		{
			name:    "wrappers",
			command: sh("exec kubectl get a; env -i X=1 kubectl get b; timeout -s KILL 30s kubectl get c; nice -n 5 nohup kubectl get d; sudo -u bot kubectl get e; command kubectl get f; tini -- kubectl get g"),
			want:    []string{"get a", "get b", "get c", "get d", "get e", "get f", "get g"},
		},
		{
			name:    "wrappers in argv",
			command: []string{"timeout", "300", "/usr/bin/kubectl", "wait", "--for=condition=complete", "job/x"},
			want:    []string{"wait --for=condition=complete job/x"},
		},
		{
			name:    "lookups do not run kubectl",
			command: sh("command -v kubectl; which kubectl; echo kubectl get pods; kubectl-foo get"),
		},
		{
			name:    "xargs appends arguments",
			command: sh("kubectl get pods -o name | xargs -I{} kubectl delete {}"),
			want:    []string{"get pods -o name", "unresolved: xargs appends arguments read from its input"},
		},
		{
			name:    "nested shells",
			command: sh(`echo start; bash -c "sh -c 'kubectl get pods'"`),
			want:    []string{"get pods"},
		},
		{
			name:    "shell options",
			command: []string{"bash", "-euo", "pipefail", "--login", "-c", "kubectl get pods"},
			want:    []string{"get pods"},
		},
		{
			name:    "script files are not read",
			command: []string{"sh", "/scripts/run.sh", "kubectl"},
		},
		{
			name:    "busybox shell",
			command: []string{"busybox", "sh", "-c", "kubectl get pods"},
			want:    []string{"get pods"},
		},
		{
			name:    "eval",
			command: sh(`eval "kubectl get pods"; eval "kubectl get $X"`),
			want:    []string{"get pods", "unresolved: eval of a script that is not a literal"},
		},
		{
			name:    "command name from a variable",
			command: sh("$BIN/kubectl get pods; ${KUBECTL:-kubectl} get svc; $TOOL get cm"),
			want:    []string{"get pods", "unresolved: command name ${KUBECTL:-kubectl} is not a literal"},
		},
		{
			name:    "Kubernetes $(VAR) references in argv",
			command: []string{"kubectl", "-n", "$(POD_NAMESPACE)", "get", "pods", "-o", "jsonpath=$$(x)"},
			want:    []string{"-n <$(POD_NAMESPACE)> get pods -o jsonpath=$$(x)"},
		},
		{
			name:    "Kubernetes $(VAR) references in a script",
			command: sh("kubectl -n $(NS) get pods"),
			want:    []string{"-n <$(NS)> get pods"},
		},
		{
			name:    "unparsable script mentioning kubectl",
			command: sh("kubectl get pods; if then"),
			want:    []string{"unresolved: cannot parse shell script: *"},
		},
		{
			name:    "unparsable script without kubectl",
			command: sh("echo 'unterminated"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, inv := range Find(tt.command, tt.args) {
				got = append(got, render(inv))
			}
			if !slices.EqualFunc(got, tt.want, matches) {
				t.Errorf("Find() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestFindVariables(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"literal assignment", "NS=redis; kubectl -n $NS get pods", "-n redis get pods"},
		{"braces and quotes", "NS='my-ns'\nkubectl -n \"${NS}\" get pods", "-n my-ns get pods"},
		{"export", "export NS=redis\nkubectl -n $NS get pods", "-n redis get pods"},
		{"used inside a loop", "NS=redis\nwhile true; do kubectl -n $NS get pods; done", "-n redis get pods"},
		{"part of a word", "APP=web; kubectl get deploy/$APP-api", "get deploy/web-api"},
		{"assigned twice", "NS=a; NS=b; kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"assigned in a branch", "if true; then NS=a; fi; kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"assigned after use", "kubectl -n $NS get pods; NS=a", "-n <$NS> get pods"},
		{"prefix assignment", "NS=a kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"read", "NS=a; read NS; kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"loop variable", "NS=a; for NS in b c; do kubectl -n $NS get pods; done", "-n <$NS> get pods"},
		{"not a literal", "NS=$(cat /ns); kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"sourced file may set it", "NS=a; . ./env; kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"default assignment", "NS=a; : ${NS:=b}; kubectl -n $NS get pods", "-n <$NS> get pods"},
		{"unquoted spaces would split", "L='a b'; kubectl get pods -l $L", "get pods -l <$L>"},
		{"quoted spaces stay one word", `L='app in (a, b)'; kubectl get pods -l "$L"`, "get pods -l app in (a, b)"},
		{"expansion operators", "NS=a; kubectl -n ${NS:-b} get pods", "-n <${NS:-b}> get pods"},
		{"positional parameters", "kubectl -n $1 get pods", "-n <$1> get pods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			invs := Find(sh(tt.script), nil)
			if len(invs) != 1 {
				t.Fatalf("Find() found %d invocations, want 1", len(invs))
			}
			if got := render(invs[0]); got != tt.want {
				t.Errorf("Find() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindPosition(t *testing.T) {
	script := "set -e\nkubectl get pods\necho $(kubectl get ns)"
	tests := []struct {
		name          string
		command, args []string
		want          []Position
		text          []string
	}{
		{
			name:    "script in command",
			command: sh(script),
			want:    []Position{{"command", 2, 7}, {"command", 2, 31}},
			text:    []string{"kubectl get pods", "kubectl get ns"},
		},
		{
			name:    "script in args",
			command: []string{"/bin/bash", "-c"},
			args:    []string{script},
			want:    []Position{{"args", 0, 7}, {"args", 0, 31}},
			text:    []string{"kubectl get pods", "kubectl get ns"},
		},
		{
			name:    "argv with a wrapper",
			command: []string{"timeout", "60"},
			args:    []string{"kubectl", "get", "pods"},
			want:    []Position{{"args", 0, 0}},
			text:    []string{"timeout 60 kubectl get pods"},
		},
		{
			name:    "nested script keeps the outer offset",
			command: sh("true\nsh -c 'true; kubectl get pods'"),
			want:    []Position{{"command", 2, 5}},
			text:    []string{"kubectl get pods"},
		},
		{
			name:    "argv text is quoted",
			command: []string{"kubectl", "annotate", "pod", "x", "note=a b"},
			want:    []Position{{"command", 0, 0}},
			text:    []string{"kubectl annotate pod x 'note=a b'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			invs := Find(tt.command, tt.args)
			var pos []Position
			var text []string
			for _, inv := range invs {
				pos = append(pos, inv.Position)
				text = append(text, inv.Text)
			}
			if !slices.Equal(pos, tt.want) {
				t.Errorf("positions = %v, want %v", pos, tt.want)
			}
			if !slices.Equal(text, tt.text) {
				t.Errorf("texts = %q, want %q", text, tt.text)
			}
		})
	}
}
