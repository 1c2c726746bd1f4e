package lint

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"

	"github.com/jobguard/jobguard/policies"
)

// defaultSpillAfter is how many findings a Linter with WithSpillDir keeps in memory: about 11 MB
// of them (a finding takes about 550 bytes with its message and path).
const defaultSpillAfter = 20_000

// The values a finding's path and fix may hold, for gob (policies.FieldPath, policies.Fix.Value).
func init() {
	gob.Register([]any(nil))
	gob.Register(map[string]any(nil))
}

// findingStore collects a lint run's findings. Up to spillAfter of them stay in memory; past
// that (and only when dir is set) each batch is sorted and appended to a temporary file as a
// run, and reading them back merges the runs. The reports must be sorted and most findings are
// not known until every file is read (RBAC findings come last), so without this a run over a
// large input would hold every finding until it ends: 190 MB for 300,000 objects.
type findingStore struct {
	dir        string
	spillAfter int

	buf    []policies.Finding
	counts FindingCounts
	file   *os.File
	runs   []findingRun
}

// findingRun is a sorted batch of findings in the file: gob-encoded, one encoder per run.
type findingRun struct {
	offset, size int64
	count        int
}

// FindingCounts counts findings by severity.
type FindingCounts struct {
	Total, Errors, Warnings, Info int
}

func (c *FindingCounts) add(f policies.Finding) {
	c.Total++
	switch f.Severity {
	case policies.SeverityError:
		c.Errors++
	case policies.SeverityWarning:
		c.Warnings++
	case policies.SeverityInfo:
		c.Info++
	}
}

func (s *findingStore) add(fs []policies.Finding) error {
	for _, f := range fs {
		s.counts.add(f)
	}
	s.buf = append(s.buf, fs...)
	if s.dir == "" || len(s.buf) < s.spillAfter {
		return nil
	}
	return s.spill()
}

// spill writes the findings in memory to the file as one sorted run.
func (s *findingStore) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "jobguard-findings-*")
		if err != nil {
			return fmt.Errorf("keeping findings on disk: %w", err)
		}
		s.file = f
		if runtime.GOOS != "windows" {
			// Unlinked at once, the file lives as long as it is open: nothing is left behind
			// when the process is killed. Windows cannot remove an open file; close does.
			_ = os.Remove(f.Name())
		}
	}
	policies.SortFindings(s.buf)
	var data bytes.Buffer
	enc := gob.NewEncoder(&data)
	for i := range s.buf {
		if err := enc.Encode(&s.buf[i]); err != nil {
			return fmt.Errorf("keeping findings on disk: finding of %s at %s: %w", s.buf[i].Rule, s.buf[i].Position, err)
		}
	}
	if _, err := s.file.Write(data.Bytes()); err != nil {
		return fmt.Errorf("keeping findings on disk: %w", err)
	}
	var offset int64 // the runs follow each other in the file
	if len(s.runs) > 0 {
		last := s.runs[len(s.runs)-1]
		offset = last.offset + last.size
	}
	s.runs = append(s.runs, findingRun{offset: offset, size: int64(data.Len()), count: len(s.buf)})
	clear(s.buf) // let the strings go
	s.buf = s.buf[:0]
	return nil
}

// finish sorts what is in memory. It returns the findings when none went to disk; otherwise
// nil, and each reads them.
func (s *findingStore) finish() ([]policies.Finding, error) {
	if len(s.runs) == 0 {
		policies.SortFindings(s.buf)
		out := s.buf
		s.buf = nil
		return out, nil
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	s.buf = nil
	return nil, nil
}

// each calls fn with every finding on disk, in order: a merge of the sorted runs. Ties keep the
// order of the runs, as a stable sort of all the findings would.
func (s *findingStore) each(fn func(policies.Finding) error) error {
	type cursor struct {
		dec  *gob.Decoder
		left int
		head policies.Finding
	}
	cursors := make([]*cursor, 0, len(s.runs))
	next := func(c *cursor) error {
		c.head = policies.Finding{}
		if err := c.dec.Decode(&c.head); err != nil {
			return fmt.Errorf("reading findings back from %s: %w", s.file.Name(), err)
		}
		// gob makes no difference between a nil and an empty slice; the engine never leaves a
		// path nil (an empty one is the whole object), and reports print them differently.
		if c.head.Path == nil {
			c.head.Path = policies.FieldPath{}
		}
		if c.head.Fix != nil && c.head.Fix.Path == nil {
			c.head.Fix.Path = policies.FieldPath{}
		}
		c.left--
		return nil
	}
	for _, r := range s.runs {
		c := &cursor{dec: gob.NewDecoder(bufio.NewReaderSize(io.NewSectionReader(s.file, r.offset, r.size), 32<<10)), left: r.count}
		if err := next(c); err != nil {
			return err
		}
		cursors = append(cursors, c)
	}
	for len(cursors) > 0 {
		// Few runs (one per 20,000 findings): a linear scan for the smallest head is enough.
		least := 0
		for i := 1; i < len(cursors); i++ {
			if policies.CompareFindings(cursors[i].head, cursors[least].head) < 0 {
				least = i
			}
		}
		c := cursors[least]
		if err := fn(c.head); err != nil {
			return err
		}
		if c.left == 0 {
			cursors = slices.Delete(cursors, least, least+1)
			continue
		}
		if err := next(c); err != nil {
			return err
		}
	}
	return nil
}

// close removes the file.
func (s *findingStore) close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	s.file = nil
	if rmErr := os.Remove(name); !errors.Is(rmErr, fs.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	return err
}
