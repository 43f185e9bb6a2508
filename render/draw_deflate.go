package render

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
)

// rleDeflater writes a raw deflate stream for PNG rows filtered with Up: in a
// diagram nearly every byte is then zero, and the rest are edges (a colour step
// repeated across a box's width, one pixel of three bytes after another) and glyph
// pixels. Runs at distances 1 and 3 (one byte, one pixel) are found by comparing
// eight bytes at a time; elsewhere a small hash table finds earlier copies of the
// same glyph pixels, as a general LZ77 encoder does. Codes are dynamic Huffman per
// block. On such rows it is several times faster than compress/flate's fastest
// level, at a similar size.
type rleDeflater struct {
	out    []byte
	bits   uint64
	nbits  uint
	tokens []uint32 // literal byte, or matchFlag | length<<16 | distance-1

	hist  []byte // the last bytes written, at least a window's worth
	base  int    // stream position of hist[0]
	pos   int    // hist[pos:] is not tokenized yet
	table [1 << hashBits]int32
	// zeroRun is the length of the last row when it was written by zeroRow, so
	// the next such row can be one copy of it; 0 otherwise.
	zeroRun int
}

const (
	matchFlag    = 1 << 31
	maxMatch     = 258
	minMatch     = 3
	blockTokens  = 1 << 16
	endOfBlock   = 256
	numLitLen    = 286
	numDist      = 30
	maxCodeBits  = 15
	maxCLenBits  = 7
	numCodeLens  = 19
	lengthCodes0 = 257
	windowSize   = 1 << 15
	hashBits     = 14
)

// length code base values and extra bits, from RFC 1951 3.2.5
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	codeLenPerm = [numCodeLens]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	// lengthCode[l-3] is the index into lengthBase of match length l
	lengthCode = func() (t [maxMatch - minMatch + 1]uint8) {
		c := 0
		for l := minMatch; l <= maxMatch; l++ {
			for c+1 < len(lengthBase) && int(lengthBase[c+1]) <= l {
				c++
			}
			t[l-minMatch] = uint8(c)
		}
		return t
	}()
)

// reset empties d for a new stream, keeping its buffers.
func (d *rleDeflater) reset() {
	d.out, d.tokens, d.hist = d.out[:0], d.tokens[:0], d.hist[:0]
	d.bits, d.nbits, d.base, d.pos, d.zeroRun = 0, 0, 0, 0, 0
	clear(d.table[:])
}

func (d *rleDeflater) writeBits(v uint64, n uint) {
	d.bits |= v << d.nbits
	d.nbits += n
	for d.nbits >= 8 {
		d.out = append(d.out, byte(d.bits))
		d.bits >>= 8
		d.nbits -= 8
	}
}

// write tokenizes p, which may refer back to what was written before.
func (d *rleDeflater) write(p []byte) {
	copy(d.row(len(p)), p)
	d.flushRow()
}

// row returns room for the next n bytes of input, to be filled before flushRow:
// the PNG encoder filters a row straight into the deflater's history.
func (d *rleDeflater) row(n int) []byte {
	if len(d.hist)+n > cap(d.hist) && len(d.hist) > windowSize {
		// keep the last window; what is older can no longer be referred to
		drop := len(d.hist) - windowSize
		d.hist = append(d.hist[:0], d.hist[drop:]...)
		d.base += drop
		d.pos -= drop
	}
	if len(d.hist)+n > cap(d.hist) {
		d.hist = append(make([]byte, 0, max(8*windowSize, 2*(len(d.hist)+n))), d.hist...)
	}
	d.hist = d.hist[:len(d.hist)+n]
	return d.hist[len(d.hist)-n:]
}

// zeroRow tokenizes the row added since the last call, known to be the byte
// first followed by zeros, without reading it: most filtered rows of a diagram
// are one such, and the one before it the same.
func (d *rleDeflater) zeroRow(first byte) {
	n := len(d.hist) - d.pos
	i := d.pos
	d.pos = len(d.hist)
	if n <= 0 {
		return
	}
	prev := d.zeroRun
	d.zeroRun = n
	if prev == n && n <= windowSize && d.hist[i-n] == first {
		// one long copy of the row above, then zeros repeating the zero before
		// them: a distance of 1 has the shortest code
		if n < maxMatch+minMatch {
			d.match(n, n)
			return
		}
		d.tokens = append(d.tokens, matchFlag|uint32(maxMatch)<<16|uint32(n-1))
		d.match(n-maxMatch, 1)
		return
	}
	// first, one zero, then the zeros repeat the one before them
	d.literal(first)
	if n > 1 {
		d.literal(0)
	}
	if n > 2 {
		d.match(n-2, 1)
	}
}

