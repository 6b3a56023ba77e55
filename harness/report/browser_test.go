package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTMLInBrowser opens report.html in headless Chromium: the page must
// load with one timeline per scenario (but one not run that timed
// nothing), and a screenshot of it must show content (not a blank page).
// CI installs Debian's chromium; elsewhere the test skips when no browser
// is installed.
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
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,2000"}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dom, err := exec.CommandContext(ctx, browser, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	want := 0
	for _, s := range run.Scenarios {
		if drawsTimeline(s) {
			want++
		}
	}
	if got := strings.Count(string(dom), "<svg"); got != want {
		t.Fatalf("rendered page has %d timelines, want one per scenario that timed something (%d)", got, want)
	}
	for _, s := range run.Scenarios {
		if !strings.Contains(string(dom), s.Name) {
			t.Errorf("rendered page lacks scenario %q", s.Name)
		}
	}

	shot := filepath.Join(dir, "shot.png")
	if out, err := exec.CommandContext(ctx, browser, append(common, "--screenshot="+shot, "file://"+page)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	// A blank or failed page is one colour; a rendered report is not.
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
	if keep := os.Getenv("FIREDRILL_KEEP_SCREENSHOT"); keep != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(keep, b, 0o644)
	}
}
