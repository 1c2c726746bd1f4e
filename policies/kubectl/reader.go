package kubectl

import (
	"slices"
	"time"
)

// commandReader reads what a command handler needs, its targets and flags, and keeps the first
// error (a value that is not a literal, a target kubectl would refuse): the handler reads all it
// needs, then checks err once. After an error every read returns the zero value and does nothing,
// so the error is the one a handler checking each read in turn would have returned.
type commandReader struct {
	m   *mapper
	err error
}

func (m *mapper) read() *commandReader { return &commandReader{m: m} }

// keep records err unless an earlier read failed; it reports whether this read may go on.
func (r *commandReader) keep(err error) bool {
	if r.err == nil {
		r.err = err
	}
	return r.err == nil
}

// targets is mapper.targets.
func (r *commandReader) targets(args []Word) []target {
	if r.err != nil {
		return nil
	}
	targets, err := r.m.targets(args)
	if !r.keep(err) {
		return nil
	}
	return targets
}

// targetsNeeding is the targets of a command that kubectl refuses without one of flags; missing
// says so.
func (r *commandReader) targetsNeeding(missing string, flags ...string) []target {
	if r.err == nil && !slices.ContainsFunc(flags, r.m.c.has) {
		r.keep(unresolved("%s", missing))
	}
	return r.targets(r.m.c.args)
}

// bool is a boolean flag, def when it is not given.
func (r *commandReader) bool(long string, def bool) bool {
	if r.err != nil {
		return false
	}
	v, err := r.m.c.bool(long, def)
	return r.keep(err) && v
}

// str is a flag's literal value, "" when it is not given.
func (r *commandReader) str(long string) string {
	if r.err != nil {
		return ""
	}
	v, err := r.m.c.str(long)
	if !r.keep(err) {
		return ""
	}
	return v
}

// duration is a duration flag, def when it is not given; negative values mean a long wait.
func (r *commandReader) duration(long string, def time.Duration) time.Duration {
	v := r.str(long)
	switch {
	case r.err != nil:
		return 0
	case v == "":
		return def
	case v == "0":
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.keep(unresolved("invalid --%s=%s", long, v))
		return 0
	}
	return d
}
