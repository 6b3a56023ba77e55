package drplan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The plan's runbook: its recovery procedures as the team wrote them. A
// procedure is a "### Scenario N: Title" section; its steps are the
// numbered comments ("# 2. Option A: Restore from backup") of the fenced
// code blocks in it, each with the lines that follow until the next
// numbered comment. A section without numbered steps ("### Config
// Rollback") is one step, number 0, named by its heading.
//
// A step's lines are of four kinds: commands (shell, continuation lines
// joined), operator instructions (a "# - " bullet, an `ssh HOST` hop, a
// command holding a placeholder such as <snapshot-id>), prose comments, and
// blanks. Only commands run; the rest is what an operator does, and a drill
// says how it did it.

// LineKind says what a runbook line is.
type LineKind int

const (
	// Command is a shell command the drill can run as written.
	Command LineKind = iota
	// Operator is an instruction a person carries out: a "# - " bullet,
	// an `ssh HOST` hop, or a command with a placeholder to fill in.
	Operator
	// Prose is any other comment.
	Prose
)

func (k LineKind) String() string {
	switch k {
	case Command:
		return "command"
	case Operator:
		return "operator"
	}
	return "prose"
}

// RunbookLine is one line (or one command with its continuation lines) of
// a step.
type RunbookLine struct {
	Line int // first line, 1-based
	End  int // last line (continuations)
	Kind LineKind
	// Text is the command with continuations joined, or the comment's text
	// without "#".
	Text string
	// Placeholders are the <...> a command holds.
	Placeholders []string
}

// Step is one numbered step of a procedure.
type Step struct {
	Procedure int    // the scenario number; 0 for a named section
	Section   string // the procedure's heading ("Scenario 2: Data Corruption")
	Number    int    // 0 for a section's only step
	Title     string // "Option A: Restore from backup"
	Line      int    // the numbered comment's line (the block's first line for step 0)
	End       int    // the step's last line
	Lines     []RunbookLine
}

// Ref names the step as a feature refers to it.
func (s Step) Ref() string {
	if s.Procedure == 0 {
		return fmt.Sprintf("section %q", s.Section)
	}
	return fmt.Sprintf("scenario %d step %d", s.Procedure, s.Number)
}

// Commands are the step's runnable command lines, in order.
func (s Step) Commands() []string {
	var out []string
	for _, l := range s.Lines {
		if l.Kind == Command {
			out = append(out, l.Text)
		}
	}
	return out
}

// OperatorLines are the step's instructions for a person.
func (s Step) OperatorLines() []RunbookLine {
	var out []RunbookLine
	for _, l := range s.Lines {
		if l.Kind == Operator {
			out = append(out, l)
		}
	}
	return out
}

// Script is the step's commands as one script, one command a line.
func (s Step) Script() string { return strings.Join(s.Commands(), "\n") }

// Fingerprint is a short hash of the step's command lines (spacing
// normalised): its commands, and the lines an operator runs by hand (a
// command with a placeholder, an ssh hop), not its comments. A feature's
// corrected step names by it the version of the step it corrects.
func (s Step) Fingerprint() string { return Fingerprint(s.CommandLines()) }

// Corrects says whether a corrected script is what the step now reads:
// its command lines (placeholders included, hops and comments not) are the
// script's, spacing aside. A plan patched with a correction reads so.
func (s Step) Corrects(script string) bool {
	var lines []string
	for _, l := range s.Lines {
		if l.Kind == Command || len(l.Placeholders) > 0 {
			lines = append(lines, l.Text)
		}
	}
	return Fingerprint(strings.Join(lines, "\n")) == Fingerprint(CommandsOf(script))
}

// CommandLines are the lines Fingerprint hashes, one a line.
func (s Step) CommandLines() string {
	var lines []string
	for _, l := range s.Lines {
		if l.Kind == Command || len(l.Placeholders) > 0 || sshRe.MatchString(l.Text) {
			lines = append(lines, l.Text)
		}
	}
	return strings.Join(lines, "\n")
}

// Fingerprint hashes a script with its spacing normalised.
func Fingerprint(script string) string {
	var norm []string
	for _, l := range strings.Split(script, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			norm = append(norm, l)
		}
	}
	h := sha256.Sum256([]byte(strings.Join(norm, "\n")))
	return hex.EncodeToString(h[:])[:8]
}

// Runbook is every step of the plan's procedures.
type Runbook struct {
	File  string
	Steps []Step
}

