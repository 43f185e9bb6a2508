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
