// Package memo caches the results of pure functions of a string.
package memo

import "sync"

// Memo caches the results of a pure function of a string, for inputs that repeat across objects
// (the same schedule, the same kubectl script in a fleet of generated CronJobs). It holds at most
// limit entries and starts over when full, so memory stays bounded on hostile input. Values are
// shared between callers: they must not be changed. It is safe for concurrent use.
type Memo[V any] struct {
	mu    sync.RWMutex
	limit int
	m     map[string]V
}

// New returns an empty Memo of at most limit entries.
func New[V any](limit int) *Memo[V] { return &Memo[V]{limit: limit, m: map[string]V{}} }

// Get returns the value cached for key, or computes, caches and returns it.
func (c *Memo[V]) Get(key string, compute func() V) V {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = compute()
	c.mu.Lock()
	if len(c.m) >= c.limit {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}
