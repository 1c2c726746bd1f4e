package lint

import (
	"path/filepath"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// originAnnotation is where kustomize records the file each resource came from, when the
// kustomization asks for it (buildMetadata: [originAnnotations]).
const originAnnotation = "config.kubernetes.io/origin"

// buildKustomization builds the kustomization in dir as `kustomize build dir` does (default
// options: no plugins, no helmCharts, files only from inside the kustomization's root) and decodes
// the output. Objects are placed in dir at their line in the build output; their Source is the
// file kustomize read them from when the kustomization records origins, else
// "kustomize build <dir>".
func buildKustomization(dir string) ([]Object, map[objectKey]placer, []*InputError) {
	dir = filepath.Clean(dir)
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
	}
	objects, errs := Decode(dir, out)
	for i := range objects {
		objects[i].Source = kustomizeOrigin(dir, objects[i].Value)
	}
	return objects, nil, errs
}

// kustomizeOrigin reads an object's origin annotation: a local file becomes its path (joined to
// dir, which kustomize's paths are relative to), a remote one repo//path?ref=ref, a generated
// object the kustomization that configured it.
func kustomizeOrigin(dir string, obj ast.Object) string {
	fallback := "kustomize build " + dir
	var annotation ast.String
	if t, err := obj.Find(ast.Ref{ast.StringTerm("metadata"), ast.StringTerm("annotations"), ast.StringTerm(originAnnotation)}); err == nil {
		annotation, _ = t.(ast.String)
	}
	var origin resource.Origin
	if annotation == "" || yaml.Unmarshal([]byte(annotation), &origin) != nil {
		return fallback
	}
	switch {
	case origin.Repo != "":
		s := origin.Repo + "//" + origin.Path
		if origin.Ref != "" {
			s += "?ref=" + origin.Ref
		}
		return s
	case origin.Path != "":
		return filepath.Join(dir, filepath.FromSlash(origin.Path))
	case origin.ConfiguredIn != "":
		return filepath.Join(dir, filepath.FromSlash(origin.ConfiguredIn))
	}
	return fallback
}
