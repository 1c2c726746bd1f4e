package policies

import "sync"

// memo caches the results of a pure function of a string, for builtins whose inputs repeat across
// objects (the same schedule, the same kubectl script in a fleet of generated CronJobs). It holds
// at most limit entries and starts over when full, so memory stays bounded on hostile input.
type memo[V any] struct {
	mu    sync.RWMutex
	limit int
	m     map[string]V
}

func newMemo[V any](limit int) *memo[V] { return &memo[V]{limit: limit, m: map[string]V{}} }

func (c *memo[V]) get(key string, compute func() V) V {
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
