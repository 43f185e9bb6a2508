package bot

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"sync"
	"time"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Chart geometry in millimetres; at chartDPMM the PNG is chartW*chartDPMM wide.
const (
	chartW    = 160.0
	chartH    = 90.0
	chartDPMM = 8.0 // 1280 x 720 px: sharp on a phone, small as a photo
)

// ChartSize is the pixel size of /history charts.
var chartPixels = [2]int{int(chartW * chartDPMM), int(chartH * chartDPMM)}

var (
	chartFontOnce sync.Once
	chartFont     *canvas.FontFamily
	chartFontErr  error
)

// fonts loads the embedded Go fonts once; they never change, so sharing them is safe.
func fonts() (*canvas.FontFamily, error) {
	chartFontOnce.Do(func() {
		f := canvas.NewFontFamily("go")
		if err := f.LoadFont(goregular.TTF, 0, canvas.FontRegular); err != nil {
			chartFontErr = err
			return
		}
		if err := f.LoadFont(gobold.TTF, 0, canvas.FontBold); err != nil {
			chartFontErr = err
			return
		}
		chartFont = f
	})
	return chartFont, chartFontErr
}

var (
	colLine    = color.RGBA{0x33, 0x66, 0xcc, 0xff}
	colP95     = color.RGBA{0x99, 0xb3, 0xe6, 0xff}
	colGrid    = color.RGBA{0xe3, 0xe3, 0xe3, 0xff}
	colText    = color.RGBA{0x44, 0x44, 0x44, 0xff}
	colUp      = color.RGBA{0x77, 0xcc, 0x66, 0xff} // the map's ok green, darker to read as a band
	colDown    = color.RGBA{0xff, 0x66, 0x55, 0xff}
	colPartial = color.RGBA{0xff, 0xbb, 0x44, 0xff}
	colNoData  = color.RGBA{0xee, 0xee, 0xee, 0xff}
)

