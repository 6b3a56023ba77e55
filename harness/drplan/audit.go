package drplan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Audit: can the plan's own backups keep the RPO targets it promises?
//
// An RPO target is a worst case: the most data a recovery may lose. A
// recovery can bring back no more than the newest backup it restores from,
// so the worst case a backup allows is its cadence (a failure just before
// the next run loses everything since the last one). Audit reads the plan
// as it is, before any drill runs, and judges each row of the "RTO/RPO
// Summary" table against the backups the plan itself describes.
//
// What counts as a backup (PlanBackup):
//
//   - FromCommand: a backup command (restic … backup, git push, cp, rsync,
//     tar, rclone, …) in a fenced code block under a heading that names
//     "backup" ("### File-based Backups"), with the comment lines right above
//     it ("# Daily backup (via cron)"). Lines between blank lines are one
//     backup; "restic init" is not a backup.
//   - FromList: a list item under such a heading that names a backup.
//   - FromTable: a row of any table with a "Backup" column (the row's first
//     cell names what it backs up).
//   - FromSummary: an asset's "- Backup: …" line elsewhere ("Backup: Daily
//     to restic"). A summary says what the backups are, the backups above
//     say how they are taken: when the plan has any of those, a summary only
//     backs a promise through them (it is cited beside the backup it agrees
//     with, and a summary that promises more than any of them does is a
//     note); when the plan has none, summaries are the backups.
//
// What a backup covers, from the words of its heading, comments, paths or
// table cells: "state" (state, positions, live trading; artifacts/state),
// "data" (data, artifacts, market, parquet), "config" and "code" (code,
// src, source). It is off site when it names cloud, off site,
// remote, s3:, b2:, gs:, azure, sftp or rclone; optional when it says
// "optional" or "if configured". An optional backup cannot back a promise.
//
// Its cadence (BackupCadence), in this order of trust: a cron expression
// ("*/5 * * * *" → 5 min, "0 2 * * *" → 24 h, @daily; the longest gap
// between two runs), then "sleep N" inside a loop, then the words ("every
// minute", "every 60 s", "every 2 hours", "(60 s)", "hourly", "daily",
// "nightly", "weekly", "monthly"); several in one tier: the longest. A git
// backup keeps every commit. A cadence named but not given ("every
// `DATA_BACKUP_INTERVAL`") is looked up in the plan (`NAME=60s`,
// "NAME (60 s)"), else it is unknown: not stated in the plan. A backup
// command that states no cadence takes the one stated for the other backups
// under its heading when they agree ("# Cloud backup (optional)" below
// "# Daily backup (via cron)"), citing that line.
//
// Which backups a row's recovery restores from, by the row's name (first
// rule that matches):
//
//  1. server, host, machine, site, data center, region, hardware,
//     disaster → the off-site backups other than git (a new machine gets
//     its code from git; the RPO is about the data and state it must get
//     back): "Complete server failure".
//  2. code, config, configuration, deploy → git backups and backups that
//     cover code or config: "Code corruption", "Code or config corruption".
//  3. live, state, trading, position, order → backups that cover state:
//     "Live system failure", "Live trading failure".
//  4. data, database, market → backups that cover data: "Data corruption".
//
// A row no rule maps, or whose rule finds no backup, is "not audited", never
// dropped.
//
// The verdict: the best backup that is not optional (shortest known
// cadence) sets the worst case. Kept when it is no longer than the target
// (a git backup: kept for committed changes; uncommitted work is not
// covered); broken when it is longer, or when only optional backups back
// the row; unknown when no backup that could keep it states its cadence.

// AuditVerdict is what the plan's backups say about one RPO promise.
type AuditVerdict int

// Audit verdicts.
const (
	// PromiseNotAudited: no backup of the plan maps to the row.
	PromiseNotAudited AuditVerdict = iota
	// PromiseKept: a backup's worst case is within the target.
	PromiseKept
	// PromiseBroken: the backups allow more loss than the target, or the
	// only ones are optional.
	PromiseBroken
	// PromiseUnknown: the backups that could keep it state no cadence.
	PromiseUnknown
)

func (v AuditVerdict) String() string {
	switch v {
	case PromiseKept:
		return "kept"
	case PromiseBroken:
		return "broken"
	case PromiseUnknown:
		return "unknown"
	}
	return "not audited"
}

// BackupSource is where in the plan a backup is described.
type BackupSource int

// Backup sources.
const (
	FromCommand BackupSource = iota // a command in a code block under a backup heading
	FromList                        // a list item under a backup heading
	FromTable                       // a row of a table with a Backup column
	FromSummary                     // an asset's "Backup:" line
)

// BackupCadence is how often a backup runs, as the plan states it.
type BackupCadence struct {
	Every     time.Duration // the longest gap between two runs; valid when Known
	Known     bool
	PerCommit bool   // a git backup: every commit
	Name      string // a named cadence ("DATA_BACKUP_INTERVAL") whose value the plan does not state
	Text      string // as the plan states it: "daily", "every minute", "sleep 60", "*/5 * * * *"
	Line      int    // the plan's line that states it (1-based); 0 when none does

	how      cadenceHow
	disagree string // the words that state another cadence than the command runs
}

type cadenceHow int

const (
	cadNone cadenceHow = iota
	cadNamed
	cadWord  // hourly, daily, …
	cadWords // every minute, every 60 s, (60 s)
	cadSleep
	cadCron
	cadCommit
)

