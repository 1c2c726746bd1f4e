package webhook

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jobguard/jobguard/config"
)

// Reloader watches a configuration file and makes a Server use it whenever its content changes
// and it parses and compiles. It reads the file every interval and compares its content, which
// also sees the symlink swap by which Kubernetes updates a mounted ConfigMap (mtimes do not).
// A bad file keeps the last good configuration; why is logged once per bad content.
type Reloader struct {
	path     string
	target   *Server
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	seen    [sha256.Size]byte // content last tried, good or bad
	readErr string            // last read error logged, so that a missing file is logged once
}

// NewReloader returns a Reloader of path for target that checks every interval (default
// DefaultReloadInterval). The content path has now counts as loaded: create the Reloader right
// after loading the configuration target uses. Options.ConfigFile sets one up by itself.
func NewReloader(path string, target *Server, interval time.Duration) *Reloader {
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	r := &Reloader{path: path, target: target, interval: interval, log: target.log.With("config", path)}
	if data, err := os.ReadFile(path); err == nil {
		r.seen = sha256.Sum256(data)
	}
	return r
}

// load reads, parses and remembers the file for New; unlike a reload, failing is fatal.
func (r *Reloader) load() (*config.Config, error) {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(r.path, data)
	if err != nil {
		return nil, err
	}
	r.seen = sha256.Sum256(data)
	return cfg, nil
}

// Start checks the file every interval until ctx is cancelled; it always returns nil.
func (r *Reloader) Start(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, _ = r.Check()
		}
	}
}

// Check reads the file once. When its content changed since the last check and it parses and
// compiles, the target uses it from the next request on and reloaded is true. Otherwise the
// target keeps its configuration and err says why (nil when nothing changed).
func (r *Reloader) Check() (reloaded bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := os.ReadFile(r.path)
	if err != nil {
		if err.Error() != r.readErr {
			r.readErr = err.Error()
			r.log.Error("cannot read the configuration; keeping the last good one", "error", err)
		}
		return false, err
	}
	r.readErr = ""
	sum := sha256.Sum256(data)
	if sum == r.seen {
		return false, nil
	}
	r.seen = sum
	cfg, err := config.Parse(r.path, data)
	if err == nil {
		err = r.target.Reload(cfg)
	}
	if err != nil {
		r.target.metrics.Reloads.WithLabelValues("failure").Inc()
		r.log.Error("configuration not reloaded; keeping the last good one", "error", err)
		return false, err
	}
	r.target.metrics.Reloads.WithLabelValues("success").Inc()
	r.log.Info("configuration reloaded")
	return true, nil
}
