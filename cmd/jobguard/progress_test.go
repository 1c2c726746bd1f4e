package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/term"

	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/lint"
)

func TestProgressShowsCountsThenErasesItself(t *testing.T) {
	var p lint.Progress
	p.Files.Store(40)
	p.FilesRead.Store(12)
	p.Evaluated.Store(300)
	var w testkit.SyncBuffer // the progress goroutine and the test share it
	stop := showProgress(&w, &p, 0, time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(w.String(), "12/40 files read, 300 objects evaluated") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	out := w.String()
	if !strings.Contains(out, "\r\x1b[Kjobguard: 12/40 files read, 300 objects evaluated") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("progress %q: want the counts, then the line erased", out)
	}
}

func TestProgressSilentForQuickRuns(t *testing.T) {
	var w testkit.SyncBuffer // the progress goroutine and the test share it
	stop := showProgress(&w, &lint.Progress{}, time.Hour, time.Millisecond)
	stop()
	if w.String() != "" {
		t.Errorf("a run shorter than the delay wrote %q", w.String())
	}
}

// TestProgressNotOnPipes: standard error that is not a terminal gets no progress line (the
// golden tests also check that stderr stays empty).
func TestProgressNotOnPipes(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	if isTerminal(os.Stdin) && !term.IsTerminal(int(os.Stdin.Fd())) {
		t.Error("isTerminal disagrees with term.IsTerminal")
	}
}
