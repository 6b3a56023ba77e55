package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"firedrill/harness/report"
	"firedrill/harness/result"
)

// Publish renders a run's reports into its folder, appends the run to the
// history, points reports/latest at the run, and prints the summary table.
// If the folder cannot be written, the table is still printed: results
// kept in memory are never lost silently.
func Publish(run result.Run, root, dir string, out io.Writer, color bool) error {
	histPath := filepath.Join(root, "history.jsonl")
	var history []report.Entry
	if f, err := os.Open(histPath); err == nil {
		history, _ = report.ReadHistory(f)
		f.Close()
	}
	opts := report.Options{History: history}
	var errs []error
	render := func(name string, fn func(io.Writer) error) {
		var buf bytes.Buffer
		if err := fn(&buf); err != nil {
			errs = append(errs, fmt.Errorf("render %s: %w", name, err))
			return
		}
		if err := writeFile(filepath.Join(dir, name), buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	render("summary.md", func(w io.Writer) error { return report.Markdown(w, run, opts) })
	render("results.csv", func(w io.Writer) error { return report.CSV(w, run) })
	renderHTML(render, run, opts)

	if err := appendFile(histPath, report.HistoryLine(run)); err != nil {
		errs = append(errs, err)
	}
	latest := filepath.Join(root, "latest")
	_ = os.Remove(latest)
	if err := os.Symlink(filepath.Base(dir), latest); err != nil {
		errs = append(errs, fmt.Errorf("point %s at %s: %w", latest, dir, err))
	}
	topts := opts
	topts.Color = color
	fmt.Fprintln(out)
	if err := report.Terminal(out, run, topts); err != nil {
		errs = append(errs, fmt.Errorf("render terminal table: %w", err))
	}
	fmt.Fprintf(out, "\nfiredrill: reports in %s (results.json, summary.md, report.html, results.csv, junit.xml, cucumber.json)\n", dir)
	return errors.Join(errs...)
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w (check the reports folder is writable and the disk not full)", path, err)
	}
	return nil
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("append %s: %w", path, err)
	}
	return f.Close()
}