// drawChart draws a check's history: a latency line (average, with p95 fainter) over an
// up/down band where each step is green (all runs passed), red (all failed), orange
// (some failed) or grey (no data).
func drawChart(points []Point, since, until time.Time, step time.Duration, title string, loc *time.Location) ([]byte, error) {
	ff, err := fonts()
	if err != nil {
		return nil, fmt.Errorf("chart font: %w", err)
	}
	if loc == nil {
		loc = time.Local
	}
	c := canvas.New(chartW, chartH)
	ctx := canvas.NewContext(c)
	ctx.SetFillColor(canvas.White)
	ctx.DrawPath(0, 0, canvas.Rectangle(chartW, chartH))

	const left, right, bottom, top = 18.0, 6.0, 16.0, 12.0
	const bandH = 4.0
	plotX, plotY := left, bottom+bandH+3
	plotW, plotH := chartW-left-right, chartH-plotY-top

	titleFace := ff.Face(11, colText, canvas.FontBold)
	face := ff.Face(7, colText, canvas.FontRegular)
	ctx.DrawText(left, chartH-4, canvas.NewTextLine(titleFace, title, canvas.Left))

	span := until.Sub(since).Seconds()
	if span <= 0 {
		span = 1
	}
	xOf := func(t time.Time) float64 {
		return plotX + plotW*math.Max(0, math.Min(1, t.Sub(since).Seconds()/span))
	}

	// Latency scale: a round maximum above the highest p95.
	maxLat := 0.0
	for _, p := range points {
		maxLat = math.Max(maxLat, ms(p.AvgLatency))
		maxLat = math.Max(maxLat, ms(p.P95Latency))
	}
	scale := niceCeil(maxLat)
	yOf := func(v float64) float64 { return plotY + plotH*math.Min(1, v/scale) }

	ctx.SetFillColor(canvas.Transparent)
	ctx.SetStrokeColor(colGrid)
	ctx.SetStrokeWidth(0.2)
	for i := 0; i <= 4; i++ {
		v := scale * float64(i) / 4
		y := yOf(v)
		grid := &canvas.Path{}
		grid.MoveTo(plotX, y)
		grid.LineTo(plotX+plotW, y)
		ctx.DrawPath(0, 0, grid)
		ctx.DrawText(plotX-1.5, y-1, canvas.NewTextLine(face, fmtMS(v), canvas.Right))
	}

	// Time ticks.
	for _, t := range timeTicks(since, until, loc) {
		x := xOf(t.at)
		tick := &canvas.Path{}
		tick.MoveTo(x, plotY)
		tick.LineTo(x, plotY+plotH)
		ctx.SetStrokeColor(colGrid)
		ctx.DrawPath(0, 0, tick)
		ctx.DrawText(x, bottom-6, canvas.NewTextLine(face, t.label, canvas.Center))
	}

	// Up/down band.
	if step <= 0 {
		step = until.Sub(since)
	}
	ctx.SetStrokeColor(canvas.Transparent)
	ctx.SetFillColor(colNoData)
	ctx.DrawPath(plotX, bottom, canvas.Rectangle(plotW, bandH))
	for _, p := range points {
		if p.Checks == 0 {
			continue
		}
		col := colPartial
		switch {
		case p.Failures == 0:
			col = colUp
		case p.Failures >= p.Checks:
			col = colDown
		}
		x0, x1 := xOf(p.Time), xOf(p.Time.Add(step))
		ctx.SetFillColor(col)
		ctx.DrawPath(x0, bottom, canvas.Rectangle(math.Max(x1-x0, 0.3), bandH))
	}

	// Latency lines, broken where there is no data.
	drawLine := func(col color.Color, width float64, val func(Point) time.Duration) {
		line := &canvas.Path{}
		open := false
		var prev time.Time
		for _, p := range points {
			// Buckets without runs are missing from a series: a gap breaks the line.
			if open && p.Time.Sub(prev) > step*3/2 {
				open = false
			}
			prev = p.Time
			if p.Checks == 0 || p.Checks == p.Failures && val(p) == 0 {
				open = false
				continue
			}
			x, y := xOf(p.Time.Add(step/2)), yOf(ms(val(p)))
			if open {
				line.LineTo(x, y)
			} else {
				line.MoveTo(x, y)
				open = true
			}
		}
		ctx.SetFillColor(canvas.Transparent)
		ctx.SetStrokeColor(col)
		ctx.SetStrokeWidth(width)
		ctx.SetStrokeJoiner(canvas.RoundJoin)
		ctx.DrawPath(0, 0, line)
	}
	drawLine(colP95, 0.35, func(p Point) time.Duration { return p.P95Latency })
	drawLine(colLine, 0.6, func(p Point) time.Duration { return p.AvgLatency })

	legend := canvas.NewTextLine(face, "avg latency · p95 · band: up / partly down / down", canvas.Right)
	ctx.DrawText(chartW-right, chartH-4, legend)

	img := rasterizer.Draw(c, canvas.DPMM(chartDPMM), canvas.DefaultColorSpace)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	return buf.Bytes(), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.3g s", v/1000)
	}
	return fmt.Sprintf("%.3g ms", v)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1 ms).
func niceCeil(v float64) float64 {
	if v <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

type tick struct {
	at    time.Time
	label string
}

// timeTicks picks 4-8 round times within the window.
func timeTicks(since, until time.Time, loc *time.Location) []tick {
	span := until.Sub(since)
	var every time.Duration
	layout := "15:04"
	switch {
	case span <= 2*time.Hour:
		every = 15 * time.Minute
	case span <= 12*time.Hour:
		every = 2 * time.Hour
	case span <= 36*time.Hour:
		every = 4 * time.Hour
	case span <= 8*24*time.Hour:
		every, layout = 24*time.Hour, "Mon 2"
	default:
		every, layout = 5*24*time.Hour, "2 Jan"
	}
	var out []tick
	start := since.In(loc)
	var t time.Time
	if every >= 24*time.Hour {
		t = time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, loc)
	} else {
		t = start.Truncate(every).Add(every)
	}
	for ; t.Before(until) && len(out) < 12; t = t.Add(every) {
		out = append(out, tick{at: t, label: t.Format(layout)})
	}
	return out
}
