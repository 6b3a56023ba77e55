package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"firedrill/harness/report"
	"firedrill/harness/result"
)

// LoadRun reads a past run's results.json. ref is a run id, "latest", or a
// path to a run folder or results.json.
func LoadRun(root, ref string) (result.Run, string, error) {
	if ref == "" {
		ref = "latest"
	}
	dir := filepath.Join(root, ref)
	if st, err := os.Stat(ref); err == nil {
		dir = ref
		if !st.IsDir() {
			dir = filepath.Dir(ref)
		}
	}
	path := filepath.Join(dir, "results.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return result.Run{}, "", fmt.Errorf("read results of run %q: %w (runs are folders of %s; 'latest' is the newest)", ref, err, root)
	}
	var run result.Run
	if err := json.Unmarshal(b, &run); err != nil {
		return result.Run{}, "", fmt.Errorf("decode %s: %w", path, err)
	}
	return run, dir, nil
}

// Formats a run can be rendered in.
var Formats = []string{"terminal", "markdown", "html", "csv", "junit", "json"}

// Render writes a past run in one format, against the history in root.
func Render(w io.Writer, root string, run result.Run, format string, color bool) error {
	opts := report.Options{Color: color}
	if f, err := os.Open(filepath.Join(root, "history.jsonl")); err == nil {
		opts.History, _ = report.ReadHistory(f)
		f.Close()
	}
	switch format {
	case "terminal", "":
		return report.Terminal(w, run, opts)
	case "markdown", "md":
		return report.Markdown(w, run, opts)
	case "html":
		return report.HTML(w, run, opts)
	case "csv":
		return report.CSV(w, run)
	case "junit":
		// from results.json alone: junit.xml needs no step of the run
		opts.Hostname = hostname()
		return report.JUnit(w, run, opts)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(run)
	}
	return fmt.Errorf("render run %s: unknown format %q: use one of %s", run.RunID, format, strings.Join(Formats, ", "))
}
