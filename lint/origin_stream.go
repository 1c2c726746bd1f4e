package lint

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// A helm template stream on standard input names each document's template in a `# Source:`
// comment (reports/templates/cronjob.yaml). When that template is on disk, relative to the
// current directory or to the chart given with RenderOptions.Chart, the chart is rendered here
// too, marked (origin_helm.go), with the same values options, and each finding gets the template
// line it maps to as a related location (RoleTemplate): the finding keeps its line in the stream,
// and the GitHub and SARIF reports annotate the template line.

// streamCharts renders each chart a stream names once, on first use.
type streamCharts struct {
	opts   RenderOptions
	mu     sync.Mutex
	charts map[string]*chartPositions // by chart directory; nil when it does not render
}

// resolve finds the chart directory and template file of a `# Source:` name.
func (s *streamCharts) resolve(source string) (dir, file string, ok bool) {
	name, rest, found := strings.Cut(source, "/")
	if !found || rest == "" || strings.Contains(source, "..") {
		return "", "", false
	}
	var candidates []string
	if s.opts.Chart != "" {
		candidates = append(candidates, s.opts.Chart)
	}
	candidates = append(candidates, name)
	for _, dir := range candidates {
		file := filepath.Join(dir, filepath.FromSlash(rest))
		if isRegularFile(file) && isRegularFile(filepath.Join(dir, "Chart.yaml")) {
			return dir, file, true
		}
	}
	return "", "", false
}

// positions returns the marked render of the chart in dir.
func (s *streamCharts) positions(dir string) *chartPositions {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.charts[dir]; ok {
		return p
	}
	var p *chartPositions
	if chrt, top, err := s.opts.loadChart(dir); err == nil {
		p = newChartPositions(dir, chrt, top, s.opts)
	}
	s.charts[dir] = p
	return p
}

// streamPlacer maps the findings of one document of a stream to its template.
type streamPlacer struct {
	charts *streamCharts
	source string
	index  int // the object's index among the stream's objects from that template
	kind   string
}

func (p streamPlacer) place(path policies.FieldPath, rendered policies.Position, object *yaml.Node) (policies.Position, []policies.RelatedLocation) {
	dir, _, ok := p.charts.resolve(p.source)
	if !ok {
		return rendered, nil
	}
	pos := p.charts.positions(dir)
	if pos == nil {
		return rendered, nil
	}
	// The stream's chart may have had another name (an alias, a renamed copy): templates are
	// looked up under the name of the chart found.
	_, rest, _ := strings.Cut(p.source, "/")
	at, related, ok := pos.locate(pos.chartName+"/"+rest, p.index, p.kind, path, object)
	if !ok {
		return rendered, nil
	}
	at.Source = p.source
	template := policies.RelatedLocation{Position: at, Role: policies.RoleTemplate, Message: "the template line the finding maps to"}
	return rendered, append([]policies.RelatedLocation{template}, related...)
}

// placeStream gives the objects of a stream that name their template a streamPlacer.
func (l *Linter) placeStream(yield func(Object, origin) bool) func(Object, origin) bool {
	charts := &streamCharts{opts: l.render, charts: map[string]*chartPositions{}}
	seen := map[string]int{}
	return func(o Object, from origin) bool {
		if o.Source != "" {
			l.placers.Store(objectKey{o.File, o.Line}, streamPlacer{charts: charts, source: o.Source, index: seen[o.Source], kind: policies.ObjectRefOf(o.Value).Kind})
			seen[o.Source]++
		}
		return yield(o, from)
	}
}

// isChartDir reports whether dir holds a chart (RenderOptions.Chart).
func isChartDir(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && info.Mode().IsRegular()
}