// String is the cadence as a predicate: "daily", "runs every 60 s",
// "keeps every commit".
func (c BackupCadence) String() string {
	switch c.how {
	case cadCommit:
		return "keeps every commit"
	case cadWord:
		return c.Text
	case cadWords:
		if strings.HasPrefix(c.Text, "every ") {
			return "runs " + c.Text
		}
		return "runs every " + c.Text // "(60 s)"
	case cadSleep:
		return "runs every " + auditDur(c.Every)
	case cadCron:
		return fmt.Sprintf("runs every %s by cron %q", auditDur(c.Every), c.Text)
	case cadNamed:
		if c.Known {
			return fmt.Sprintf("runs every %s = %s", c.Name, auditDur(c.Every))
		}
		return "runs every " + c.Name
	}
	return "states no cadence"
}

// PlanBackup is one backup the plan describes.
type PlanBackup struct {
	Description string // its comment, command, table row's first cell or summary text
	Line        int    // 1-based
	Source      BackupSource
	Covers      []string // "code", "config", "data", "state"
	Git         bool
	OffSite     bool
	Optional    bool
	Cadence     BackupCadence

	section int // line index of its heading, -1 when none
}

func (b PlanBackup) covers(kind string) bool {
	for _, k := range b.Covers {
		if k == kind {
			return true
		}
	}
	return false
}

// AuditFinding is the audit of one row's RPO promise.
type AuditFinding struct {
	Row       string
	RowLine   int           // the row's line in the plan, 1-based
	RPOTarget time.Duration // as parsed
	RPOText   string        // as written ("5 min")
	// Kind is what the rules map the row to: "off-site", "code", "state",
	// "data"; "" when no rule does.
	Kind    string
	Verdict AuditVerdict
	// Backup is the backup judged: the best one that could keep the
	// promise; nil when not audited.
	Backup *PlanBackup
	// Also are the plan's other lines that state the same backup.
	Also []PlanBackup
	// WorstCase is the most data the plan's backups allow to lose, valid
	// when WorstCaseKnown; Margin is RPOTarget - WorstCase.
	WorstCase      time.Duration
	WorstCaseKnown bool
	Margin         time.Duration
	// CommittedOnly: kept by git, for committed changes only.
	CommittedOnly bool
	Reason        string   // why, for a verdict without a usable backup
	Notes         []string // what else the plan says that bears on the promise
}

// AuditReport is the audit of every row of a plan's table.
type AuditReport struct {
	Plan     string
	Findings []AuditFinding // in the table's order
	Backups  []PlanBackup   // every backup the plan describes, summaries included
}

// Broken returns the findings whose promise the plan's backups cannot keep.
func (r AuditReport) Broken() []AuditFinding {
	var out []AuditFinding
	for _, f := range r.Findings {
		if f.Verdict == PromiseBroken {
			out = append(out, f)
		}
	}
	return out
}

// FindingFor returns the finding of the row named scenario, matched as
// Plan.Row matches.
func (r AuditReport) FindingFor(scenario string) (AuditFinding, bool) {
	for _, f := range r.Findings {
		if normalize(f.Row) == normalize(scenario) {
			return f, true
		}
	}
	return AuditFinding{}, false
}

// WorstCase returns the most data the plan's backups allow the row named
// scenario to lose, and whether the plan states it (false when the row's
// backups state no cadence, are only optional and state none, or no backup
// maps to it). For a row kept by git it is 0, for committed changes only.
func (r AuditReport) WorstCase(scenario string) (time.Duration, bool) {
	f, ok := r.FindingFor(scenario)
	if !ok || !f.WorstCaseKnown {
		return 0, false
	}
	return f.WorstCase, true
}

// Audit judges each row's RPO target against the backups the plan
// describes. It fails only on a row whose target cannot be read or a table
// without rows (a *Error, as Parse's).
func Audit(p *Plan) (AuditReport, error) {
	if len(p.Rows) == 0 {
		return AuditReport{}, p.errorf(p.Line, ErrBadTable, "add one row per scenario", "the \"RTO/RPO Summary\" table has no rows")
	}
	var errs []error
	for _, r := range p.Rows {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return AuditReport{}, err
	}
	texts := make([]string, len(p.lines))
	for i, l := range p.lines {
		texts[i] = l.text
	}
	backups := findBackups(texts, fences(p.lines))
	rep := AuditReport{Plan: p.Name, Backups: backups}
	for _, r := range p.Rows {
		rep.Findings = append(rep.Findings, judge(p, r, backups))
	}
	return rep, nil
}

