package render

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRLEDeflaterRoundTrip inflates what the deflater wrote, in pieces joined by
// sync flushes as the PNG encoder joins them.
func TestRLEDeflaterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	// runs of one byte and of one 3-byte pixel, of every length around the limits
	var runs []byte
	for l := 1; l < 600; l += 1 + l/7 {
		runs = append(runs, bytes.Repeat([]byte{byte(l)}, l)...)
		runs = append(runs, bytes.Repeat([]byte{1, 2, byte(l)}, l/3+1)...)
	}
	skewed := make([]byte, 200000)
	for i := range skewed {
		// geometric frequencies make a Huffman code deeper than 15 bits
		v := 0
		for v < 40 && rng.IntN(2) == 0 {
			v++
		}
		skewed[i] = byte(v)
	}
	// a random pattern copied at distances around the window's 32 KB
	pattern := random(700)
	copies := random(100)
	for _, gap := range []int{10, 3000, 32768 - 700, 32768 - 699, 40000} {
		copies = append(copies, pattern...)
		copies = append(copies, random(gap)...)
	}
	copies = append(copies, pattern...)
	for _, tc := range []struct {
		name   string
		pieces [][]byte
	}{
		{"empty", [][]byte{nil}},
		{"copies", [][]byte{copies}},
		{"one byte", [][]byte{{42}}},
		{"zeros, many blocks", [][]byte{make([]byte, 3<<20)}},
		{"random, many blocks", [][]byte{random(300000)}},
		{"runs", [][]byte{runs}},
		{"skewed", [][]byte{skewed}},
		{"pieces", [][]byte{runs, nil, random(1000), make([]byte, 70000), {2, 0, 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stream, want []byte
			for i, p := range tc.pieces {
				d := &rleDeflater{}
				// rows of uneven length, as the encoder writes them
				for len(p) > 0 {
					n := min(len(p), 1+rng.IntN(9000))
					d.write(p[:n])
					want = append(want, p[:n]...)
					p = p[n:]
				}
				if i == len(tc.pieces)-1 {
					d.close()
				} else {
					d.syncFlush()
				}
				stream = append(stream, d.out...)
			}
			got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("inflated %d bytes differ from the %d written", len(got), len(want))
			}
			if len(want) > 1000 && !strings.HasPrefix(tc.name, "random") && tc.name != "copies" && len(stream) > len(want)/2 {
				t.Errorf("%d bytes compressed to %d", len(want), len(stream))
			}
		})
	}
}

func TestHuffmanLengthsAreBoundedAndComplete(t *testing.T) {
	fib := make([]int, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	for _, tc := range []struct {
		name    string
		freq    []int
		maxBits uint8
	}{
		{"fibonacci", fib, 15},
		{"fibonacci, 7 bits", fib[:19], 7},
		{"uniform", []int{5, 5, 5, 5, 5, 5, 5, 5}, 15},
		{"two", []int{0, 9, 0, 1}, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lens := huffmanLengths(tc.freq, tc.maxBits)
			kraft := 0.0
			for s, l := range lens {
				if (l == 0) != (tc.freq[s] == 0) || l > tc.maxBits {
					t.Fatalf("symbol %d (freq %d) has length %d", s, tc.freq[s], l)
				}
				if l > 0 {
					kraft += 1 / float64(uint(1)<<l)
				}
			}
			if kraft != 1 {
				t.Errorf("Kraft sum %v, want a complete code", kraft)
			}
		})
	}
}

func TestDistCode(t *testing.T) {
	// RFC 1951 3.2.5: code, extra bits, first distance
	for _, tc := range []struct{ d, code, extra, nextra int }{
		{1, 0, 0, 0}, {4, 3, 0, 0}, {5, 4, 0, 1}, {6, 4, 1, 1}, {7, 5, 0, 1}, {9, 6, 0, 2}, {12, 6, 3, 2},
		{13, 7, 0, 2}, {257, 16, 0, 7}, {385, 17, 0, 7}, {24577, 29, 0, 13}, {32768, 29, 8191, 13},
	} {
		c, e, n := distCode(tc.d)
		if int(c) != tc.code || int(e) != tc.extra || int(n) != tc.nextra {
			t.Errorf("distCode(%d) = %d %d %d, want %d %d %d", tc.d, c, e, n, tc.code, tc.extra, tc.nextra)
		}
	}
}

