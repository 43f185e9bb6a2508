package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"io"
	"runtime"
	"sync"
)

// bandRows is the height of the strips a picture is drawn and compressed in. A
// strip of a wide map is about a megabyte, which stays in the processor's cache
// from drawing to compressing, and the whole picture never sits in memory at four
// bytes a pixel; lower strips would redraw more of the paths that cross them.
const bandRows = 128

// bandMargin rows are drawn above every strip and dropped.
const bandMargin = 2

// paintFunc draws rows y0 onwards of the picture, premultiplied RGBA, into dst,
// which is transparent when called. Calls for different strips run concurrently.
type paintFunc func(dst *image.RGBA, y0 int)

// encodeOpaquePNG writes a width×height picture, drawn strip by strip by paint and
// laid over the opaque colour bg, as an 8-bit RGB PNG with the "Up" filter on
// every row. Diagrams are large flat areas and thin lines: Up turns repeated rows
// into zeros, which compresses as well as the standard encoder's adaptive
// filtering at a fraction of its cost (it tries five filters per row), and
// dropping the alpha channel saves a quarter of the data.
func encodeOpaquePNG(w io.Writer, width, height int, bg color.RGBA, paint paintFunc) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("encode png: empty image")
	}
	// Rows are drawn and compressed in parallel pieces (as pigz does): every piece
	// but the last ends with a sync flush, so the pieces join into one deflate stream.
	strips := (height + bandRows - 1) / bandRows
	pieces := max(1, min(runtime.GOMAXPROCS(0), 8, strips/2))
	type piece struct {
		w     *pngWorker
		adler uint32
		n     int64
	}
	out := make([]piece, pieces)
	errs := make([]error, pieces)
	var wg sync.WaitGroup
	for k := 0; k < pieces; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			// A panic here would end the process, past any recover of the caller's:
			// it becomes the picture's error, and the worker is dropped.
			defer func() {
				if r := recover(); r != nil {
					errs[k] = fmt.Errorf("encode png: rows from %d: panic: %v", strips*k/pieces*bandRows, r)
				}
			}()
			s0, y1 := strips*k/pieces*bandRows, min(height, strips*(k+1)/pieces*bandRows)
			wk := getPNGWorker(width)
			d := &wk.d
			var ad adler
			rowLen := 1 + 3*width
			// A strip is drawn with a margin above: the rasterizer misses a little of
			// what crosses its top edge, so that edge must lie outside the rows kept.
			// Strips lie on one grid for the whole picture, so the row above a piece
			// is drawn here exactly as the piece above drew it for the filter.
			band := wk.band
			stride := band.Stride
			last := (bandMargin + bandRows - 1) * stride
			prev := wk.prev
			if s0 > 0 {
				clear(band.Pix)
				paint(band, s0-bandRows-bandMargin)
				copy(prev, band.Pix[last:last+4*width])
			}
			for b0 := s0; b0 < y1; b0 += bandRows {
				clear(band.Pix)
				paint(band, b0-bandMargin)
				for r := 0; r < bandRows && b0+r < y1; r++ {
					y := b0 + r
					i := (bandMargin + r) * stride
					row := band.Pix[i : i+4*width]
					above := prev
					if r > 0 {
						above = band.Pix[i-stride : i-stride+4*width]
					}
					cur := d.row(rowLen)
					if y == 0 {
						cur[0] = 0 // None: there is no row above
						opaqueRow(row, bg, cur[1:])
						ad.update(cur)
						d.flushRow()
						continue
					}
					cur[0] = 2 // Up
					same, spans := upRow(cur[1:], row, above, bg, wk.spans[:0])
					wk.spans = spans
					if same {
						ad.zeroRow(cur[0], len(cur))
						d.zeroRow(cur[0])
						continue
					}
					// the filter byte, then the spans that differ, in row offsets
					rowSpans := append(wk.rowSpans[:0], [2]int{0, 1})
					for _, sp := range spans {
						sp[0], sp[1] = sp[0]+1, sp[1]+1
						if last := &rowSpans[len(rowSpans)-1]; sp[0] <= last[1] {
							last[1] = max(last[1], sp[1])
							continue
						}
						rowSpans = append(rowSpans, sp)
					}
					wk.rowSpans = rowSpans
					at := 0
					for _, sp := range rowSpans {
						ad.zeros(sp[0] - at)
						ad.update(cur[sp[0]:sp[1]])
						at = sp[1]
					}
					ad.zeros(len(cur) - at)
					d.spanRow(rowSpans)
				}
				copy(prev, band.Pix[last:last+4*width])
			}
			if k == pieces-1 {
				d.close()
			} else {
				d.syncFlush()
			}
			out[k] = piece{w: wk, adler: ad.sum(), n: int64(y1-s0) * int64(rowLen)}
		}(k)
	}
	wg.Wait()
	defer func() {
		for _, pc := range out {
			if pc.w != nil {
				putPNGWorker(pc.w)
			}
		}
	}()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// zlib header (deflate, 32K window, fastest), the pieces, the checksum
	stream := [][]byte{{0x78, 0x01}}
	sum := uint32(1)
	size := 2 + 4
	for _, pc := range out {
		stream = append(stream, pc.w.d.out)
		sum = adler32Combine(sum, pc.adler, pc.n)
		size += len(pc.w.d.out)
	}
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], sum)
	stream = append(stream, tail[:])
	if b, ok := w.(*bytes.Buffer); ok {
		b.Grow(8 + 25 + size + 12*(size/maxIDAT+1) + 12)
	}
	if _, err := io.WriteString(w, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8] = 8  // bit depth
	ihdr[9] = 2  // colour type RGB
	ihdr[10] = 0 // deflate
	ihdr[11] = 0 // adaptive filtering
	ihdr[12] = 0 // no interlace
	if err := writeChunks(w, "IHDR", [][]byte{ihdr[:]}, len(ihdr)); err != nil {
		return err
	}
	if err := writeChunks(w, "IDAT", stream, maxIDAT); err != nil {
		return err
	}
	return writeChunks(w, "IEND", nil, 0)
}

