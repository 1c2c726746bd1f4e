package lint

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/jobguard/jobguard/policies"
)

// renderChart renders the chart in dir as `helm template` does (client only: no cluster, lookup
// finds nothing) and decodes each rendered template. An object's File is the template's path on
// disk (dir/templates/cronjob.yaml), its Source the template's name in the chart
// (mychart/templates/cronjob.yaml), and lines are counted in the template's rendered output.
func (o RenderOptions) renderChart(dir string) ([]Object, map[objectKey]placer, []*InputError) {
	chrt, top, inputErr := o.loadChart(dir)
	if inputErr != nil {
		return nil, nil, []*InputError{inputErr}
	}
	rendered, err := engine.Render(chrt, top)
	if err != nil {
		return nil, nil, []*InputError{templateError(dir, chrt.Name(), err)}
	}
	positions := newChartPositions(dir, chrt, top, o)

	var objects []Object
	var errs []*InputError
	placers := map[objectKey]placer{}
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		text := rendered[name]
		// helm template leaves out NOTES.txt and templates that render to nothing.
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(text) == "" {
			continue
		}
		file := templateFile(dir, chrt.Name(), name)
		objs, decodeErrs := Decode(file, []byte(text))
		for i := range objs {
			objs[i].Source = name
			placers[objectKey{file, objs[i].Line}] = chartPlacer{pos: positions, template: name, index: i, kind: policies.ObjectRefOf(objs[i].Value).Kind}
		}
		for _, e := range decodeErrs {
			e.Message += " (the line is in the template's rendered output)"
		}
		objects = append(objects, objs...)
		errs = append(errs, decodeErrs...)
	}
	return objects, placers, errs
}

// loadChart loads the chart in dir and the values to render it with, as helm template does.
func (o RenderOptions) loadChart(dir string) (*chart.Chart, chartutil.Values, *InputError) {
	fail := func(file string, format string, args ...any) (*chart.Chart, chartutil.Values, *InputError) {
		return nil, nil, &InputError{File: file, Message: fmt.Sprintf(format, args...)}
	}
	chrt, err := loader.LoadDir(dir)
	if err != nil {
		return fail(dir, "cannot load the Helm chart: %v", err)
	}
	if chrt.Metadata.Type == "library" {
		return fail(dir, "is a library chart, which renders nothing by itself; lint a chart that depends on it")
	}
	if missing := missingDependencies(chrt); len(missing) > 0 {
		return fail(filepath.Join(dir, "Chart.yaml"), "dependencies missing from charts/: %s; run `helm dependency build %s` first", strings.Join(missing, ", "), dir)
	}
	vals, err := o.values()
	if err != nil {
		return fail(dir, "%v", err)
	}
	kv := o.kubeVersion()
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{
		Version: fmt.Sprintf("v%d.%d.0", kv.Major, kv.Minor),
		Major:   strconv.Itoa(kv.Major),
		Minor:   strconv.Itoa(kv.Minor),
	}
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.Version) {
		return fail(filepath.Join(dir, "Chart.yaml"), "the chart requires kubeVersion %s, which Kubernetes %s does not satisfy; set --kube-version", c, kv)
	}
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return fail(dir, "cannot resolve the chart's dependencies: %v", err)
	}
	release := chartutil.ReleaseOptions{Name: o.releaseName(), Namespace: o.namespace(), Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(chrt, vals, release, caps)
	if err != nil {
		return fail(dir, "the values do not fit the chart: %v", err)
	}
	return chrt, top, nil
}

// templateFile is where the template called name ("mychart/templates/x.yaml", or
// "mychart/charts/sub/templates/y.yaml" for a subchart) is on disk, for the chart in dir.
func templateFile(dir, chartName, name string) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, chartName+"/")))
}

// missingDependencies lists the dependencies Chart.yaml declares that charts/ does not hold, as
// helm template refuses them.
func missingDependencies(c *chart.Chart) []string {
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if !slices.ContainsFunc(c.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	return missing
}

// templateLocation finds the template and line in Helm's render errors:
// "parse error at (mychart/templates/x.yaml:5): ...", "execution error at (mychart/templates/x.yaml:3:4): ...",
// "template: mychart/templates/x.yaml:12:20: executing ...".
var templateLocation = regexp.MustCompile(`(?:\(|template: )([^():\s]+):(\d+)(?::(\d+))?(?:\)|:)`)

// templateError turns a Helm render error into an InputError at the template and line it names
// (lines of the template source, which Go templates report). An error inside an include names
// every template on the way; the last one is where it happened.
func templateError(dir, chartName string, err error) *InputError {
	msg := err.Error()
	e := &InputError{File: dir, Message: "cannot render the chart: " + msg}
	if all := templateLocation.FindAllStringSubmatch(msg, -1); all != nil {
		m := all[len(all)-1]
		e.File = templateFile(dir, chartName, m[1])
		e.Line, _ = strconv.Atoi(m[2])
		e.Column, _ = strconv.Atoi(m[3])
	}
	return e
}

// values merges the values files in order, then the --set values, as helm does.
func (o RenderOptions) values() (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range o.ValuesFiles {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %s", f, describeIOError(err))
		}
		vals = mergeValues(vals, v)
	}
	for _, s := range o.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("--set %s: %v", s, err)
		}
	}
	return vals, nil
}

// mergeValues merges b over a, recursing into maps that both have, as helm's -f does.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
