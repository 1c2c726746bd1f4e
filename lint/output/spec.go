package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jobguard/jobguard/lint"
)

// Spec is one output of a run: a format, and the file it goes to.
type Spec struct {
	Format string
	// Path is the file to write; empty means standard output.
	Path string
}

// String is the form ParseSpec reads.
func (s Spec) String() string {
	if s.Path == "" {
		return s.Format
	}
	return s.Format + "=" + s.Path
}

func (s Spec) destination() string {
	if s.Path == "" {
		return "standard output"
	}
	return s.Path
}

// ParseSpec reads one -o value: FORMAT (to standard output) or FORMAT=PATH (to a file, created or
// truncated). A PATH of - means standard output. The format must be one of Names.
func ParseSpec(value string) (Spec, error) {
	format, path, hasPath := strings.Cut(value, "=")
	format = strings.TrimSpace(format)
	if format == "" {
		return Spec{}, fmt.Errorf("%q: no format before the = (want FORMAT or FORMAT=PATH; formats: %s)", value, strings.Join(Names, ", "))
	}
	if !slices.Contains(Names, format) {
		return Spec{}, unknownFormat(format)
	}
	if hasPath && path == "" {
		return Spec{}, fmt.Errorf("%q: no file after the = (want FORMAT=PATH, or just %s for standard output)", value, format)
	}
	if path == lint.StdinName {
		path = ""
	}
	return Spec{Format: format, Path: path}, nil
}

// ParseSpecs reads every -o value and checks them together (see CheckSpecs). With no values it
// returns the default: text to standard output.
func ParseSpecs(values []string) ([]Spec, error) {
	if len(values) == 0 {
		return []Spec{{Format: Text}}, nil
	}
	specs := make([]Spec, 0, len(values))
	for _, v := range values {
		s, err := ParseSpec(v)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, CheckSpecs(specs)
}

// CheckSpecs reports what would make specs fail before anything is written: an unknown format,
// more than one output to standard output, or one file named twice.
func CheckSpecs(specs []Spec) error {
	var stdout []string
	files := map[string]Spec{}
	for _, s := range specs {
		if !slices.Contains(Names, s.Format) {
			return unknownFormat(s.Format)
		}
		if s.Path == "" {
			stdout = append(stdout, s.Format)
			continue
		}
		key := filepath.Clean(s.Path)
		if prev, dup := files[key]; dup {
			return fmt.Errorf("%s and %s both write %s; give each output its own file", prev, s, s.Path)
		}
		files[key] = s
	}
	if len(stdout) > 1 {
		return fmt.Errorf("only one output can go to standard output, not %s: write the others to files (FORMAT=PATH)", strings.Join(stdout, " and "))
	}
	return nil
}

// WriteAll writes the report once per spec: to stdout, or to the spec's file, created or
// truncated. Colour (opts.Color) applies only to standard output. It checks the specs first
// (CheckSpecs) and writes nothing if they are wrong; a file that cannot be written does not stop
// the others, and the error names every path that failed.
func WriteAll(specs []Spec, stdout io.Writer, r *lint.Report, opts Options) error {
	if err := CheckSpecs(specs); err != nil {
		return err
	}
	var errs []error
	for _, s := range specs {
		if err := write(s, stdout, r, opts); err != nil {
			errs = append(errs, fmt.Errorf("writing the %s report to %s: %w", s.Format, s.destination(), describeWriteError(err)))
		}
	}
	return errors.Join(errs...)
}

func write(s Spec, stdout io.Writer, r *lint.Report, opts Options) error {
	if s.Path != "" {
		opts.Color = false
	}
	formatter, err := Get(s.Format, opts)
	if err != nil {
		return err
	}
	if s.Path == "" {
		return formatter.Format(stdout, r)
	}
	f, err := os.Create(s.Path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = formatter.Format(bw, r)
	if err == nil {
		err = bw.Flush()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

// describeWriteError drops the path from an *fs.PathError: the message names it already.
func describeWriteError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