var (
	scenarioHeadRe = regexp.MustCompile(`^#{2,4}\s+Scenario\s+(\d+)\s*[:.-]\s*(.+?)\s*$`)
	headRe         = regexp.MustCompile(`^(#{2,4})\s+(.+?)\s*$`)
	numberedRe     = regexp.MustCompile(`^#\s*(\d+)[.)]\s*(.+?)\s*$`)
	placeholderRe  = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*>`)
	sshRe          = regexp.MustCompile(`^ssh\s+\S+\s*$`)
)

// Runbook reads the plan's procedures: every "Scenario N" section's
// numbered steps, and every other section holding a code block as one
// step named by its heading.
func (p *Plan) Runbook() Runbook {
	rb := Runbook{File: p.Name}
	in := fences(p.lines)
	section, proc := "", 0
	var cur *Step
	flush := func() {
		if cur != nil && (len(cur.Lines) > 0 || cur.Number > 0) {
			rb.Steps = append(rb.Steps, *cur)
		}
		cur = nil
	}
	var cont *RunbookLine // a command continued on the next line
	for i := 0; i < len(p.lines); i++ {
		text := p.lines[i].text
		n := i + 1
		if !in[i] {
			if m := headRe.FindStringSubmatch(strings.TrimSpace(text)); m != nil {
				flush()
				section, proc = m[2], 0
				if sm := scenarioHeadRe.FindStringSubmatch(strings.TrimSpace(text)); sm != nil {
					proc, _ = strconv.Atoi(sm[1])
					section = "Scenario " + sm[1] + ": " + sm[2]
				}
			}
			continue
		}
		t := strings.TrimSpace(text)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			// A fence opens or closes; a section's numbered steps go on
			// across its blocks, an unnumbered block is the section's step.
			cont = nil
			if cur == nil && section != "" {
				cur = &Step{Procedure: proc, Section: section, Line: n + 1}
			}
			continue
		}
		if cur == nil {
			continue
		}
		if cont != nil {
			cont.Text += " " + strings.TrimSuffix(t, "\\")
			cont.Text = strings.TrimSpace(cont.Text)
			cont.End = n
			if !strings.HasSuffix(t, "\\") {
				cont.Placeholders = placeholderRe.FindAllString(cont.Text, -1)
				if len(cont.Placeholders) > 0 {
					cont.Kind = Operator
				}
				cur.Lines = append(cur.Lines, *cont)
				cont = nil
			}
			continue
		}
		if m := numberedRe.FindStringSubmatch(t); m != nil {
			num, _ := strconv.Atoi(m[1])
			if cur.Number > 0 || len(cur.Lines) > 0 {
				if cur.Number == 0 {
					// Lines before the first numbered step (a warning)
					// belong to no step.
					cur = nil
				}
				flush()
			}
			cur = &Step{Procedure: proc, Section: section, Number: num, Title: m[2], Line: n, End: n}
			continue
		}
		cur.End = n
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "#"):
			c := strings.TrimSpace(strings.TrimPrefix(t, "#"))
			kind := Prose
			if strings.HasPrefix(c, "- ") {
				kind, c = Operator, strings.TrimSpace(strings.TrimPrefix(c, "- "))
			}
			cur.Lines = append(cur.Lines, RunbookLine{Line: n, End: n, Kind: kind, Text: c})
		default:
			l := RunbookLine{Line: n, End: n, Kind: Command, Text: strings.TrimSpace(strings.TrimSuffix(t, "\\"))}
			if sshRe.MatchString(t) {
				l.Kind = Operator
			}
			if strings.HasSuffix(t, "\\") {
				cont = &l
				continue
			}
			l.Placeholders = placeholderRe.FindAllString(l.Text, -1)
			if len(l.Placeholders) > 0 {
				l.Kind = Operator
			}
			cur.Lines = append(cur.Lines, l)
		}
	}
	flush()
	return rb
}

// Procedure returns the numbered steps of scenario n.
func (rb Runbook) Procedure(n int) []Step {
	var out []Step
	for _, s := range rb.Steps {
		if s.Procedure == n && n > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Step finds scenario proc's step num.
func (rb Runbook) Step(proc, num int) (Step, bool) {
	for _, s := range rb.Steps {
		if s.Procedure == proc && s.Number == num && proc > 0 {
			return s, true
		}
	}
	return Step{}, false
}

// Section finds a named section's step by its heading (case and spacing
// ignored).
func (rb Runbook) Section(name string) (Step, bool) {
	for _, s := range rb.Steps {
		if s.Procedure == 0 && normalize(s.Section) == normalize(name) {
			return s, true
		}
	}
	return Step{}, false
}

// Procedures lists the scenario numbers the runbook has, in order.
func (rb Runbook) Procedures() []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range rb.Steps {
		if s.Procedure > 0 && !seen[s.Procedure] {
			seen[s.Procedure] = true
			out = append(out, s.Procedure)
		}
	}
	return out
}
