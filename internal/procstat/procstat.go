// Package procstat reads what a finished child process used and how busy the machine is, for the
// benchmark commands in hack/ (benchlint, benchpeer, benchaudit), which time whole processes.
package procstat

import (
	"os"
	"strings"
	"syscall"
	"time"
)

// Usage returns the user+system CPU time and the peak RSS, in bytes, of a finished process (0
// where the system does not report it).
func Usage(ps *os.ProcessState) (cpu time.Duration, peakRSS int64) {
	cpu = ps.UserTime() + ps.SystemTime()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		peakRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return cpu, peakRSS
}

// LoadAverage returns the 1, 5 and 15 minute load averages of /proc/loadavg, or "?".
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}
