package policies

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/jobguard/jobguard/internal/astjson"
)

// surelyDecodesTypes are the kinds decode_errors decodes most, and one with every field shape.
var surelyDecodesTypes = []reflect.Type{
	reflect.TypeFor[batchv1.Job](), reflect.TypeFor[batchv1.CronJob](), reflect.TypeFor[rbacv1.ClusterRole](),
	reflect.TypeFor[rbacv1.RoleBinding](), reflect.TypeFor[corev1.ServiceAccount](), reflect.TypeFor[corev1.Pod](),
}

// FuzzSurelyDecodes checks that the fast path of decode_errors is never wrong when it is sure:
// an object it says decodes must decode with the API server's decoder.
func FuzzSurelyDecodes(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a", "creationTimestamp": null, "labels": {"a": "b"}},
		  "spec": {"completions": 2, "template": {"spec": {"containers": [{"name": "c", "image": "i",
		  "resources": {"limits": {"cpu": "500m", "memory": 1e3}}, "ports": [{"containerPort": 80}]}]}}}}`,
		`{"spec": {"parallelism": 1.5}}`,
		`{"spec": {"parallelism": 1e2}}`,
		`{"spec": {"parallelism": 4294967296}}`,
		`{"spec": {"parallelism": "1"}}`,
		`{"spec": {"Parallelism": 1}}`,
		`{"spec": {"schedule": "* * * * *", "suspend": true, "jobTemplate": {"spec": {"ttlSecondsAfterFinished": -1}}}}`,
		`{"metadata": {"creationTimestamp": "2020-01-01T00:00:00Z", "deletionTimestamp": "yesterday"}}`,
		`{"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}], "aggregationRule": null}`,
		`{"subjects": [{"kind": "User", "name": "x"}], "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"}}`,
		`{"secrets": [{"name": "s"}], "automountServiceAccountToken": false, "imagePullSecrets": [null]}`,
		`{"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "protocol": "TCP", "hostPort": -0}]}], "overhead": {"cpu": null}}}`,
		`{"spec": {"template": {"spec": {"containers": [{"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": 1}}}]}]}}}}`,
	} {
		for i := range surelyDecodesTypes {
			f.Add([]byte(seed), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		v, err := ast.ValueFromReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		typ := surelyDecodesTypes[int(which)%len(surelyDecodesTypes)]
		if !surelyDecodes(v, typ) {
			return
		}
		js, err := astjson.Append(nil, v)
		if err != nil {
			t.Fatalf("surelyDecodes took %s, which is not JSON: %v", data, err)
		}
		if !decodes(js, typ) {
			t.Fatalf("surelyDecodes says %s decodes into %s; the decoder rejects it", data, typ)
		}
	})
}
