package runner

import (
	"bytes"
	"encoding/json"
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
// features is what godog ran (junit.xml and cucumber.json merge it with
// the results). If the folder cannot be written, the table is still
// printed: results kept in memory are never lost silently.
func Publish(run result.Run, features []report.Feature, root, dir string, out io.Writer, color bool) error {
	histPath := filepath.Join(root, "history.jsonl")
	var history []report.Entry
	if f, err := os.Open(histPath); err == nil {
		history, _ = report.ReadHistory(f)
		f.Close()
	}
	opts := report.Options{History: history, Hostname: hostname()}
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
	render("junit.xml", func(w io.Writer) error { return report.JUnit(w, run, opts) })
	render("cucumber.json", func(w io.Writer) error { return report.Cucumber(w, run, features) })
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

// WriteResults writes the run's results.json into its report folder, as
// every report is: mode 0644, atomically (a reader never sees half a file).
func WriteResults(run result.Run, dir string) error {
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return writeFile(filepath.Join(dir, "results.json"), append(b, '\n'))
}

// writeFile writes a report file with mode 0644, through a temporary file
// renamed into place.
func writeFile(path string, b []byte) error {
	fail := func(err error) error {
		return fmt.Errorf("write %s: %w (check the reports folder is writable and the disk not full)", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// hostname names the machine for junit.xml; "localhost" if unknown.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
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