// FuzzRLEDeflater checks that any input, cut into rows anywhere, inflates back.
func FuzzRLEDeflater(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(3))
	f.Add(bytes.Repeat([]byte{1, 2, 3}, 500), uint16(100))
	f.Add([]byte("up 99.9% up 99.9% up 99.9%"), uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		d := &rleDeflater{}
		step := int(cut)%4096 + 1
		for p := data; len(p) > 0; {
			n := min(len(p), step)
			d.write(p[:n])
			p = p[n:]
		}
		d.close()
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(d.out)))
		if err != nil {
			t.Fatalf("inflate: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("inflated %d bytes differ from the %d written", len(got), len(data))
		}
	})
}

// TestRLEDeflaterZeroRows mixes rows written through zeroRow (a first byte, then
// zeros) with ordinary rows of the same and other lengths, across block
// boundaries, and checks the stream inflates back and stays small.
func TestRLEDeflaterZeroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 4, 258, 259, 260, 261, 262, 517, 6961, 30001} {
		d := &rleDeflater{}
		var want []byte
		for r := 0; r < 400; r++ {
			first := byte(2)
			if rng.IntN(7) == 0 {
				first = byte(rng.IntN(5))
			}
			switch rng.IntN(5) {
			case 0: // an ordinary row with content
				row := make([]byte, n)
				row[0] = first
				for i := 1; i < n; i++ {
					if rng.IntN(9) == 0 {
						row[i] = byte(rng.IntN(256))
					}
				}
				d.write(row)
				want = append(want, row...)
			case 1: // a zero row of another length
				m := 1 + rng.IntN(n+3)
				row := d.row(m)
				clear(row)
				row[0] = first
				d.zeroRow(first)
				want = append(want, row...)
			default:
				row := d.row(n)
				clear(row)
				row[0] = first
				d.zeroRow(first)
				want = append(want, row...)
			}
		}
		d.close()
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(d.out)))
		if err != nil {
			t.Fatalf("rows of %d: inflate: %v", n, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("rows of %d: inflated %d bytes differ from the %d written", n, len(got), len(want))
		}
	}
	// a picture's worth of identical zero rows costs a few bytes a row
	d := &rleDeflater{}
	for r := 0; r < 1000; r++ {
		row := d.row(6961)
		clear(row)
		row[0] = 2
		d.zeroRow(2)
	}
	d.close()
	if len(d.out) > 1000*16 {
		t.Errorf("1000 zero rows compressed to %d bytes", len(d.out))
	}
}

// TestRLEDeflaterSpanRows writes rows whose bytes are zero outside given spans
// through spanRow, between zero rows and ordinary ones, and inflates them back.
func TestRLEDeflaterSpanRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 100; trial++ {
		d := &rleDeflater{}
		var want []byte
		for r := 0; r < 30; r++ {
			n := 1 + rng.IntN(9000)
			row := d.row(n)
			clear(row)
			row[0] = 2
			switch rng.IntN(4) {
			case 0:
				d.zeroRow(2)
			case 1:
				for i := range row {
					if rng.IntN(5) == 0 {
						row[i] = byte(rng.IntN(4))
					}
				}
				d.flushRow()
			default:
				spans := [][2]int{{0, 1}}
				for at := 1; at < n; {
					s0 := at + rng.IntN(300)
					if s0 >= n {
						break
					}
					s1 := min(n, s0+1+rng.IntN(40))
					for i := s0; i < s1; i++ {
						if rng.IntN(3) > 0 {
							row[i] = byte(rng.IntN(4))
						}
					}
					spans = append(spans, [2]int{s0, s1})
					at = s1 + 1
				}
				d.spanRow(spans)
			}
			want = append(want, row...)
		}
		d.close()
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(d.out)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("trial %d: %v, inflated %d bytes, want %d equal", trial, err, len(got), len(want))
		}
	}
}