// maxIDAT is the largest IDAT chunk written.
const maxIDAT = 256 << 10

// pngWorker holds what one piece of a picture is drawn and compressed with. The
// buffers are kept for the next picture: a fresh megabyte of strip costs more in
// page faults than drawing into it does.
type pngWorker struct {
	band *image.RGBA
	prev []byte
	d    rleDeflater
	// spans of a filtered row that differ from zero, in dst and in row offsets
	spans, rowSpans [][2]int
}

var pngWorkers = sync.Pool{New: func() any { return &pngWorker{} }}

// getPNGWorker returns a worker for pictures width pixels wide, with an empty
// deflater; the strip and prev hold whatever they held. Put it back with
// putPNGWorker when done with its output.
func getPNGWorker(width int) *pngWorker {
	w := pngWorkers.Get().(*pngWorker)
	r := image.Rect(0, 0, width, bandMargin+bandRows)
	if n := 4 * r.Dx() * r.Dy(); w.band == nil || cap(w.band.Pix) < n {
		w.band = image.NewRGBA(r)
	} else {
		w.band = &image.RGBA{Pix: w.band.Pix[:n], Stride: 4 * r.Dx(), Rect: r}
	}
	if cap(w.prev) < 4*width {
		w.prev = make([]byte, 4*width)
	}
	w.prev = w.prev[:4*width]
	w.d.reset()
	return w
}

// workerKeepBytes bounds each buffer a worker keeps for the next picture: the
// strip of a picture 4000 pixels wide, or a piece compressing to 2 MB. Larger
// ones, from the rare widest pictures, are made again when needed, rather than
// kept for as long as the process runs.
const workerKeepBytes = 2 << 20

// putPNGWorker puts w back into pngWorkers without its oversized buffers.
func putPNGWorker(w *pngWorker) {
	if w.band != nil && cap(w.band.Pix) > workerKeepBytes {
		w.band = nil
	}
	if cap(w.prev) > workerKeepBytes {
		w.prev = nil
	}
	if cap(w.d.out) > workerKeepBytes {
		w.d.out = nil
	}
	if cap(w.d.hist) > workerKeepBytes {
		w.d.hist = nil
	}
	pngWorkers.Put(w)
}

// writeChunks writes the concatenated parts as chunks of type typ of up to limit
// bytes each; no parts make one empty chunk.
func writeChunks(w io.Writer, typ string, parts [][]byte, limit int) error {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	for first := true; first || total > 0; first = false {
		n := min(total, limit)
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(n))
		copy(hdr[4:], typ)
		crc := crc32.Update(0, crc32.IEEETable, hdr[4:])
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		for rem := n; rem > 0; {
			p := parts[0]
			k := min(len(p), rem)
			if _, err := w.Write(p[:k]); err != nil {
				return err
			}
			crc = crc32.Update(crc, crc32.IEEETable, p[:k])
			if parts[0] = p[k:]; len(parts[0]) == 0 {
				parts = parts[1:]
			}
			rem -= k
		}
		var sum [4]byte
		binary.BigEndian.PutUint32(sum[:], crc)
		if _, err := w.Write(sum[:]); err != nil {
			return err
		}
		total -= n
	}
	return nil
}

// opaqueRow writes a premultiplied RGBA row laid over bg as RGB into dst.
func opaqueRow(row []byte, bg color.RGBA, dst []byte) {
	for x, j := 0, 0; j+2 < len(dst); x, j = x+4, j+3 {
		dst[j], dst[j+1], dst[j+2] = overBg(row[x:x+4], bg)
	}
}