// String is the finding as one line:
//
//	RPO of "Data corruption" (line 351: 5 min) cannot be kept: its data backup "Daily backup (via cron)" (line 64; also line 23 "Daily to restic") is daily: up to 24 h lost
func (f AuditFinding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "RPO of %q (line %d: %s) ", f.Row, f.RowLine, f.RPOText)
	switch f.Verdict {
	case PromiseKept:
		if f.CommittedOnly {
			b.WriteString("is kept for committed changes: ")
		} else {
			b.WriteString("is kept: ")
		}
	case PromiseBroken:
		b.WriteString("cannot be kept: ")
	case PromiseUnknown:
		b.WriteString("is unknown: ")
	default:
		b.WriteString("is not audited: " + f.Reason)
		writeNotes(&b, f.Notes)
		return b.String()
	}
	bk := f.Backup
	label := f.Kind
	if bk.Git {
		label = "git"
	} else if label == "code" {
		label = "config"
	}
	name := fmt.Sprintf("%q", bk.Description)
	if bk.Source == FromTable {
		name = "of " + name
	}
	fmt.Fprintf(&b, "its %s backup %s (line %d", label, name, bk.Line)
	if len(f.Also) > 0 {
		b.WriteString("; also ")
		for i, a := range f.Also {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "line %d %q", a.Line, a.Description)
		}
	}
	b.WriteString(")")
	c := bk.Cadence
	switch {
	case bk.Optional && c.how == cadNone:
		b.WriteString(" is optional")
	case bk.Optional:
		b.WriteString(" is optional and " + c.String())
	case c.how == cadNone:
	case c.how == cadWord:
		b.WriteString(" is " + c.String())
	default:
		b.WriteString(" " + c.String())
	}
	if c.Line > 0 && c.Line != bk.Line {
		fmt.Fprintf(&b, " (line %d)", c.Line)
	}
	b.WriteString(": ")
	switch {
	case f.Verdict == PromiseKept && f.CommittedOnly:
		b.WriteString("nothing committed is lost; uncommitted work is not covered")
	case f.Verdict == PromiseKept:
		fmt.Fprintf(&b, "up to %s lost, margin %s", auditDur(f.WorstCase), auditDur(f.Margin))
	case f.Verdict == PromiseBroken && bk.Optional:
		if f.WorstCaseKnown {
			fmt.Fprintf(&b, "up to %s lost if it is set up, and no %s copy at all if it is not", auditDur(f.WorstCase), label)
		} else {
			fmt.Fprintf(&b, "cadence not stated in the plan, and no %s copy at all if it is not set up", label)
		}
	case f.Verdict == PromiseBroken:
		fmt.Fprintf(&b, "up to %s lost", auditDur(f.WorstCase))
	default:
		b.WriteString(f.Reason)
	}
	writeNotes(&b, f.Notes)
	return b.String()
}

func writeNotes(b *strings.Builder, notes []string) {
	for _, n := range notes {
		b.WriteString("; " + n)
	}
}