func (d *rleDeflater) literal(b byte) {
	d.tokens = append(d.tokens, uint32(b))
	if len(d.tokens) >= blockTokens {
		d.flushBlock(false)
	}
}

// match writes the last n bytes of the input as a copy from dist back.
func (d *rleDeflater) match(n, dist int) {
	d.copyOf(len(d.hist)-n, n, dist)
}

// copyOf writes the n bytes from hist[i] on as a copy from dist back, in as many
// tokens as it takes; what is shorter than minMatch becomes literals.
func (d *rleDeflater) copyOf(i, n, dist int) {
	for n >= minMatch {
		l := min(n, maxMatch)
		if n-l > 0 && n-l < minMatch {
			l = n - minMatch // leave a whole match for the rest
		}
		d.tokens = append(d.tokens, matchFlag|uint32(l)<<16|uint32(dist-1))
		n -= l
		i += l
		if len(d.tokens) >= blockTokens {
			d.flushBlock(false)
		}
	}
	for k := i; k < i+n; k++ {
		d.literal(d.hist[k])
	}
}

// flushRow tokenizes the input added since the last call.
func (d *rleDeflater) flushRow() {
	d.zeroRun = 0
	i := d.pos
	d.pos = len(d.hist)
	d.tokenize(i, d.pos)
}

// spanRow tokenizes the row added since the last call, whose bytes are zero
// outside the spans (offsets into the row, in order, apart): the zeros between
// them are written as runs without being read, which is most of a row with a
// few lines of text or a box's edge in it.
func (d *rleDeflater) spanRow(spans [][2]int) {
	d.zeroRun = 0
	start := d.pos
	d.pos = len(d.hist)
	i := start
	for _, s := range spans {
		if s0 := start + s[0]; i < s0 {
			i = d.zeros(i, s0)
		}
		if s1 := start + s[1]; i < s1 {
			i = d.tokenize(i, s1)
		}
	}
	if i < d.pos {
		d.zeros(i, d.pos)
	}
}

// zeros writes hist[i:j], known to be zeros, and returns j.
func (d *rleDeflater) zeros(i, j int) int {
	if i == 0 || d.hist[i-1] != 0 {
		d.literal(0)
		i++
	}
	d.copyOf(i, j-i, 1)
	return j
}

// tokenize writes the input from hist[i] on until at least end, finding copies
// anywhere before, and returns where it stopped (a copy may run past end).
func (d *rleDeflater) tokenize(i, end int) int {
	h := d.hist
	n := len(h)
	for i < end {
		best, dist := 0, 0
		if i >= 1 {
			best, dist = runLen(h, i, 1), 1
		}
		// A run of one byte is a run of one pixel too: look further only when short.
		if best < 8 && i >= 3 {
			if l := runLen(h, i, 3); l > best {
				best, dist = l, 3
			}
		}
		if best < 8 && i+4 <= n {
			key := binary.LittleEndian.Uint32(h[i:])
			slot := &d.table[key*0x1e35a7bd>>(32-hashBits)]
			cand := int(*slot) - 1 - d.base
			*slot = int32(i + d.base + 1)
			if cand >= 0 && i-cand <= windowSize && binary.LittleEndian.Uint32(h[cand:]) == key {
				if l := runLenFrom(h, i, cand, maxMatch); l > best {
					best, dist = l, i-cand
				}
			}
		}
		if best < minMatch {
			d.tokens = append(d.tokens, uint32(h[i]))
			i++
		} else {
			for best >= minMatch {
				l := min(best, maxMatch)
				if best-l > 0 && best-l < minMatch {
					l = best - minMatch // leave a whole match for the rest
				}
				d.tokens = append(d.tokens, matchFlag|uint32(l)<<16|uint32(dist-1))
				i += l
				best -= l
			}
		}
		if len(d.tokens) >= blockTokens {
			d.flushBlock(false)
		}
	}
	return i
}

