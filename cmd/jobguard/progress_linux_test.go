package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: lint's standard error in the test, as a user's shell gives it.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("naming the pseudo-terminal: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	return master, slave
}

// lintWithStderr runs lint on the seeds with stderr as given and progress shown at once, and
// returns what stderr received once the run ended.
func lintWithStderr(t *testing.T, stderr, reader *os.File) string {
	t.Helper()
	defer func(d time.Duration) { progressDelay = d }(progressDelay)
	progressDelay = 0
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(reader) // a pty's master ends with EIO once the slave is closed
		got <- string(b)
	}()
	var out bytes.Buffer
	code := run([]string{"lint", "--color", "never", "../../testdata/seeds"}, strings.NewReader(""), &out, stderr)
	stderr.Close()
	if code != exitFindings {
		t.Errorf("exit %d, want %d", code, exitFindings)
	}
	if strings.Contains(out.String(), "files read") {
		t.Errorf("progress on standard output:\n%s", out.String())
	}
	return <-got
}

// TestProgressOnATerminal: lint shows its progress on a terminal's standard error and erases it.
func TestProgressOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	got := lintWithStderr(t, slave, master)
	if !strings.Contains(got, "jobguard: ") || !strings.Contains(got, "objects evaluated") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("stderr on a terminal %q: want the progress line, then erased", got)
	}
}

// TestProgressNotOnAPipe: lint piped to another program writes no progress, however long it runs.
func TestProgressNotOnAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := lintWithStderr(t, w, r); got != "" {
		t.Errorf("stderr on a pipe %q: want nothing", got)
	}
}