// auditDur writes a duration the way the table does: "24 h", "5 min",
// "60 s", "2 min 30 s", "7 d".
func auditDur(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d < 0:
		return "-" + auditDur(-d)
	case d == 0:
		return "0 s"
	case d <= time.Minute && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	case d > day && d%day == 0:
		return fmt.Sprintf("%d d", d/day)
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0 && d > time.Minute:
		return fmt.Sprintf("%d min %d s", d/time.Minute, d%time.Minute/time.Second)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

// --- which backups a row restores from ---

type auditRule struct {
	kind  string
	row   *regexp.Regexp
	wants func(PlanBackup) bool
}

var auditRules = []auditRule{
	{"off-site", regexp.MustCompile(`(?i)\b(server|host|machine|site|data ?cent(?:er|re)|region|hardware|disaster)s?\b`),
		func(b PlanBackup) bool { return b.OffSite && !b.Git }},
	{"code", regexp.MustCompile(`(?i)\b(code|config|configuration|deploy|deployment)s?\b`),
		func(b PlanBackup) bool { return b.Git || b.covers("code") || b.covers("config") }},
	{"state", regexp.MustCompile(`(?i)\b(live|state|trading|positions?|orders?)\b`),
		func(b PlanBackup) bool { return b.covers("state") }},
	{"data", regexp.MustCompile(`(?i)\b(data|database|market)\b`),
		func(b PlanBackup) bool { return b.covers("data") }},
}

const notMapped = "no backup of the plan maps to this row"

func judge(p *Plan, r Row, backups []PlanBackup) AuditFinding {
	f := AuditFinding{Row: r.Scenario, RowLine: r.Line, RPOTarget: r.RPOTarget, RPOText: rpoText(p, r)}
	var rule *auditRule
	for i := range auditRules {
		if auditRules[i].row.MatchString(r.Scenario) {
			rule = &auditRules[i]
			break
		}
	}
	if rule == nil {
		f.Reason = notMapped + " (its name names no server, code, config, state or data)"
		return f
	}
	f.Kind = rule.kind
	shown := false // the plan shows how some backup is taken
	for _, b := range backups {
		if b.Source != FromSummary {
			shown = true
			break
		}
	}
	var cands, summaries []PlanBackup
	for _, b := range backups {
		if !rule.wants(b) {
			continue
		}
		if b.Source == FromSummary && shown {
			summaries = append(summaries, b)
		} else {
			cands = append(cands, b)
		}
	}
	rowKind := rule.kind
	if rowKind == "code" && !codeRe.MatchString(r.Scenario) {
		rowKind = "config"
	}
	if len(cands) == 0 {
		f.Reason = notMapped
		for _, s := range summaries {
			f.Notes = append(f.Notes, fmt.Sprintf("line %d (%q) names one, but no backup the plan shows how to take does", s.Line, s.Description))
		}
		return f
	}
	var firm, optional []PlanBackup
	for _, b := range cands {
		if b.Optional {
			optional = append(optional, b)
		} else {
			firm = append(firm, b)
		}
	}
	if len(firm) == 0 {
		best := bestBackup(optional, rowKind)
		f.Backup = &best
		f.Verdict = PromiseBroken
		f.Reason = "optional: an optional backup cannot back a promise"
		if best.Cadence.Known {
			f.WorstCase, f.WorstCaseKnown = best.Cadence.Every, true
			f.Margin = f.RPOTarget - f.WorstCase
		}
	} else {
		best := bestBackup(firm, rowKind)
		f.Backup = &best
		c := best.Cadence
		switch {
		case c.PerCommit:
			f.Verdict, f.CommittedOnly = PromiseKept, true
			f.WorstCaseKnown, f.Margin = true, f.RPOTarget
		case c.Known && c.Every <= f.RPOTarget:
			f.Verdict = PromiseKept
			f.WorstCase, f.WorstCaseKnown, f.Margin = c.Every, true, f.RPOTarget-c.Every
		case c.Known:
			var unknown []PlanBackup
			for _, b := range firm {
				if !b.Cadence.Known && !b.Cadence.PerCommit {
					unknown = append(unknown, b)
				}
			}
			if len(unknown) == 0 {
				f.Verdict = PromiseBroken
				f.WorstCase, f.WorstCaseKnown, f.Margin = c.Every, true, f.RPOTarget-c.Every
				break
			}
			// a backup of unstated cadence might keep it
			u := unknown[0]
			f.Backup = &u
			f.Verdict = PromiseUnknown
			f.Reason = "cadence not stated in the plan"
			f.Notes = append(f.Notes, fmt.Sprintf("the best stated cadence, line %d's, allows up to %s", best.Line, auditDur(c.Every)))
		default:
			f.Verdict = PromiseUnknown
			f.Reason = "cadence not stated in the plan"
		}
	}
	best := *f.Backup
	if best.Cadence.disagree != "" {
		f.Notes = append(f.Notes, best.Cadence.disagree)
	}
	for _, b := range firm {
		if b.Line != best.Line && sameCadence(b.Cadence, best.Cadence) {
			f.Also = append(f.Also, b)
		}
	}
	for _, s := range summaries {
		switch {
		case sameCadence(s.Cadence, best.Cadence) || (s.Git && best.Git):
			f.Also = append(f.Also, s)
		case !s.Optional && best.Optional,
			s.Cadence.Known && (!best.Cadence.Known || s.Cadence.Every < best.Cadence.Every):
			f.Notes = append(f.Notes, fmt.Sprintf("line %d (%q) promises more than any backup the plan shows how to take", s.Line, s.Description))
		}
	}
	sort.SliceStable(f.Also, func(i, j int) bool { return f.Also[i].Line < f.Also[j].Line })
	return f
}

// bestBackup is the backup with the shortest known cadence (git first),
// then one covering kind, then the first in the plan.
func bestBackup(bs []PlanBackup, kind string) PlanBackup {
	rank := func(b PlanBackup) (int, time.Duration) {
		switch {
		case b.Cadence.PerCommit:
			return 0, 0
		case b.Cadence.Known:
			return 1, b.Cadence.Every
		}
		return 2, 0
	}
	best := bs[0]
	for _, b := range bs[1:] {
		rb, eb := rank(b)
		rc, ec := rank(best)
		if rb < rc || (rb == rc && eb < ec) || (rb == rc && eb == ec && b.covers(kind) && !best.covers(kind)) {
			best = b
		}
	}
	return best
}

func sameCadence(a, b BackupCadence) bool {
	switch {
	case a.PerCommit || b.PerCommit:
		return a.PerCommit && b.PerCommit
	case a.Known || b.Known:
		return a.Known && b.Known && a.Every == b.Every
	}
	return a.Name != "" && a.Name == b.Name
}

func rpoText(p *Plan, r Row) string {
	if c := p.cols.rpoTarget; r.Line >= 1 && r.Line <= len(p.lines) && c < len(r.cells) {
		if t := strings.TrimSpace(strings.Trim(strings.TrimSpace(r.cells[c].text(p.lines[r.Line-1].text)), "*_`")); t != "" {
			return t
		}
	}
	return auditDur(r.RPOTarget)
}

// --- finding the backups ---

var (
	headingRe      = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	backupWordRe   = regexp.MustCompile(`(?i)\bbackups?\b`)
	listItemRe     = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+(.*)$`)
	summaryRe      = regexp.MustCompile(`(?i)^\s*[-*+]\s+(?:\*\*|__)?backups?(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*?)\s*$`)
	locationRe     = regexp.MustCompile(`(?i)^\s*[-*+]\s+(?:\*\*|__)?(?:location|where|paths?)(?:\*\*|__)?\s*:`)
	listBackupRe   = regexp.MustCompile(`(?i)\b(backups?|snapshots?|restic|rsync|rclone|git push)\b`)
	gitPushRe      = regexp.MustCompile(`\bgit\s+push\b`)
	gitWordRe      = regexp.MustCompile(`(?i)\bgit\b`)
	gitCellRe      = regexp.MustCompile(`(?i)^\s*\x60?git\b`)
	copyWordRe     = regexp.MustCompile(`(?i)\b(copy|copies|sync)\b`)
	resticBackupRe = regexp.MustCompile(`\brestic\b.*\sbackup\b`)
	copyCmdRe      = regexp.MustCompile(`(?:^|[;&|]\s*|\bthen\s+|\bdo\s+)(?:sudo\s+)?(?:cp|rsync|scp|tar|rclone|pg_dump|mysqldump|borg\s+create|duplicity|aws\s+s3\s+(?:cp|sync)|gsutil\s+(?:-m\s+)?(?:cp|rsync))\b`)
	offsiteRe      = regexp.MustCompile(`(?i)\b(cloud|off[- ]?site|offsite|remote|azure|sftp|rclone|glacier)\b|\b(s3|b2|gs|swift|rclone|sftp|azure):`)
	optionalRe     = regexp.MustCompile(`(?i)\boptional(ly)?\b|\bif configured\b|\bnot (yet )?(set up|configured)\b`)
	stateRe        = regexp.MustCompile(`(?i)\bstate\b|\bpositions?\b|\blive trading\b`)
	dataRe         = regexp.MustCompile(`(?i)\bdata\b|\bartifacts\b|\bmarket\b|\bparquet\b|\bbars\b`)
	configRe       = regexp.MustCompile(`(?i)\bconfig(s|uration)?\b`)
	codeRe         = regexp.MustCompile(`(?i)\bcode\b|\bsrc\b|\bsource\b`)
)

// findBackups reads every backup the plan describes, in the plan's order.
func findBackups(texts []string, fenced []bool) []PlanBackup {
	// headings: each line's section (its nearest heading) and whether a
	// heading above it, at any level, names "backup".
	section := make([]int, len(texts))
	inBackup := make([]bool, len(texts))
	type head struct {
		level, line int
		backup      bool
	}
	var stack []head
	for i, t := range texts {
		if !fenced[i] {
			if m := headingRe.FindStringSubmatch(t); m != nil {
				level := len(m[1])
				for len(stack) > 0 && stack[len(stack)-1].level >= level {
					stack = stack[:len(stack)-1]
				}
				stack = append(stack, head{level: level, line: i, backup: backupWordRe.MatchString(m[2])})
			}
		}
		section[i] = -1
		if len(stack) > 0 {
			section[i] = stack[len(stack)-1].line
		}
		for _, h := range stack {
			inBackup[i] = inBackup[i] || h.backup
		}
	}
	headingText := func(i int) string {
		if s := section[i]; s >= 0 {
			return plainText(headingRe.FindStringSubmatch(texts[s])[2])
		}
		return ""
	}
	// the "Location:" lines of each section, for the summaries
	locations := map[int]string{}
	for i, t := range texts {
		if !fenced[i] && locationRe.MatchString(t) {
			locations[section[i]] += " " + t
		}
	}

	var out []PlanBackup
	for i := 0; i < len(texts); i++ {
		t := texts[i]
		switch {
		case fenced[i]:
			// a block: from its opening fence to its closing one
			j := i + 1
			for j < len(texts) && fenced[j] && !isFenceLine(texts[j]) {
				j++
			}
			if inBackup[i] {
				out = append(out, blockBackups(texts, i+1, j, section[i], headingText(i))...)
			}
			i = j
		case hasPipe(t) && i+1 < len(texts) && !fenced[i+1] && isSeparator(texts[i+1]):
			j := i + 2
			for j < len(texts) && !fenced[j] && hasPipe(texts[j]) {
				j++
			}
			out = append(out, tableBackups(texts, i, j, section[i])...)
			i = j - 1
		case summaryRe.MatchString(t) && !inBackup[i]:
			what := summaryRe.FindStringSubmatch(t)[1]
			out = append(out, newBackup(plainText(what), i, FromSummary, section[i],
				headingText(i)+" "+locations[section[i]]+" "+what, what, what))
		case inBackup[i] && listItemRe.MatchString(t) && listBackupRe.MatchString(t):
			what := listItemRe.FindStringSubmatch(t)[1]
			if m := summaryRe.FindStringSubmatch(t); m != nil {
				what = m[1]
			}
			out = append(out, newBackup(plainText(what), i, FromList, section[i],
				headingText(i)+" "+what, headingText(i)+" "+what, what))
		}
	}
	// a backup command that states no cadence takes the one its section's
	// other backup commands state, when they agree
	for i := range out {
		b := &out[i]
		if b.Source != FromCommand || b.Git || b.Cadence.how != cadNone {
			continue
		}
		var got []BackupCadence
		for _, o := range out {
			if o.Source == FromCommand && o.section == b.section && o.Cadence.how != cadNone && !o.Git {
				got = append(got, o.Cadence)
			}
		}
		if len(got) > 0 {
			agree := true
			for _, c := range got[1:] {
				agree = agree && sameCadence(c, got[0])
			}
			if agree {
				b.Cadence = got[0]
			}
		}
	}
	// a named cadence the plan states elsewhere
	for i := range out {
		c := &out[i].Cadence
		if c.how == cadNamed && !c.Known {
			if d, line, ok := namedValue(texts, fenced, c.Name); ok {
				c.Every, c.Known, c.Line = d, true, line
			}
		}
	}
	return out
}

func isFenceLine(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")
}

// plainText drops Markdown emphasis and code marks.
func plainText(s string) string {
	s = strings.NewReplacer("`", "", "**", "", "__", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// newBackup classifies one backup: what covers the words of what, where
// (off site, optional) those of where, and the cadence those of when at
// line.
func newBackup(desc string, line int, src BackupSource, section int, what, where, when string) PlanBackup {
	b := PlanBackup{Description: desc, Line: line + 1, Source: src, section: section}
	b.Git = gitPushRe.MatchString(when) || gitWordRe.MatchString(when)
	b.Covers = coverage(what, b.Git)
	b.OffSite = offsiteRe.MatchString(where)
	b.Optional = optionalRe.MatchString(where)
	if b.Git {
		b.Cadence = BackupCadence{PerCommit: true, Text: "every commit", Line: line + 1, how: cadCommit}
	} else {
		b.Cadence = cadenceOf([]string{when}, []int{line}, false)
	}
	return b
}

func coverage(s string, git bool) []string {
	s = plainText(s)
	st := strings.ReplaceAll(strings.ToLower(s), "artifacts/state", "state")
	var out []string
	if codeRe.MatchString(st) {
		out = append(out, "code")
	}
	if configRe.MatchString(st) {
		out = append(out, "config")
	}
	if dataRe.MatchString(st) {
		out = append(out, "data")
	}
	if stateRe.MatchString(st) {
		out = append(out, "state")
	}
	return out
}

// blockBackups splits the lines [from, to) of a code block into groups
// (separated by blank lines; a comment after a command starts a new one)
// and returns the groups that run a backup command.
func blockBackups(texts []string, from, to, section int, heading string) []PlanBackup {
	var out []PlanBackup
	var comments, commands []int
	flush := func() {
		defer func() { comments, commands = nil, nil }()
		var backupCmds []int
		for _, c := range commands {
			t := strings.TrimSpace(texts[c])
			if resticBackupRe.MatchString(t) || gitPushRe.MatchString(t) || copyCmdRe.MatchString(t) {
				backupCmds = append(backupCmds, c)
			}
		}
		if len(backupCmds) == 0 {
			return
		}
		descLine := backupCmds[0]
		desc := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(texts[descLine]), "\\"))
		for k := len(comments) - 1; k >= 0; k-- {
			if c := commentText(texts[comments[k]]); listBackupRe.MatchString(c) || copyWordRe.MatchString(c) {
				desc, descLine = c, comments[k]
				break
			}
		}
		lines := append(append([]int{}, comments...), commands...)
		sort.Ints(lines)
		all := heading
		var cmt string
		for _, l := range lines {
			all += "\n" + texts[l]
		}
		for _, l := range comments {
			cmt += "\n" + texts[l]
		}
		var git bool
		for _, c := range backupCmds {
			git = git || gitPushRe.MatchString(texts[c])
		}
		b := PlanBackup{Description: desc, Line: descLine + 1, Source: FromCommand, section: section, Git: git}
		b.Covers = coverage(all, git)
		b.OffSite = git || offsiteRe.MatchString(all)
		b.Optional = optionalRe.MatchString(heading + cmt)
		if git {
			b.Cadence = BackupCadence{PerCommit: true, Text: "every commit", Line: backupCmds[0] + 1, how: cadCommit}
		} else {
			ts := make([]string, len(lines))
			for k, l := range lines {
				ts[k] = texts[l]
			}
			b.Cadence = cadenceOf(ts, lines, true)
		}
		out = append(out, b)
	}
	for i := from; i < to; i++ {
		t := strings.TrimSpace(texts[i])
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "#!"):
			if len(commands) > 0 {
				flush()
			}
			comments = append(comments, i)
		default:
			commands = append(commands, i)
		}
	}
	flush()
	return out
}