// runLenFrom is how many bytes from p[i] on equal those from p[j] on (j < i), up
// to limit.
func runLenFrom(p []byte, i, j, limit int) int {
	p = p[:min(len(p), i+limit)]
	k := 0
	for i+k+8 <= len(p) && binary.LittleEndian.Uint64(p[i+k:]) == binary.LittleEndian.Uint64(p[j+k:]) {
		k += 8
	}
	for i+k < len(p) && p[i+k] == p[j+k] {
		k++
	}
	return k
}

// distCode is the deflate distance code of distance d, with its extra bits.
func distCode(d int) (code, extra, nextra uint) {
	v := uint(d - 1)
	if v < 4 {
		return v, 0, 0
	}
	nb := uint(bits.Len(v)) - 2
	return 2*nb + (v>>nb)&1 + 2, v & (1<<nb - 1), nb
}

// runLen is how many bytes from p[i] on repeat the bytes dist before them.
func runLen(p []byte, i, dist int) int {
	k := i
	for k+8 <= len(p) && binary.LittleEndian.Uint64(p[k:]) == binary.LittleEndian.Uint64(p[k-dist:]) {
		k += 8
	}
	for k < len(p) && p[k] == p[k-dist] {
		k++
	}
	return k - i
}

// flushBlock writes the pending tokens as one dynamic-Huffman block.
func (d *rleDeflater) flushBlock(final bool) {
	var litFreq [numLitLen]int
	var distFreq [numDist]int
	for _, t := range d.tokens {
		if t&matchFlag == 0 {
			litFreq[t]++
			continue
		}
		litFreq[lengthCodes0+int(lengthCode[(t>>16&0x1ff)-minMatch])]++
		dc, _, _ := distCode(int(t&0x7fff) + 1)
		distFreq[dc]++
	}
	litFreq[endOfBlock]++
	if len(d.tokens) == 0 {
		litFreq[0] = 1 // two codes at least, as every decoder accepts
	}
	// A distance code of one symbol or none trips some decoders: give it two.
	for c := 0; countNonZero(distFreq[:]) < 2; c++ {
		if distFreq[c] == 0 {
			distFreq[c] = 1
		}
	}
	litLens := huffmanLengths(litFreq[:], maxCodeBits)
	distLens := huffmanLengths(distFreq[:], maxCodeBits)
	hlit := numLitLen
	for hlit > 257 && litLens[hlit-1] == 0 {
		hlit--
	}
	hdist := numDist
	for hdist > 1 && distLens[hdist-1] == 0 {
		hdist--
	}
	// The code lengths of both codes, run-length coded with symbols 16, 17 and 18.
	all := append(append([]uint8{}, litLens[:hlit]...), distLens[:hdist]...)
	type clSym struct{ sym, extra, nextra uint8 }
	var cl []clSym
	var clFreq [numCodeLens]int
	for i := 0; i < len(all); {
		v := all[i]
		r := 1
		for i+r < len(all) && all[i+r] == v {
			r++
		}
		i += r
		if v == 0 {
			for r >= 11 {
				k := min(r, 138)
				cl = append(cl, clSym{18, uint8(k - 11), 7})
				r -= k
			}
			if r >= 3 {
				cl = append(cl, clSym{17, uint8(r - 3), 3})
				r = 0
			}
		} else {
			cl = append(cl, clSym{v, 0, 0})
			r--
			for r >= 3 {
				k := min(r, 6)
				cl = append(cl, clSym{16, uint8(k - 3), 2})
				r -= k
			}
		}
		for ; r > 0; r-- {
			cl = append(cl, clSym{v, 0, 0})
		}
	}
	for _, s := range cl {
		clFreq[s.sym]++
	}
	clLens := huffmanLengths(clFreq[:], maxCLenBits)
	hclen := numCodeLens
	for hclen > 4 && clLens[codeLenPerm[hclen-1]] == 0 {
		hclen--
	}
	litCodes, distCodes, clCodes := canonicalCodes(litLens), canonicalCodes(distLens), canonicalCodes(clLens)

	fin := uint64(0)
	if final {
		fin = 1
	}
	d.writeBits(fin|2<<1, 3) // BTYPE 10: dynamic Huffman
	d.writeBits(uint64(hlit-257), 5)
	d.writeBits(uint64(hdist-1), 5)
	d.writeBits(uint64(hclen-4), 4)
	for _, s := range codeLenPerm[:hclen] {
		d.writeBits(uint64(clLens[s]), 3)
	}
	for _, s := range cl {
		d.writeBits(uint64(clCodes[s.sym]), uint(clLens[s.sym]))
		if s.nextra > 0 {
			d.writeBits(uint64(s.extra), uint(s.nextra))
		}
	}
	for _, t := range d.tokens {
		if t&matchFlag == 0 {
			d.writeBits(uint64(litCodes[t]), uint(litLens[t]))
			continue
		}
		l := int(t >> 16 & 0x1ff)
		c := lengthCode[l-minMatch]
		sym := lengthCodes0 + int(c)
		d.writeBits(uint64(litCodes[sym]), uint(litLens[sym]))
		if e := lengthExtra[c]; e > 0 {
			d.writeBits(uint64(l-int(lengthBase[c])), uint(e))
		}
		dc, extra, nextra := distCode(int(t&0x7fff) + 1)
		d.writeBits(uint64(distCodes[dc]), uint(distLens[dc]))
		if nextra > 0 {
			d.writeBits(uint64(extra), nextra)
		}
	}
	d.writeBits(uint64(litCodes[endOfBlock]), uint(litLens[endOfBlock]))
	d.tokens = d.tokens[:0]
}