// upRow writes the Up filter of row cur below row prev (both premultiplied RGBA,
// laid over bg) as RGB into dst, and reports whether the rows are the same, when
// dst is all zeros. Only pixels that differ from the one above are converted: in
// a diagram most of them do not, and their difference is zero. The byte ranges of
// dst that may be non-zero are appended to spans, in order and apart.
func upRow(dst, cur, prev []byte, bg color.RGBA, spans [][2]int) (bool, [][2]int) {
	clear(dst)
	if bytes.Equal(cur, prev) {
		return true, spans
	}
	mark := func(b0, b1 int) {
		// ranges closer than a few pixels are one: the gap is not worth a run
		if k := len(spans) - 1; k >= 0 && b0-spans[k][1] < 16 {
			spans[k][1] = b1
			return
		}
		spans = append(spans, [2]int{b0, b1})
	}
	n := len(cur) / 4
	x := 0
	for ; x+8 <= n; x += 8 {
		// eight pixels at a time while they equal the ones above
		i := x * 4
		if (binary.LittleEndian.Uint64(cur[i:])^binary.LittleEndian.Uint64(prev[i:]))|
			(binary.LittleEndian.Uint64(cur[i+8:])^binary.LittleEndian.Uint64(prev[i+8:]))|
			(binary.LittleEndian.Uint64(cur[i+16:])^binary.LittleEndian.Uint64(prev[i+16:]))|
			(binary.LittleEndian.Uint64(cur[i+24:])^binary.LittleEndian.Uint64(prev[i+24:])) == 0 {
			continue
		}
		for k := x; k < x+8; k += 2 {
			if binary.LittleEndian.Uint64(cur[k*4:]) == binary.LittleEndian.Uint64(prev[k*4:]) {
				continue
			}
			upPixel(dst[k*3:k*3+3], cur[k*4:k*4+4], prev[k*4:k*4+4], bg)
			upPixel(dst[k*3+3:k*3+6], cur[k*4+4:k*4+8], prev[k*4+4:k*4+8], bg)
			mark(k*3, k*3+6)
		}
	}
	for ; x < n; x++ {
		if [4]byte(cur[x*4:x*4+4]) != [4]byte(prev[x*4:x*4+4]) {
			upPixel(dst[x*3:x*3+3], cur[x*4:x*4+4], prev[x*4:x*4+4], bg)
			mark(x*3, x*3+3)
		}
	}
	return false, spans
}

func upPixel(dst, c, p []byte, bg color.RGBA) {
	if c[0] == p[0] && c[1] == p[1] && c[2] == p[2] && c[3] == p[3] {
		return
	}
	r1, g1, b1 := overBg(c, bg)
	r0, g0, b0 := overBg(p, bg)
	dst[0], dst[1], dst[2] = r1-r0, g1-g0, b1-b0
}

// overBg is the premultiplied pixel p laid over the opaque colour bg.
func overBg(p []byte, bg color.RGBA) (r, g, b uint8) {
	r, g, b = p[0], p[1], p[2]
	if a := p[3]; a != 255 {
		k := uint32(255 - a)
		r += uint8((uint32(bg.R)*k + 127) / 255)
		g += uint8((uint32(bg.G)*k + 127) / 255)
		b += uint8((uint32(bg.B)*k + 127) / 255)
	}
	return r, g, b
}

// adler is an Adler-32 running sum that passes over zero bytes eight at a time: a
// zero adds nothing to the first sum and the first sum to the second, and filtered
// rows of a diagram are nearly all zeros.
type adler struct {
	s1, s2 uint64
	init   bool
}

func (a *adler) update(p []byte) {
	const base = 65521
	if !a.init {
		a.s1, a.init = 1, true
	}
	s1, s2 := a.s1, a.s2
	// Reduced every 1<<16 bytes, the sums stay far below 2^64.
	for len(p) > 0 {
		n := min(len(p), 1<<16)
		q := p[:n]
		p = p[n:]
		i := 0
		for ; i+8 <= len(q); i += 8 {
			if binary.LittleEndian.Uint64(q[i:]) == 0 {
				s2 += 8 * s1
				continue
			}
			for _, c := range q[i : i+8] {
				s1 += uint64(c)
				s2 += s1
			}
		}
		for _, c := range q[i:] {
			s1 += uint64(c)
			s2 += s1
		}
		s1 %= base
		s2 %= base
	}
	a.s1, a.s2 = s1, s2
}

// zeros adds n zeros: the first sum stays, the second gains it n times.
func (a *adler) zeros(n int) {
	const base = 65521
	if !a.init {
		a.s1, a.init = 1, true
	}
	if n > 0 {
		a.s2 = (a.s2 + a.s1%base*uint64(n)) % base
	}
}

// zeroRow adds the byte first followed by n-1 zeros.
func (a *adler) zeroRow(first byte, n int) {
	const base = 65521
	if !a.init {
		a.s1, a.init = 1, true
	}
	if n <= 0 {
		return
	}
	a.s1 = (a.s1 + uint64(first)) % base
	a.s2 = (a.s2 + a.s1*uint64(n)) % base
}

func (a *adler) sum() uint32 {
	if !a.init {
		return 1
	}
	return uint32(a.s2<<16 | a.s1)
}

// adler32Combine is the Adler-32 of two concatenated pieces from their checksums and
// the second one's length (zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, len2 int64) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	sum1 := a1 & 0xffff
	sum2 := (rem * sum1) % base
	sum1 += (a2 & 0xffff) + base - 1
	sum2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum2<<16 | sum1
}
