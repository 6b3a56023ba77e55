package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// measureScript is added to the test's copy of the page (the report itself
// runs no script): once laid out, it writes what the test checks into the
// page, which --dump-dom returns.
const measureScript = `<script>
addEventListener("load", () => {
  const visible = el => getComputedStyle(el).display !== "none" && el.getBoundingClientRect().width > 0;
  const out = {width: innerWidth, height: document.documentElement.scrollHeight,
    pageOverflow: document.documentElement.scrollWidth - innerWidth, svgs: [], tables: [], timelines: []};
  for (const svg of document.querySelectorAll("svg")) {
    if (!visible(svg)) continue;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    let min = 1e9, minText = "";
    for (const t of svg.querySelectorAll("text")) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (px < min) { min = px; minText = t.textContent; }
    }
    out.svgs.push({id: svg.getAttribute("aria-labelledby"), cls: svg.getAttribute("class"), scale, minFont: min, minText});
  }
  for (const sec of document.querySelectorAll("section.scenario")) {
    out.timelines.push([...sec.querySelectorAll("svg.timeline")].filter(visible).length);
  }
  for (const w of document.querySelectorAll(".table-wrap")) {
    out.tables.push({cls: w.querySelector("table").getAttribute("class"), overflow: w.scrollWidth - w.clientWidth});
  }
  parent.postMessage(JSON.stringify(out), "*");
});
</script>`

