package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/jobguard/jobguard/policies"
)

// buildKustomization builds the kustomization in dir as `kustomize build dir` does (default
// options: no plugins, no helmCharts, files only from inside the kustomization's root) and decodes
// the output. Objects are placed in dir at their line in the build output; their Source is the
// file kustomize read them from, else "kustomize build <dir>". Their findings are placed where
// each field was written (origin_kustomize.go): kustomize records which file each object came
// from and which kustomizations transformed it (buildMetadata originAnnotations and
// transformerAnnotations, asked for here whatever the kustomization says, and removed again from
// the output unless it asked for them).
func buildKustomization(dir string) ([]Object, map[objectKey]placer, []*InputError) {
	dir = filepath.Clean(dir)
	fs := &trackingFS{FileSystem: filesys.MakeFsOnDisk()}
	if abs, err := filepath.Abs(dir); err == nil {
		fs.root = abs
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
	}
	type provenance struct {
		origin          *resource.Origin
		transformations resource.Transformations
	}
	var from []provenance
	for _, r := range resources.Resources() {
		origin, _ := r.GetOrigin()
		transformations, _ := r.GetTransformations()
		from = append(from, provenance{origin, transformations})
	}
	if !slices.Contains(fs.asked, types.OriginAnnotations) {
		if err := resources.RemoveOriginAnnotations(); err != nil {
			return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
		}
	}
	if !slices.Contains(fs.asked, types.TransformerAnnotations) {
		if err := resources.RemoveTransformerAnnotations(); err != nil {
			return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
		}
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, nil, []*InputError{{File: dir, Message: "kustomize build failed: " + err.Error()}}
	}
	objects, errs := Decode(dir, out)
	placers := map[objectKey]placer{}
	k := newKustomizePositions(dir)
	for i := range objects {
		objects[i].Source = "kustomize build " + dir
		if len(objects) != len(from) {
			continue // cannot happen: AsYaml writes each resource as one document
		}
		p := &kustomizePlacer{pos: k, node: objects[i].Node, ref: policies.ObjectRefOf(objects[i].Value), origin: from[i].origin, transformations: from[i].transformations}
		if s := p.originFile(); s != "" {
			objects[i].Source = s
		}
		placers[objectKey{dir, objects[i].Line}] = p
	}
	return objects, placers, errs
}

// trackingFS reads the kustomization in root with buildMetadata originAnnotations and
// transformerAnnotations added, and remembers what it asked for itself (asked).
type trackingFS struct {
	filesys.FileSystem
	root  string
	asked []string
}

func (f *trackingFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || f.root == "" {
		return data, err
	}
	abs, absErr := filepath.Abs(path)
	if absErr != nil || filepath.Dir(abs) != f.root || !slices.Contains(kustomizationNames, filepath.Base(abs)) {
		return data, err
	}
	return f.withBuildMetadata(data), nil
}

// withBuildMetadata adds the two annotations to the kustomization's buildMetadata. A file that
// does not parse is left for kustomize to report.
func (f *trackingFS) withBuildMetadata(data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data
	}
	root := doc.Content[0]
	_, list := entry(root, "buildMetadata")
	if list == nil {
		list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"}, list)
	}
	if list.Kind != yaml.SequenceNode {
		return data
	}
	for _, item := range list.Content {
		f.asked = append(f.asked, item.Value)
	}
	for _, option := range []string{types.OriginAnnotations, types.TransformerAnnotations} {
		if !slices.Contains(f.asked, option) {
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: option})
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data
	}
	return out
}

// withoutPatches leaves out of files those that a kustomization lists as a patch (patches,
// patchesStrategicMerge, patchesJson6902): a patch holds only the fields it changes, so linted as
// a whole object it fails rules the built object passes. Its fields are linted, and placed, when
// the kustomization is. The kustomizations looked at are those in the directory of each file
// and its parents, and those linted.
func withoutPatches(files []string) []string {
	patches := map[string]bool{}
	visited := map[string]bool{}
	visit := func(dir string) {
		if visited[dir] {
			return
		}
		visited[dir] = true
		for _, name := range kustomizationNames {
			for _, p := range listedPatches(filepath.Join(dir, name)) {
				patches[p] = true
			}
		}
	}
	for _, f := range files {
		if f == StdinName {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		if renderKind(f) == renderKustomize {
			visit(abs)
		}
		for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
			visit(dir)
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if len(patches) == 0 {
		return files
	}
	return slices.DeleteFunc(files, func(f string) bool {
		abs, err := filepath.Abs(f)
		return err == nil && patches[abs]
	})
}

// listedPatches reads a kustomization and returns the absolute paths of its patch files.
func listedPatches(kustomization string) []string {
	data, err := os.ReadFile(kustomization)
	if err != nil {
		return nil
	}
	var k struct {
		Patches               []struct{ Path string } `yaml:"patches"`
		PatchesStrategicMerge []string                `yaml:"patchesStrategicMerge"`
		PatchesJSON6902       []struct{ Path string } `yaml:"patchesJson6902"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var paths []string
	for _, p := range k.Patches {
		paths = append(paths, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		if !strings.Contains(p, "\n") {
			paths = append(paths, p)
		}
	}
	for _, p := range k.PatchesJSON6902 {
		paths = append(paths, p.Path)
	}
	dir := filepath.Dir(kustomization)
	var out []string
	for _, p := range paths {
		if p != "" {
			out = append(out, filepath.Join(dir, filepath.FromSlash(p)))
		}
	}
	return out
}
