package load

import (
	"github.com/jobguard/jobguard/internal/testkit"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Paths of jobguard's webhooks (webhook.ValidatePath and webhook.MutatePath; package load does
// not import package webhook, so that the webhook package's tests can import it).
const (
	ValidatePath = "/validate"
	MutatePath   = "/mutate"
)

// UIDLen is the length of the UID every request carries (a UUID's).
const UIDLen = 36

// uidPlaceholder marks where a body's UID goes; replaced in place, so the length never changes.
const uidPlaceholder = "loadgen0-uid0-0000-0000-placeholder0"

// Body is one AdmissionReview of the mix, with a fresh UID written into it for each request.
type Body struct {
	// Name says what it is: "job-restart-policy/bad.yaml Job shop/migrate CREATE /validate".
	Name      string
	Path      string // ValidatePath or MutatePath
	Kind      string // the object's kind
	Operation string // CREATE or UPDATE
	DryRun    bool

	template []byte
	uidAt    int
}

// Fill returns the body with uid (UIDLen characters) as the request's UID, in a new slice.
func (b *Body) Fill(uid string) []byte {
	if len(uid) != UIDLen {
		panic(fmt.Sprintf("load: UID %q is not %d characters long", uid, UIDLen))
	}
	out := slices.Clone(b.template)
	copy(out[b.uidAt:], uid)
	return out
}

// Size is the length of the body in bytes.
func (b *Body) Size() int { return len(b.template) }

// Object is a manifest of the fixtures, as JSON.
type Object struct {
	File       string // relative to the fixtures directory
	JSON       []byte
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
}

// reviewedKinds are the kinds jobguard's webhook configurations send it (deploy/base/webhooks.yaml);
// the mutating webhook gets Jobs and CronJobs.
var reviewedKinds = map[string]bool{
	"Job": true, "CronJob": true,
	"Role": true, "ClusterRole": true, "RoleBinding": true, "ClusterRoleBinding": true,
}

func mutated(kind string) bool { return kind == "Job" || kind == "CronJob" }

// FindTestdata returns the testdata directory of the jobguard module that holds the working
// directory (found by walking up to its go.mod).
func FindTestdata() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(mod, []byte("module github.com/jobguard/jobguard\n")) {
			return filepath.Join(dir, "testdata"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("load: not inside the jobguard module: give the testdata directory")
		}
		dir = parent
	}
}

// ReadFixtures reads the Jobs, CronJobs, Roles, ClusterRoles and their bindings of every
// <rule>/good.yaml and <rule>/bad.yaml under dir (jobguard's testdata), in a stable order.
func ReadFixtures(dir string) ([]Object, error) {
	var files []string
	for _, name := range []string{"good.yaml", "bad.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, "*", name))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	var objs []Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, f)
		docs, err := testkit.JSONDocuments(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, j := range docs {
			var m struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if bytes.Equal(bytes.TrimSpace(j), []byte("null")) || json.Unmarshal(j, &m) != nil || !reviewedKinds[m.Kind] {
				continue
			}
			objs = append(objs, Object{File: filepath.ToSlash(rel), JSON: j, APIVersion: m.APIVersion, Kind: m.Kind,
				Name: m.Metadata.Name, Namespace: m.Metadata.Namespace})
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("load: no Job, CronJob or RBAC manifests in %s/*/{good,bad}.yaml", dir)
	}
	return objs, nil
}

// Mix turns objects into the AdmissionReviews the API server would send for them: a CREATE and
// an UPDATE to /validate for every object, and a CREATE to /mutate for Jobs and CronJobs. Every
// fourth review is a dry run.
func Mix(objs []Object) ([]Body, error) {
	var bodies []Body
	for _, o := range objs {
		for _, c := range []struct {
			path string
			op   admissionv1.Operation
		}{{ValidatePath, admissionv1.Create}, {ValidatePath, admissionv1.Update}, {MutatePath, admissionv1.Create}} {
			if c.path == MutatePath && !mutated(o.Kind) {
				continue
			}
			b, err := newBody(o, c.path, c.op, len(bodies)%4 == 3)
			if err != nil {
				return nil, err
			}
			bodies = append(bodies, b)
		}
	}
	return bodies, nil
}

// MixFrom reads the fixtures of dir ("" finds the module's testdata) and returns their Mix.
func MixFrom(dir string) ([]Body, error) {
	if dir == "" {
		var err error
		if dir, err = FindTestdata(); err != nil {
			return nil, err
		}
	}
	objs, err := ReadFixtures(dir)
	if err != nil {
		return nil, err
	}
	return Mix(objs)
}

// Only returns the bodies sent to one of paths.
func Only(bodies []Body, paths ...string) []Body {
	var out []Body
	for _, b := range bodies {
		if slices.Contains(paths, b.Path) {
			out = append(out, b)
		}
	}
	return out
}

func newBody(o Object, path string, op admissionv1.Operation, dryRun bool) (Body, error) {
	group, version, ok := strings.Cut(o.APIVersion, "/")
	if !ok {
		group, version = "", o.APIVersion
	}
	ns := o.Namespace
	if ns == "" && !strings.HasPrefix(o.Kind, "Cluster") {
		ns = "default"
	}
	gvk := metav1.GroupVersionKind{Group: group, Version: version, Kind: o.Kind}
	gvr := metav1.GroupVersionResource{Group: group, Version: version, Resource: strings.ToLower(o.Kind) + "s"}
	req := &admissionv1.AdmissionRequest{
		UID:             types.UID(uidPlaceholder),
		Kind:            gvk,
		Resource:        gvr,
		RequestKind:     &gvk,
		RequestResource: &gvr,
		Name:            o.Name,
		Namespace:       ns,
		Operation:       op,
		UserInfo: authenticationv1.UserInfo{
			Username: "system:serviceaccount:ci:deployer",
			UID:      "5e0f3c2a-6d1b-4a8e-9c47-1f2b3c4d5e6f",
			Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"},
		},
		Object: runtime.RawExtension{Raw: o.JSON},
		DryRun: &dryRun,
	}
	optsKind := "CreateOptions"
	if op == admissionv1.Update {
		req.OldObject = runtime.RawExtension{Raw: o.JSON}
		optsKind = "UpdateOptions"
	}
	req.Options = runtime.RawExtension{Raw: []byte(`{"apiVersion":"meta.k8s.io/v1","kind":"` + optsKind + `","fieldManager":"kubectl-client-side-apply"}`)}
	ar := admissionv1.AdmissionReview{Request: req}
	ar.APIVersion, ar.Kind = "admission.k8s.io/v1", "AdmissionReview"
	data, err := json.Marshal(ar)
	if err != nil {
		return Body{}, fmt.Errorf("load: %s: %w", o.File, err)
	}
	at := bytes.Index(data, []byte(uidPlaceholder))
	if at < 0 || bytes.Count(data, []byte(uidPlaceholder)) != 1 {
		return Body{}, fmt.Errorf("load: %s: the UID placeholder is not in the review exactly once", o.File)
	}
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + name
	}
	b := Body{
		Name:      fmt.Sprintf("%s %s %s %s %s", o.File, o.Kind, name, op, path),
		Path:      path,
		Kind:      o.Kind,
		Operation: string(op),
		DryRun:    dryRun,
		template:  data,
		uidAt:     at,
	}
	if dryRun {
		b.Name += " dry-run"
	}
	return b, nil
}