func countNonZero(f []int) int {
	n := 0
	for _, v := range f {
		if v != 0 {
			n++
		}
	}
	return n
}

// syncFlush ends the pending block and pads to a byte with an empty stored block,
// so another deflate stream piece can follow (as zlib's Z_SYNC_FLUSH).
func (d *rleDeflater) syncFlush() {
	if len(d.tokens) > 0 {
		d.flushBlock(false)
	}
	d.writeBits(0, 3)
	if d.nbits > 0 {
		d.writeBits(0, 8-d.nbits)
	}
	d.out = append(d.out, 0, 0, 0xff, 0xff)
}

// close writes the pending tokens as the final block and pads to a byte.
func (d *rleDeflater) close() {
	d.flushBlock(true)
	if d.nbits > 0 {
		d.writeBits(0, 8-d.nbits)
	}
}

// huffmanLengths gives code lengths (at most maxBits) for the frequencies; unused
// symbols get 0. A code that would be too deep is rebuilt from flattened counts.
func huffmanLengths(freq []int, maxBits uint8) []uint8 {
	lens := make([]uint8, len(freq))
	f := append([]int{}, freq...)
	for {
		type node struct {
			w           int
			left, right int // children, -1 for a leaf
			sym         int
		}
		nodes := make([]node, 0, 2*len(f))
		for s, w := range f {
			if w > 0 {
				nodes = append(nodes, node{w: w, left: -1, right: -1, sym: s})
			}
		}
		switch len(nodes) {
		case 0:
			return lens
		case 1:
			// A one-symbol code still needs one bit.
			lens[nodes[0].sym] = 1
			return lens
		}
		slices.SortStableFunc(nodes, func(a, b node) int { return cmp.Compare(a.w, b.w) })
		leaves := len(nodes)
		// Two queues: leaves in weight order, then internal nodes in creation order.
		li, ii := 0, leaves
		pick := func() int {
			if li < leaves && (ii >= len(nodes) || nodes[li].w <= nodes[ii].w) {
				li++
				return li - 1
			}
			ii++
			return ii - 1
		}
		for len(nodes)-leaves < leaves-1 {
			a := pick()
			b := pick()
			nodes = append(nodes, node{w: nodes[a].w + nodes[b].w, left: a, right: b, sym: -1})
		}
		depth := make([]uint8, len(nodes))
		deepest := uint8(0)
		for k := len(nodes) - 1; k >= leaves; k-- {
			for _, c := range []int{nodes[k].left, nodes[k].right} {
				depth[c] = depth[k] + 1
				deepest = max(deepest, depth[c])
			}
		}
		if deepest <= maxBits {
			for k := 0; k < leaves; k++ {
				lens[nodes[k].sym] = depth[k]
			}
			return lens
		}
		for s := range f {
			if f[s] > 0 {
				f[s] = f[s]/2 + 1
			}
		}
	}
}

// canonicalCodes gives the deflate codes for the lengths, bit-reversed for writing
// least significant bit first.
func canonicalCodes(lens []uint8) []uint16 {
	var count [maxCodeBits + 2]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [maxCodeBits + 2]int
	code := 0
	for b := 1; b <= maxCodeBits; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	codes := make([]uint16, len(lens))
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		r := 0
		for k := uint8(0); k < l; k++ {
			r = r<<1 | c>>k&1
		}
		codes[s] = uint16(r)
	}
	return codes
}
