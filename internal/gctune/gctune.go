// Package gctune sets the jobguard command's garbage collector. Importing it is enough: it does so
// in its initialiser, which runs before those of the packages that allocate most at start
// (client-go's scheme, Helm's JSON schemas), so that start-up is not collected twice at the
// runtime's default GOGC 100, about a tenth of a one-file lint (BENCHMARKS.md).
package gctune

import (
	"os"
	"runtime/debug"
)

// SoftMemoryLimit bounds the heap headroom that GOGC 400 gives (see Apply).
const SoftMemoryLimit = 1 << 30

func init() { Apply(os.Getenv) }

// Apply sets the garbage collector for a short-lived, allocation-heavy process unless the
// environment says otherwise. GOGC 400: a lint run allocates briefly and exits, and collecting a
// quarter as often buys about a third more throughput (BENCHMARKS.md). A soft memory limit of
// 1 GiB: GOGC 400 lets the heap grow to five times what survives a collection, so on a very large
// input (300,000 objects) the process would peak at 3.4 GiB; with the limit the collector runs
// more often past 1 GiB instead, for about a third more time on such inputs and none on ordinary
// ones. GOMEMLIMIT, when set, replaces the limit (the webhook's Deployment sets it from the pod's
// memory limit).
func Apply(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(SoftMemoryLimit)
	}
}
