package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
)

// live shows each scenario as a go-pretty tracker on a terminal: its name,
// what it is doing now, and its elapsed time.
type live struct {
	pw progress.Writer
	mu sync.Mutex
	tr map[string]*progress.Tracker
}

func newLive(out io.Writer) *live {
	pw := progress.NewWriter()
	pw.SetOutputWriter(out)
	pw.SetAutoStop(false)
	pw.SetMessageLength(90)
	pw.SetTrackerLength(12)
	pw.SetUpdateFrequency(200 * time.Millisecond)
	pw.SetStyle(progress.StyleDefault)
	pw.Style().Visibility.ETA = false
	pw.Style().Visibility.Percentage = false
	pw.Style().Visibility.Value = false
	pw.Style().Visibility.Time = true
	go pw.Render()
	return &live{pw: pw, tr: map[string]*progress.Tracker{}}
}

// Update implements drill.Progress.
func (l *live) Update(scenario, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.tr[scenario]
	if !ok {
		t = &progress.Tracker{Message: scenario, Total: 0}
		l.tr[scenario] = t
		l.pw.AppendTracker(t)
	}
	name := scenario
	if len(name) > 40 {
		name = name[:39] + "…"
	}
	t.UpdateMessage(fmt.Sprintf("%-40s %s", name, what))
	switch what {
	case "PASSED":
		t.MarkAsDone()
	case "FAILED", "NOT RUN":
		t.MarkAsErrored()
	}
}

func (l *live) stop() {
	for l.pw.IsRenderInProgress() && l.pw.LengthActive() > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	l.pw.Stop()
	time.Sleep(250 * time.Millisecond)
}

// liveOutputs opens the files that take godog's and the event log's lines
// while the terminal shows the live display.
func liveOutputs(dir string) (godogOut, logOut *os.File, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create report folder %s: %w", dir, err)
	}
	g, err := os.Create(filepath.Join(dir, "godog.txt"))
	if err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", filepath.Join(dir, "godog.txt"), err)
	}
	lg, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		g.Close()
		return nil, nil, fmt.Errorf("create %s: %w", filepath.Join(dir, "run.log"), err)
	}
	return g, lg, nil
}
