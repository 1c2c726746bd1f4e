package lint

import (
	"fmt"

	"github.com/jobguard/jobguard/policies"
)

// Defaults of RenderOptions, the same as helm template's.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// RenderOptions say how directories that are not plain manifests are turned into them: a Helm
// chart (a directory holding Chart.yaml) is rendered as `helm template` would, a kustomization
// (kustomization.yaml, .yml or Kustomization) is built as `kustomize build` would. No helm or
// kustomize binary is needed. The zero value renders with the chart's own values.
type RenderOptions struct {
	// ValuesFiles are Helm values files (-f), merged in order over the chart's values.yaml.
	ValuesFiles []string
	// Set are Helm --set values (key=value, a.b=c, list={a,b}), applied after ValuesFiles.
	Set []string
	// ReleaseName is .Release.Name; empty means DefaultReleaseName.
	ReleaseName string
	// Namespace is .Release.Namespace; empty means DefaultNamespace.
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, and what a chart's kubeVersion constraint is
	// checked against; zero means policies.DefaultKubeVersion.
	KubeVersion policies.KubeVersion
	// Chart is the chart directory a helm template stream on standard input was rendered from:
	// its `# Source:` templates are found there (else relative to the current directory) and
	// findings mapped to their lines (origin_stream.go).
	Chart string
}

// WithRender sets how chart directories and kustomizations are rendered. Default: the zero
// RenderOptions.
func WithRender(o RenderOptions) Option { return func(l *Linter) { l.render = o } }

// Check reads the values files and --set values, so that a mistake in them is reported once,
// before any chart is rendered.
func (o RenderOptions) Check() error {
	if o.Chart != "" && !isChartDir(o.Chart) {
		return fmt.Errorf("--chart %s: no Chart.yaml there; give the directory of the chart the stream was rendered from", o.Chart)
	}
	_, err := o.values()
	return err
}

// build renders the directory dir as kind says (see renderKind) and decodes what it produces,
// with what places each object's findings where its fields were written (origin.go).
func (o RenderOptions) build(kind, dir string) ([]Object, map[objectKey]placer, []*InputError) {
	switch kind {
	case renderHelm:
		return o.renderChart(dir)
	case renderKustomize:
		return buildKustomization(dir)
	}
	return nil, nil, []*InputError{{File: dir, Message: "is a directory that is neither a Helm chart nor a kustomization"}}
}

func (o RenderOptions) releaseName() string {
	if o.ReleaseName == "" {
		return DefaultReleaseName
	}
	return o.ReleaseName
}

func (o RenderOptions) namespace() string {
	if o.Namespace == "" {
		return DefaultNamespace
	}
	return o.Namespace
}

func (o RenderOptions) kubeVersion() policies.KubeVersion {
	if o.KubeVersion == (policies.KubeVersion{}) {
		return policies.DefaultKubeVersion
	}
	return o.KubeVersion
}