func commentText(s string) string {
	return strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s), "#"))
}

// tableBackups reads a table with a "Backup" column: lines [header, end).
func tableBackups(texts []string, header, end, section int) []PlanBackup {
	hcells := splitCells(texts[header])
	col := -1
	for i, c := range hcells {
		if backupWordRe.MatchString(c.text(texts[header])) {
			col = i
			break
		}
	}
	if col < 0 {
		return nil
	}
	var out []PlanBackup
	for i := header + 2; i < end; i++ {
		cells := splitCells(texts[i])
		if col >= len(cells) {
			continue
		}
		var rest []string
		for k, c := range cells {
			if k != col {
				rest = append(rest, c.text(texts[i]))
			}
		}
		desc := plainText(cells[0].text(texts[i]))
		if col == 0 && len(cells) > 1 {
			desc = plainText(cells[1].text(texts[i]))
		}
		if desc == "" {
			continue
		}
		backup := cells[col].text(texts[i])
		all := strings.Join(rest, " ") + " " + backup
		b := newBackup(desc, i, FromTable, section, strings.Join(rest, " "), all, backup)
		b.Git = gitCellRe.MatchString(backup) || gitPushRe.MatchString(backup)
		if !b.Git {
			b.Cadence = cadenceOf([]string{backup}, []int{i}, false)
		}
		out = append(out, b)
	}
	return out
}

