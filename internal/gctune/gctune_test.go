package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestApply: GOGC 400 and a 1 GiB soft memory limit unless GOGC or GOMEMLIMIT say otherwise.
func TestApply(t *testing.T) {
	gogc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(gogc); debug.SetMemoryLimit(limit) })
	for _, c := range []struct {
		env       map[string]string
		wantGOGC  int
		wantLimit int64
	}{
		{map[string]string{}, 400, SoftMemoryLimit},
		{map[string]string{"GOGC": "100"}, 100, SoftMemoryLimit},
		{map[string]string{"GOMEMLIMIT": "300MiB"}, 400, math.MaxInt64},
		{map[string]string{"GOGC": "off", "GOMEMLIMIT": "2GiB"}, 100, math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64) // as the runtime starts without GOMEMLIMIT
		Apply(func(k string) string { return c.env[k] })
		if got := debug.SetGCPercent(100); got != c.wantGOGC {
			t.Errorf("env %v: GOGC %d, want %d", c.env, got, c.wantGOGC)
		}
		if got := debug.SetMemoryLimit(-1); got != c.wantLimit {
			t.Errorf("env %v: memory limit %d, want %d", c.env, got, c.wantLimit)
		}
	}
}
