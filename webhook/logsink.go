package webhook

import (
	"slices"

	"github.com/go-logr/logr"
)

// lazySink is a logr.LogSink that keeps the values it is given (WithValues) and hands them to
// the sink it wraps only when a line is logged. controller-runtime builds a logger with six
// values of the request for every review (admission.DefaultLogConstructor), twice, and logs
// with it only on errors and at V(5); an slog handler formats values as soon as it is given
// them, so without this every review paid for formatting that was almost never used.
type lazySink struct {
	sink   logr.LogSink
	values []any
}

var _ logr.CallDepthLogSink = (*lazySink)(nil)

// lazyLogger wraps l's sink in a lazySink.
func lazyLogger(l logr.Logger) logr.Logger {
	if l.GetSink() == nil {
		return l
	}
	return logr.New(&lazySink{sink: l.GetSink()})
}

// Init does nothing: the wrapped sink was initialized by the logger it came from.
func (s *lazySink) Init(logr.RuntimeInfo) {}

func (s *lazySink) Enabled(level int) bool { return s.sink.Enabled(level) }

func (s *lazySink) Info(level int, msg string, kv ...any) { s.resolve().Info(level, msg, kv...) }

func (s *lazySink) Error(err error, msg string, kv ...any) { s.resolve().Error(err, msg, kv...) }

func (s *lazySink) WithValues(kv ...any) logr.LogSink {
	return &lazySink{sink: s.sink, values: append(slices.Clip(s.values), kv...)}
}

func (s *lazySink) WithName(name string) logr.LogSink {
	return &lazySink{sink: s.withValues().WithName(name)}
}

func (s *lazySink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.sink.(logr.CallDepthLogSink); ok {
		return &lazySink{sink: cd.WithCallDepth(depth), values: s.values}
	}
	return s
}

// withValues is the wrapped sink with the values.
func (s *lazySink) withValues() logr.LogSink {
	if len(s.values) == 0 {
		return s.sink
	}
	return s.sink.WithValues(s.values...)
}

// resolve is the sink to log a line with: the values, and one call deeper for lazySink's frame.
func (s *lazySink) resolve() logr.LogSink {
	sink := s.withValues()
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1)
	}
	return sink
}
