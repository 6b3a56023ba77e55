package steps_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeaksFindsAPlantedSecret proves the secrets check TestDrills makes:
// a secret planted in any place it searches (a report file, a container
// log, the history, the plan, the run's output) is found, and named by
// its position only.
func TestLeaksFindsAPlantedSecret(t *testing.T) {
	const secret = "0f3c9a5be1d27c4a8e6b0d9f2a7c5e13"
	secrets := []string{"fd1a2b3c4d5e6f", secret}
	places := []string{"run/results.json", "run/logs/steady/minio.log", "history.jsonl", "dr-plan.md", "the run's output"}
	for _, planted := range append(places, "") {
		name := planted
		if name == "" {
			name = "nowhere"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			texts := map[string][]byte{}
			var files []string
			for _, p := range places {
				content := "RESTIC_PASSWORD=[redacted] AWS_ACCESS_KEY_ID=[redacted]\n"
				if p == planted {
					content += "oops " + secret + "\n"
				}
				if p == "the run's output" {
					texts[p] = []byte(content)
					continue
				}
				f := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			files = append(files, filepath.Join(dir, "absent.jsonl"))
			got := leaks(secrets, files, texts)
			if planted == "" {
				if len(got) != 0 {
					t.Fatalf("leaks() = %q with nothing planted", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], "#2") || !strings.HasSuffix(got[0], planted) {
				t.Fatalf("leaks() = %q, want secret #2 found in %s", got, planted)
			}
			if strings.Contains(got[0], secret) {
				t.Fatalf("the report of a leak repeats the secret: %q", got[0])
			}
		})
	}
}
