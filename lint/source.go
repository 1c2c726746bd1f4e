package lint

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// What a directory is rendered with, when it is not simply walked for manifests.
const (
	renderHelm      = "helm"
	renderKustomize = "kustomize"
)

// kustomizationNames are the file names kustomize accepts for a kustomization, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// renderKind says how the directory dir is linted: renderHelm when it holds Chart.yaml,
// renderKustomize when it holds a kustomization, "" when it is walked for manifests (or is not a
// directory).
func renderKind(dir string) string {
	if isRegularFile(filepath.Join(dir, "Chart.yaml")) {
		return renderHelm
	}
	for _, name := range kustomizationNames {
		if isRegularFile(filepath.Join(dir, name)) {
			return renderKustomize
		}
	}
	return ""
}

func isRegularFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// Read returns the objects of one entry of Files: a manifest file, "-" (read from stdin), or a
// chart or kustomization directory, rendered with opts.
func Read(file string, stdin io.Reader, opts RenderOptions) ([]Object, []*InputError) {
	l := &Linter{stdin: stdin, render: opts}
	return l.read(file)
}

// sourcePrefix starts the comment helm template writes at the top of each document, naming the
// template it was rendered from: "# Source: mychart/templates/cronjob.yaml".
const sourcePrefix = "# Source:"

// sourceComment returns the template named by a `# Source:` comment among the comments that
// open a document (before its first content line), or "".
func sourceComment(doc []byte) string {
	for len(doc) > 0 {
		line := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			doc = nil
		}
		text := strings.TrimSpace(string(line))
		switch {
		case text == "" || text == "---":
			continue
		case strings.HasPrefix(text, sourcePrefix):
			return strings.TrimSpace(strings.TrimPrefix(text, sourcePrefix))
		case strings.HasPrefix(text, "#"):
			continue
		}
		return ""
	}
	return ""
}