// frame is a page that shows a report in an iframe of a given width:
// headless Chromium's window is never narrower than 500 px, a phone's
// screen is. The report in the frame is height px high (all of it, so it
// never scrolls), moved up by top px (the part screenshots before showed);
// the measures it posts are written into this page, which --dump-dom
// returns.
func frame(src string, width, height, top int) string {
	return fmt.Sprintf(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>html, body { margin: 0; overflow: hidden; }</style></head>
<body><iframe src="%s" scrolling="no" style="display: block; border: 0; width: %dpx; height: %dpx; margin-top: -%dpx;"></iframe>
<script>addEventListener("message", e => { const pre = document.createElement("pre"); pre.id = "measure"; pre.textContent = e.data; document.body.appendChild(pre); });</script>
</body></html>
`, src, width, height, top)
}

type pageMeasure struct {
	Width, Height int
	PageOverflow  float64
	SVGs          []struct {
		ID, Cls, MinText string
		Scale, MinFont   float64
	}
	Tables []struct {
		Cls      string
		Overflow float64
	}
	Timelines []int
}

var measureRe = regexp.MustCompile(`(?s)<pre id="measure">(.*?)</pre>`)

// TestHTMLInBrowser opens report.html in headless Chromium at a desktop
// width (1400 px) and a phone's (420 px). At each: every scenario that
// timed something shows one timeline; no SVG text is drawn under 11 px; no
// table is cut (the overview's last column shows at 1400 px) and the page
// does not scroll sideways; a full-page screenshot shows content, not a
// blank page. FIREDRILL_SCREENSHOTS=dir keeps the screenshots there, to
// look at (report-<width>-<n>.png, the page from top to bottom). CI installs Debian's chromium; elsewhere the test skips when no
// browser is installed.
func TestHTMLInBrowser(t *testing.T) {
	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no headless browser: install Debian's chromium (apt-get install -y chromium)")
		}
		t.Skip("no chromium installed: apt-get install -y chromium to run this test")
	}
	run := fixtureRun()
	var buf bytes.Buffer
	if err := HTML(&buf, run, Options{History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	measured := strings.Replace(buf.String(), "</body>", measureScript+"\n</body>", 1)
	for name, b := range map[string]string{"measured.html": measured, "report.html": buf.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keep := os.Getenv("FIREDRILL_SCREENSHOTS")
	want := 0
	for _, s := range run.Scenarios {
		if drawsTimeline(s) {
			want++
		}
	}

	for _, width := range []int{1400, 420} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			chromium := func(height int, page string, args ...string) ([]byte, error) {
				args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
					"--force-device-scale-factor=1", "--virtual-time-budget=5000",
					"--user-data-dir=" + filepath.Join(dir, fmt.Sprintf("profile-%d", width)),
					fmt.Sprintf("--window-size=%d,%d", max(width, 500), height)}, args...)
				return exec.CommandContext(ctx, browser, append(args, "file://"+page)...).Output()
			}
			page := filepath.Join(dir, fmt.Sprintf("frame-%d.html", width))
			if err := os.WriteFile(page, []byte(frame("measured.html", width, 2000, 0)), 0o644); err != nil {
				t.Fatal(err)
			}
			dom, err := chromium(2000, page, "--dump-dom")
			if err != nil {
				t.Fatalf("chromium --dump-dom: %v", err)
			}
			mm := measureRe.FindSubmatch(dom)
			if mm == nil {
				t.Fatalf("the page wrote no measures: did it load?\n%.2000s", dom)
			}
			var m pageMeasure
			if err := json.Unmarshal([]byte(html.UnescapeString(string(mm[1]))), &m); err != nil {
				t.Fatalf("decode measures: %v", err)
			}
			t.Logf("window %d px wide, page %d px high", m.Width, m.Height)
			if m.Width != width {
				t.Fatalf("the report was laid out %d px wide, want %d", m.Width, width)
			}
			for i, n := range m.Timelines {
				if n > 1 {
					t.Errorf("scenario %d shows %d timelines, want one", i+1, n)
				}
			}
			if shown := sum(m.Timelines); shown != want || len(m.Timelines) != len(run.Scenarios) {
				t.Errorf("%d timelines shown in %d scenarios, want one per scenario that timed something (%d of %d)", shown, len(m.Timelines), want, len(run.Scenarios))
			}
			for _, s := range m.SVGs {
				if s.MinFont < 11 {
					t.Errorf("%s (%s) draws %q at %.1f px (scaled %.2f): under 11 px", s.ID, s.Cls, s.MinText, s.MinFont, s.Scale)
				}
			}
			for _, tb := range m.Tables {
				if tb.Overflow > 1 {
					t.Errorf("a table (%s) is cut by %.0f px: it scrolls sideways", tb.Cls, tb.Overflow)
				}
			}
			if m.PageOverflow > 1 {
				t.Errorf("the page is %.0f px wider than the window", m.PageOverflow)
			}

			// The whole page, in screenshots of at most 6000 px (Chromium
			// leaves a taller one partly unpainted), each cut to the width.
			const chunk = 6000
			for i, top := 0, 0; top < m.Height; i, top = i+1, top+chunk {
				height := max(min(chunk, m.Height-top), 100)
				page := filepath.Join(dir, fmt.Sprintf("frame-%d-%d.html", width, i+1))
				if err := os.WriteFile(page, []byte(frame("report.html", width, m.Height, top)), 0o644); err != nil {
					t.Fatal(err)
				}
				shot := filepath.Join(dir, fmt.Sprintf("report-%d-%d.png", width, i+1))
				if out, err := chromium(height, page, "--screenshot="+shot); err != nil {
					t.Fatalf("chromium --screenshot: %v\n%s", err, out)
				}
				img := cropWidth(t, shot, width)
				if i == 0 {
					checkNotBlank(t, img)
				}
				if keep != "" {
					if err := writePNG(filepath.Join(keep, filepath.Base(shot)), img); err != nil {
						t.Errorf("keep screenshot: %v", err)
					}
				}
			}
		})
	}
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// cropWidth reads a screenshot, cut to the report's width.
func cropWidth(t *testing.T, shot string, width int) image.Image {
	t.Helper()
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() <= width {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, width, b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkNotBlank fails on a screenshot of one colour: a blank or failed
// page; a rendered report has many.
func checkNotBlank(t *testing.T, img image.Image) {
	t.Helper()
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|bl>>12] = true
		}
	}
	if len(colours) < 8 {
		t.Fatalf("screenshot shows %d colours: the page looks blank", len(colours))
	}
}
