package render

import "sync"

// arenaChunk is how many values an arena takes from memory at a time.
const arenaChunk = 1 << 15

// arena hands out slices carved from large chunks that are kept from one picture
// to the next: the outlines and masks of a picture are a megabyte or more, and
// fresh memory costs a page fault per page on first touch. The zero arena is
// ready; a nil arena allocates every slice.
type arena[T any] struct {
	cur   []T   // the chunk being carved; its length is what is handed out
	used  [][]T // chunks full for this picture
	spare [][]T // chunks free for reuse
}

// alloc returns a slice of n zero values with capacity n.
func (a *arena[T]) alloc(n int) []T {
	if a == nil {
		return make([]T, n)
	}
	if cap(a.cur)-len(a.cur) < n {
		if cap(a.cur) > 0 {
			a.used = append(a.used, a.cur)
		}
		// the smallest free chunk that fits, so the large ones stay for large slices
		best := -1
		for i, c := range a.spare {
			if cap(c) >= n && (best < 0 || cap(c) < cap(a.spare[best])) {
				best = i
			}
		}
		if best >= 0 {
			a.cur = a.spare[best]
			a.spare = append(a.spare[:best], a.spare[best+1:]...)
		} else {
			a.cur = make([]T, 0, max(n, arenaChunk))
		}
	}
	k := len(a.cur)
	a.cur = a.cur[:k+n]
	s := a.cur[k : k+n : k+n]
	clear(s)
	return s
}

// reset makes every chunk free again; slices handed out before must not be used.
func (a *arena[T]) reset() {
	if cap(a.cur) > 0 {
		a.spare = append(a.spare, a.cur[:0])
	}
	for _, c := range a.used {
		a.spare = append(a.spare, c[:0])
	}
	a.cur, a.used = nil, a.used[:0]
}

// rasterScratch is the memory of one picture's raster ops.
type rasterScratch struct {
	floats arena[float64] // stroke outlines
	cov    arena[uint16]  // text masks
}

var rasterScratches = sync.Pool{New: func() any { return &rasterScratch{} }}

func (s *rasterScratch) release() {
	s.floats.reset()
	s.cov.reset()
	rasterScratches.Put(s)
}
