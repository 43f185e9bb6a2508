package render

import "testing"

// TestArena wants zeroed slices that cannot grow into each other, the same chunks
// handed out again after reset, and a nil arena that allocates.
func TestArena(t *testing.T) {
	var a arena[uint16]
	x := a.alloc(10)
	y := a.alloc(20)
	if len(x) != 10 || cap(x) != 10 || len(y) != 20 {
		t.Fatalf("lengths %d/%d and %d", len(x), cap(x), len(y))
	}
	for i := range x {
		x[i] = 7
	}
	x0 := &x[0]
	x = append(x, 1) // beyond its capacity: moves, leaves y alone
	for _, v := range y {
		if v != 0 {
			t.Fatal("appending to one slice wrote into the next")
		}
	}
	big := a.alloc(3 * arenaChunk)
	if len(big) != 3*arenaChunk {
		t.Fatalf("big slice of %d", len(big))
	}
	big[0] = 9
	a.reset()
	// the same requests again: the same memory, zeroed
	if z := a.alloc(10); &z[0] != x0 || z[0] != 0 {
		t.Error("the small chunk was not reused, or not zeroed")
	}
	if z := a.alloc(20); &z[0] != &y[0] {
		t.Error("the second slice is not where it was")
	}
	if w := a.alloc(3 * arenaChunk); &w[0] != &big[0] || w[0] != 0 {
		t.Error("the big chunk was not reused, or not zeroed")
	}
	var none *arena[float64]
	if s := none.alloc(5); len(s) != 5 {
		t.Errorf("nil arena gave %d values", len(s))
	}
}

// TestArenaKeepsBounded: after a picture that carved far more than arenaKeepBytes,
// in ordinary chunks and in oversized ones, reset keeps no more than that, and
// keeps ordinary chunks first, which serve most requests; a picture within the
// bound keeps all it carved.
func TestArenaKeepsBounded(t *testing.T) {
	const values = arenaKeepBytes / 8 // float64s within the bound
	for _, tc := range []struct {
		name   string
		sizes  []int // values requested, in order
		chunks int   // ordinary chunks kept
	}{
		{"many ordinary chunks", repeat(arenaChunk/2+1, 6*values/arenaChunk), values / arenaChunk},
		{"one huge slice", []int{2 * values}, 0},
		{"huge, then ordinary", append([]int{values / 2}, repeat(arenaChunk, 2*values/arenaChunk)...), values / arenaChunk},
		{"a small picture", repeat(100, 10), 1},
		{"within the bound", repeat(arenaChunk, values/arenaChunk), values / arenaChunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a arena[float64]
			for _, n := range tc.sizes {
				a.alloc(n)
			}
			carved := a.kept()
			a.reset()
			kept := a.kept()
			if kept > arenaKeepBytes {
				t.Errorf("kept %d bytes of %d carved, more than %d", kept, carved, arenaKeepBytes)
			}
			if carved <= arenaKeepBytes && kept != carved {
				t.Errorf("kept %d bytes of a picture's %d", kept, carved)
			}
			ordinary := 0
			for _, c := range a.spare {
				if cap(c) == arenaChunk {
					ordinary++
				}
			}
			if ordinary != tc.chunks {
				t.Errorf("kept %d ordinary chunks, want %d", ordinary, tc.chunks)
			}
			// the next picture still gets what it asks for, zeroed
			for _, n := range tc.sizes {
				s := a.alloc(n)
				if len(s) != n || s[n-1] != 0 {
					t.Fatalf("alloc(%d) gave %d values", n, len(s))
				}
				s[n-1] = 1
			}
		})
	}
}

func repeat(n, times int) []int {
	s := make([]int, times)
	for i := range s {
		s[i] = n
	}
	return s
}
