package render

import "sync"

// byteCache is a map kept within a byte budget: when a new entry would pass it,
// the map starts over. Starting over costs nothing on hits, which are most
// lookups, and the entries a picture needs come back on its next drawing.
// Entries are never modified once made, so one handed out stays valid after that.
type byteCache[K comparable, V any] struct {
	budget int

	mu      sync.Mutex
	entries map[K]V
	bytes   int // about the memory the entries take, as put was told
}

func (c *byteCache[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	return v, ok
}

// put caches v, taking about size bytes, under key and returns it; when another
// goroutine made the entry meanwhile, that one is kept and returned.
func (c *byteCache[K, V]) put(key K, v V, size int) V {
	if size > c.budget {
		return v // would leave nothing else in the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		return old
	}
	if c.entries == nil || c.bytes+size > c.budget {
		c.entries, c.bytes = map[K]V{}, 0
	}
	c.entries[key] = v
	c.bytes += size
	return v
}

// size is about the memory the cached entries take.
func (c *byteCache[K, V]) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
