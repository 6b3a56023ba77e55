package harness

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"firedrill/harness/system"
)

// The harness knows no deployment: everything about the drilled system is
// in its system file. These tests keep it so.

// deploymentLiterals are the facts of every system file in systems/ that
// the harness's code must not spell: variable names, homes, git remote
// roots, health ports, and the command lines of the actions.
func deploymentLiterals(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../systems/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("glob systems/*.yml: %v (%d files, want the reference and the second system)", err, len(files))
	}
	set := map[string]bool{}
	for _, f := range files {
		s, err := system.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		set[s.Home] = true
		set[s.HealthPort()] = true
		if s.GitRemote != nil {
			set[s.GitRemote.Root] = true
		}
		v := s.Variables
		for _, names := range []system.Names{v.BrokerURL, v.Repository, v.CloudRepository, v.Host, v.TradeInterval,
			v.IngestInterval, v.StateBackupInterval, v.DataBackupInterval, v.CloudBackupInterval} {
			for _, n := range names {
				set[n] = true
			}
		}
		for _, c := range s.Commands {
			if c = strings.TrimSpace(c); len(c) > 8 {
				set[c] = true
			}
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// issuePattern is the check the team runs by hand.
var issuePattern = regexp.MustCompile(`TR_|8090|make (stop|start)|/opt/trading`)

// findLiterals returns "file:line: literal" for each literal or pattern
// match in the Go files (tests aside) below root.
func findLiterals(t *testing.T, root string, literals []string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := issuePattern.FindString(line); m != "" {
				hits = append(hits, p+":"+strconv.Itoa(i+1)+": "+m)
				continue
			}
			for _, l := range literals {
				if strings.Contains(line, `"`+l) || strings.Contains(line, l+`"`) || strings.Contains(line, "`"+l) {
					hits = append(hits, p+":"+strconv.Itoa(i+1)+": "+l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestHarnessKnowsNoDeployment(t *testing.T) {
	if hits := findLiterals(t, ".", deploymentLiterals(t)); len(hits) > 0 {
		t.Fatalf("the harness spells facts of a deployment; move them to its system file:\n%s", strings.Join(hits, "\n"))
	}
}

// TestLiteralCheckCanFail proves the check above catches a harness file
// that spells a variable name, a home, a command and the issue's patterns.
func TestLiteralCheckCanFail(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nvar (\n\ta = \"TR_HOST\"\n\tb = \"/srv/desk\"\n\tc = \"8090/tcp\"\n\td = `bin/ctl stop`\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	hits := findLiterals(t, dir, []string{"/srv/desk", "bin/ctl stop"})
	if len(hits) != 4 {
		t.Fatalf("want 4 hits (TR_, /srv/desk, 8090, bin/ctl stop), got %d:\n%s", len(hits), strings.Join(hits, "\n"))
	}
}
