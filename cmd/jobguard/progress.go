package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/jobguard/jobguard/lint"
)

// progressDelay is how long a lint runs before it shows progress: a quick run stays silent. A
// variable so that tests can see the progress of a quick run.
var progressDelay = time.Second

// isTerminal reports whether w is a terminal; progress and colour are for people, not pipes.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// showProgress rewrites one line on w with p's counts every interval once delay has passed, and
// returns a function that stops it and erases the line. Call it only when w is a terminal.
func showProgress(w io.Writer, p *lint.Progress, delay, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wrote := false
	wg.Go(func() {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-timer.C:
		}
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			fmt.Fprintf(w, "\r\x1b[Kjobguard: %d/%d files read, %d objects evaluated", p.FilesRead.Load(), p.Files.Load(), p.Evaluated.Load())
			wrote = true
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		if wrote {
			fmt.Fprint(w, "\r\x1b[K")
		}
	}
}