// --- cadences ---

var (
	wordCadenceRe  = regexp.MustCompile(`(?i)\b(hourly|daily|nightly|weekly|monthly)\b`)
	onceRe         = regexp.MustCompile(`(?i)\bonce (?:a|an|per) (hour|day|night|week|month)\b`)
	everyNRe       = regexp.MustCompile(`(?i)\bevery\s+(\d+(?:[.,]\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)\b`)
	everyUnitRe    = regexp.MustCompile(`(?i)\bevery\s+(second|minute|hour|day|night|week|month)\b`)
	parenDurRe     = regexp.MustCompile(`\(\s*(\d+(?:[.,]\d+)?\s*[a-zA-Z]+)\s*\)`)
	everyNameRe    = regexp.MustCompile(`\b[Ee]very\s+\x60?\$?\{?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`)
	cadenceNameRe  = regexp.MustCompile(`\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:INTERVAL|CADENCE|PERIOD|SCHEDULE|FREQUENCY|EVERY)(?:_[A-Z0-9]+)*)\b`)
	sleepRe        = regexp.MustCompile(`\bsleep\s+(\d+(?:\.\d+)?)([smhd]?)\b`)
	loopRe         = regexp.MustCompile(`^\s*(?:while|until|for)\b`)
	cronMacroRe    = regexp.MustCompile(`(?:^|\s|\x60)@(hourly|daily|midnight|weekly|monthly|yearly|annually)\b`)
	cronTokenRe    = regexp.MustCompile(`^[0-9*][0-9*,/-]*$|^(?i:(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:[-,](?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))*)$`)
	unitCadence    = map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour, "night": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 31 * 24 * time.Hour}
	wordCadenceLen = map[string]time.Duration{"hourly": time.Hour, "daily": 24 * time.Hour, "nightly": 24 * time.Hour, "weekly": 7 * 24 * time.Hour, "monthly": 31 * 24 * time.Hour}
)

