package render

import (
	"cmp"
	"slices"
	"sync"
	"unsafe"
)

// arenaChunk is how many values an arena takes from memory at a time.
const arenaChunk = 1 << 15

// arenaKeepBytes bounds the memory an arena keeps from one picture to the next:
// a map of 500 checks carves about 11 MB of outlines, one of 5000 ten times that,
// and a monitor must not keep the largest picture it ever drew.
const arenaKeepBytes = 4 << 20

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

// reset makes every chunk free again, keeping the smallest up to arenaKeepBytes;
// slices handed out before must not be used.
func (a *arena[T]) reset() {
	if cap(a.cur) > 0 {
		a.spare = append(a.spare, a.cur[:0])
	}
	for _, c := range a.used {
		a.spare = append(a.spare, c[:0])
	}
	clear(a.used)
	a.cur, a.used = nil, a.used[:0]
	slices.SortFunc(a.spare, func(x, y []T) int { return cmp.Compare(cap(x), cap(y)) })
	var zero T
	kept, size := 0, int(unsafe.Sizeof(zero))
	for i, c := range a.spare {
		if kept+cap(c)*size > arenaKeepBytes {
			clear(a.spare[i:])
			a.spare = a.spare[:i]
			break
		}
		kept += cap(c) * size
	}
}

// kept is how many bytes of chunks the arena holds.
func (a *arena[T]) kept() int {
	var zero T
	n := cap(a.cur)
	for _, c := range a.used {
		n += cap(c)
	}
	for _, c := range a.spare {
		n += cap(c)
	}
	return n * int(unsafe.Sizeof(zero))
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