// cadenceOf reads the cadence stated in texts (at line indexes lines): a
// cron expression, else "sleep N" in a loop (when commands), else the
// words; the longest of a tier. A name without a value is cadNamed.
func cadenceOf(texts []string, lines []int, commands bool) BackupCadence {
	var found []BackupCadence
	add := func(how cadenceHow, d time.Duration, text string, line int) {
		found = append(found, BackupCadence{Every: d, Known: true, Text: text, Line: line + 1, how: how})
	}
	loop := false
	for _, t := range texts {
		loop = loop || (commands && loopRe.MatchString(t))
	}
	var named *BackupCadence
	for k, t := range texts {
		l := lines[k]
		if expr, d, ok := cronIn(t); ok {
			add(cadCron, d, expr, l)
		}
		if loop {
			for _, m := range sleepRe.FindAllStringSubmatch(t, -1) {
				n, _ := strconv.ParseFloat(m[1], 64)
				unit := map[string]time.Duration{"": time.Second, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
				add(cadSleep, time.Duration(n*float64(unit)), strings.TrimSpace(m[0]), l)
			}
		}
		for _, m := range wordCadenceRe.FindAllStringSubmatch(t, -1) {
			w := strings.ToLower(m[1])
			add(cadWord, wordCadenceLen[w], w, l)
		}
		for _, m := range onceRe.FindAllStringSubmatch(t, -1) {
			add(cadWords, unitCadence[strings.ToLower(m[1])], "every "+strings.ToLower(m[1]), l)
		}
		for _, m := range everyNRe.FindAllStringSubmatch(t, -1) {
			n, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
			if d := time.Duration(n * float64(everyUnit(m[2]))); err == nil && d > 0 {
				add(cadWords, d, strings.ToLower(m[0]), l)
			}
		}
		for _, m := range everyUnitRe.FindAllStringSubmatch(t, -1) {
			add(cadWords, unitCadence[strings.ToLower(m[1])], strings.ToLower(m[0]), l)
		}
		for _, m := range parenDurRe.FindAllStringSubmatch(t, -1) {
			if d, err := ParseTarget(m[1]); err == nil && d > 0 {
				add(cadWords, d, m[1], l)
			}
		}
		if named == nil {
			name := ""
			if m := everyNameRe.FindStringSubmatch(t); m != nil {
				name = m[1]
			} else if m := cadenceNameRe.FindStringSubmatch(t); m != nil {
				name = m[1]
			}
			if name != "" {
				named = &BackupCadence{Name: name, Text: name, Line: l + 1, how: cadNamed}
			}
		}
	}
	var best *BackupCadence
	for i := range found {
		c := &found[i]
		if best == nil || tier(c.how) > tier(best.how) || (tier(c.how) == tier(best.how) && c.Every > best.Every) {
			best = c
		}
	}
	switch {
	case best != nil:
		for _, c := range found {
			if tier(best.how) > 1 && tier(c.how) == 1 && c.Every != best.Every && best.disagree == "" {
				best.disagree = fmt.Sprintf("line %d says %q, but the command runs every %s (line %d)", c.Line, c.Text, auditDur(best.Every), best.Line)
			}
		}
		return *best
	case named != nil:
		return *named
	}
	return BackupCadence{}
}

func tier(h cadenceHow) int {
	switch h {
	case cadCron:
		return 3
	case cadSleep:
		return 2
	case cadWord, cadWords:
		return 1
	}
	return 0
}

// everyUnit is the length of a unit written after "every N".
func everyUnit(u string) time.Duration {
	u = strings.ToLower(u)
	switch {
	case strings.HasPrefix(u, "w"):
		return 7 * 24 * time.Hour
	case strings.HasPrefix(u, "d"):
		return 24 * time.Hour
	case strings.HasPrefix(u, "h"):
		return time.Hour
	case strings.HasPrefix(u, "m"):
		return time.Minute
	}
	return time.Second
}

// namedValue finds where the plan states a named cadence's value:
// "NAME=60s", "NAME: 1 h", "NAME is 60 s", "NAME (60 s)".
func namedValue(texts []string, fenced []bool, name string) (time.Duration, int, bool) {
	re := regexp.MustCompile(`\$?\{?\b` + regexp.QuoteMeta(name) + `\b\}?\x60?\s*(?:=|:|\bis\b|\()\s*["'\x60]?(\d+(?:[.,]\d+)?\s*[a-zA-Z]*)`)
	for i, t := range texts {
		m := re.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v := strings.TrimSpace(m[1])
		if d, err := ParseTarget(v); err == nil && d > 0 {
			return d, i + 1, true
		}
		if d, err := time.ParseDuration(strings.ReplaceAll(v, " ", "")); err == nil && d > 0 {
			return d, i + 1, true
		}
	}
	return 0, 0, false
}

// cronIn finds a cron schedule in a line ("0 2 * * * restic backup …",
// "`*/5 * * * *`", "@daily") and returns it with the longest gap between
// two of its runs.
func cronIn(s string) (string, time.Duration, bool) {
	if m := cronMacroRe.FindStringSubmatch(s); m != nil {
		expr := map[string]string{"hourly": "0 * * * *", "daily": "0 0 * * *", "midnight": "0 0 * * *", "weekly": "0 0 * * 0",
			"monthly": "0 0 1 * *", "yearly": "0 0 1 1 *", "annually": "0 0 1 1 *"}[strings.ToLower(m[1])]
		if d, err := cronGap(expr); err == nil {
			return "@" + strings.ToLower(m[1]), d, true
		}
	}
	toks := strings.Fields(strings.NewReplacer("`", " ", "#", " ").Replace(s))
	for i := 0; i+5 <= len(toks); i++ {
		w := toks[i : i+5]
		star := false
		ok := true
		for _, t := range w {
			ok = ok && cronTokenRe.MatchString(t)
			star = star || strings.Contains(t, "*")
		}
		if !ok || !star {
			continue
		}
		expr := strings.Join(w, " ")
		if d, err := cronGap(expr); err == nil {
			return expr, d, true
		}
	}
	return "", 0, false
}

var cronNames = map[string]int{
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// cronField reads one field into the set of values lo..hi it matches;
// restricted is false for a field starting with "*".
func cronField(f string, lo, hi int) (set []bool, restricted bool, err error) {
	set = make([]bool, hi+1)
	num := func(s string) (int, error) {
		if n, ok := cronNames[strings.ToLower(s)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("cron value %q out of %d-%d", s, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(f, ",") {
		rng, step := part, 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			rng = part[:i]
			if step, err = strconv.Atoi(part[i+1:]); err != nil || step < 1 {
				return nil, false, fmt.Errorf("cron step %q", part)
			}
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			if a, err = num(x); err != nil {
				return nil, false, err
			}
			if b, err = num(y); err != nil {
				return nil, false, err
			}
		default:
			if a, err = num(rng); err != nil {
				return nil, false, err
			}
			if step == 1 && !strings.Contains(part, "/") {
				b = a
			}
		}
		if a > b {
			return nil, false, fmt.Errorf("cron range %q", part)
		}
		for v := a; v <= b; v += step {
			set[v] = true
		}
	}
	return set, !strings.HasPrefix(f, "*"), nil
}

// cronGap is the longest gap between two consecutive runs of a five-field
// cron schedule, over two weeks, or eight calendar years (leap days
// included) when it names days of the month or months.
func cronGap(expr string) (time.Duration, error) {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return 0, fmt.Errorf("cron %q: want five fields", expr)
	}
	minute, _, err := cronField(f[0], 0, 59)
	if err != nil {
		return 0, err
	}
	hour, _, err := cronField(f[1], 0, 23)
	if err != nil {
		return 0, err
	}
	dom, domR, err := cronField(f[2], 1, 31)
	if err != nil {
		return 0, err
	}
	month, monthR, err := cronField(f[3], 1, 12)
	if err != nil {
		return 0, err
	}
	dow, dowR, err := cronField(f[4], 0, 7)
	if err != nil {
		return 0, err
	}
	dow[0] = dow[0] || dow[7]
	var inDay []time.Duration
	for h := 0; h < 24; h++ {
		for m := 0; m < 60; m++ {
			if hour[h] && minute[m] {
				inDay = append(inDay, time.Duration(h)*time.Hour+time.Duration(m)*time.Minute)
			}
		}
	}
	if len(inDay) == 0 {
		return 0, fmt.Errorf("cron %q never runs", expr)
	}
	// a schedule of weekdays and hours repeats every week: two weeks show
	// every gap; days of the month or months need the calendar
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 15)
	if domR || monthR {
		end = start.AddDate(8, 0, 0)
	}
	var prev time.Time
	var gap time.Duration
	runs := 0
	for day := start; day.Before(end); day = day.AddDate(0, 0, 1) {
		if !month[int(day.Month())] {
			continue
		}
		d, w := dom[day.Day()], dow[int(day.Weekday())]
		match := d && w
		if domR && dowR {
			match = d || w
		}
		if !match {
			continue
		}
		for _, off := range inDay {
			t := day.Add(off)
			if runs > 0 && t.Sub(prev) > gap {
				gap = t.Sub(prev)
			}
			prev = t
			runs++
		}
	}
	if runs < 2 {
		return 0, fmt.Errorf("cron %q runs at most once", expr)
	}
	return gap, nil
}
