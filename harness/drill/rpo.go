package drill

// The pure part of the RPO measures: what was read in (the broker's ground
// truth, the restored state, the data before and after, git before and
// after), an RPO, its evidence and an error out. The Scenario methods in
// measure.go read the deployment, the broker and git, and call these.
//
// The rules they keep, for an RPO a DR engineer can defend:
//   - Lost data counts: the RPO is at least the age at the fault of the
//     earliest change that existed at the fault and is missing after
//     recovery, whatever the newest recovered change says.
//   - An order whose outcome was unknown at the fault is uncertain: named,
//     counted apart, neither lost nor kept.
//   - Git is measured against what was committed before the fault.
//   - Market data is compared at the finest grain the evidence holds, and
//     the Basis says which; where that grain leaves the loss open, the RPO
//     is the most the evidence allows.
//   - Every age is timeline.AgeAt: a change dated after the fault is an
//     error, never 0.

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"firedrill/harness/result"
	"firedrill/harness/timeline"
)

// measured is an RPO as measured, before it is judged against its target.
type measured struct {
	rpo *result.RPO
	// what one lost event is: fill, bar, M1 bar, M5 bar, commit, changed file.
	what     string
	evidence []result.Evidence
}

// rpoClock writes a wall-clock time of day, to the millisecond.
func rpoClock(t time.Time) string { return t.UTC().Format("15:04:05.000Z") }

// ---- state ----

// restoredState is what the system's state_newest action says of a folder
// of restored state.
type restoredState struct {
	Seq          int64     `json:"seq"`
	UpdatedAt    time.Time `json:"updated_at"`
	AppliedFills []string  `json:"applied_fills"`
	// CapturedAt is when the backup the state was restored from was taken
	// (its snapshot's time, read before the fault); zero when unknown. A
	// state that did not change for a while is still the live state up to
	// that moment, so the recovery point is the later of the two.
	CapturedAt time.Time `json:"-"`
}

// Terminal intent statuses: the order's outcome is known.
const (
	statusFilled    = "filled"
	statusCancelled = "cancelled"
)

func outcomeKnown(status string) bool { return status == statusFilled || status == statusCancelled }

// statusAt is the intent's status at t, from its history; "" when it did
// not exist yet. Without a history (an older broker) it is judged from its
// creation, its current status and when that was set (updated_at).
func (in brokerIntent) statusAt(t time.Time) string {
	if len(in.History) > 0 {
		h := append([]statusChange(nil), in.History...)
		sort.SliceStable(h, func(i, j int) bool { return h[i].At.Before(h[j].At) })
		status := ""
		for _, c := range h {
			if c.At.After(t) {
				break
			}
			status = c.Status
		}
		return status
	}
	switch {
	case in.CreatedAt.After(t):
		return ""
	case outcomeKnown(in.Status) && !in.UpdatedAt.IsZero() && !in.UpdatedAt.After(t):
		return in.Status
	}
	return "open"
}

// since is when the intent took the status it had at t.
func (in brokerIntent) since(t time.Time) time.Time {
	var at time.Time
	for _, c := range in.History {
		if !c.At.After(t) && c.At.After(at) {
			at = c.At
		}
	}
	if at.IsZero() {
		return in.CreatedAt
	}
	return at
}

// uncertainOrder is an order whose outcome was unknown at the fault.
type uncertainOrder struct {
	id, status string
	since      time.Time
	outcome    string // what became of it after the fault
}

func (u uncertainOrder) String() string {
	return fmt.Sprintf("%s %s since %s, %s", u.id, u.status, rpoClock(u.since), u.outcome)
}

// uncertainAt lists the intents that existed at the fault with their
// outcome still unknown: neither filled nor cancelled at that instant (by
// their history; a fill dated at or before the fault settles it).
func uncertainAt(faultAt time.Time, gt groundTruth) []uncertainOrder {
	fills := map[string][]brokerFill{}
	for _, f := range gt.Fills {
		fills[f.IntentID] = append(fills[f.IntentID], f)
	}
	var out []uncertainOrder
	for _, in := range gt.Intents {
		status := in.statusAt(faultAt)
		if status == "" || outcomeKnown(status) {
			continue
		}
		settled := false
		var later []string
		for _, f := range fills[in.ID] {
			if !f.FilledAt.After(faultAt) {
				settled = true
				break
			}
			later = append(later, fmt.Sprintf("filled %s (%s) %s after the fault", rpoClock(f.FilledAt), f.ID, f.FilledAt.Sub(faultAt).Round(time.Millisecond)))
		}
		if settled {
			continue
		}
		outcome := strings.Join(later, ", ")
		if outcome == "" {
			switch {
			case outcomeKnown(in.Status):
				outcome = in.Status + " after the fault"
			case in.Status == "":
				outcome = "outcome unknown when the ground truth was read"
			default:
				outcome = "still " + in.Status + " when the ground truth was read"
			}
		}
		out = append(out, uncertainOrder{id: in.ID, status: status, since: in.since(faultAt), outcome: outcome})
	}
	return out
}

// stateRPO measures the state RPO: the age at the fault of the newest
// change in the restored state (updated_at), and at least the age of the
// earliest broker fill made at or before the fault that the restored
// state lacks. Orders open at the fault are uncertain: counted apart,
// neither lost nor kept.
func stateRPO(faultAt time.Time, target time.Duration, st restoredState, gt groundTruth) (measured, error) {
	if st.UpdatedAt.IsZero() {
		return measured{}, fmt.Errorf("the restored state has no updated_at: nothing to date the recovery point from")
	}
	age, err := timeline.AgeAt(faultAt, st.UpdatedAt, "the newest change in the restored state (its updated_at)")
	if err != nil {
		return measured{}, err
	}
	point, pointWhat := st.UpdatedAt, "its newest change (updated_at)"
	if st.CapturedAt.After(st.UpdatedAt) && !st.CapturedAt.After(faultAt) {
		point, pointWhat = st.CapturedAt, "the snapshot it was restored from ("+rpoClock(st.CapturedAt)+"; unchanged since "+rpoClock(st.UpdatedAt)+")"
		age = faultAt.Sub(point)
	}
	var before []string
	byID := map[string]brokerFill{}
	for _, f := range gt.Fills {
		if !f.FilledAt.After(faultAt) {
			before = append(before, f.ID)
			byID[f.ID] = f
		}
	}
	lost := timeline.Lost(before, st.AppliedFills)
	actual := age
	missing := "none"
	if len(lost) > 0 {
		earliest := byID[lost[0]]
		for _, id := range lost[1:] {
			if f := byID[id]; f.FilledAt.Before(earliest.FilledAt) {
				earliest = f
			}
		}
		lostAge, err := timeline.AgeAt(faultAt, earliest.FilledAt, "fill "+earliest.ID)
		if err != nil {
			return measured{}, err
		}
		actual = max(actual, lostAge)
		missing = fmt.Sprintf("%s (the earliest, %s, filled %s, %s before the fault)",
			strings.Join(lost, " "), earliest.ID, rpoClock(earliest.FilledAt), result.Human(lostAge))
	}
	unc := uncertainAt(faultAt, gt)
	m := measured{
		rpo: &result.RPO{
			Actual: result.Sec(actual), Target: result.Sec(target), LostEvents: len(lost), Uncertain: len(unc),
			Basis: "the age at the fault of the restored state's recovery point (the later of its newest change and the time " +
				"of the snapshot it came from) or of the earliest broker fill made before the fault that it lacks, whichever " +
				"is older; orders still open at the fault are uncertain, neither lost nor kept",
			FaultAt: faultAt.UTC(), NewestRecovered: point.UTC(),
		},
		what: "fill",
	}
	m.evidence = append(m.evidence, result.Evidence{Name: "state RPO", Detail: fmt.Sprintf(
		"restored state seq %d, recovery point %s (%s before the fault), holds %d of the broker's %d fills made by the fault; missing: %s",
		st.Seq, pointWhat, result.Human(age), len(before)-len(lost), len(before), missing)})
	if len(unc) > 0 {
		names := make([]string, len(unc))
		for i, u := range unc {
			names[i] = u.String()
		}
		m.evidence = append(m.evidence, result.Evidence{Name: "uncertain orders", Detail: fmt.Sprintf(
			"%d order(s) open at the fault, neither lost nor kept: %s", len(unc), strings.Join(names, "; "))})
	}
	return m, nil
}

// ---- git ----

// gitHead is a HEAD as git shows it: its commit, that commit's time and
// the tags pointing at it.
type gitHead struct {
	Commit   string
	CommitAt time.Time
	Tags     []string
}

func (h gitHead) String() string {
	tags := "no tag"
	if len(h.Tags) > 0 {
		tags = "tag " + strings.Join(h.Tags, ", ")
	}
	return fmt.Sprintf("%s (committed %s, %s)", shortCommit(h.Commit), h.CommitAt.UTC().Format(time.RFC3339), tags)
}

func shortCommit(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// gitCommit is one commit and its commit time.
type gitCommit struct {
	Commit string
	At     time.Time
}

// gitAfter is git after recovery, measured against the HEAD recorded
// before the fault.
type gitAfter struct {
	Head gitHead
	// Changed are `git status --porcelain` lines of files that differ from
	// the checked-out commit.
	Changed []string
	// BeforeKnown: the commit HEAD was at before the fault is in the
	// recovered repository; LostCount is then `git rev-list --count
	// HEAD..before` and Lost those commits.
	BeforeKnown bool
	LostCount   int
	Lost        []gitCommit
}

// Output lines of the git scripts in measure.go, each tagged by its first
// word.
const (
	gitLineHead    = "head"
	gitLineTime    = "time"
	gitLineTag     = "tag"
	gitLineChanged = "changed"
	gitLineCount   = "count"
	gitLineLost    = "lost"
	gitLineUnknown = "before-missing"
)

var commitID = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// parseGit reads the tagged lines of a git script's output. Untagged lines
// (git's own warnings) are left out.
func parseGit(out string) (gitAfter, error) {
	var g gitAfter
	haveCount := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case gitLineHead:
			g.Head.Commit = strings.TrimSpace(rest)
		case gitLineTime:
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(rest))
			if err != nil {
				return g, fmt.Errorf("read HEAD's commit time %q: %w", rest, err)
			}
			g.Head.CommitAt = t
		case gitLineTag:
			if t := strings.TrimSpace(rest); t != "" {
				g.Head.Tags = append(g.Head.Tags, t)
			}
		case gitLineChanged:
			if strings.TrimSpace(rest) != "" {
				g.Changed = append(g.Changed, rest)
			}
		case gitLineCount:
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				return g, fmt.Errorf("read the count of lost commits %q: %w", rest, err)
			}
			g.LostCount, g.BeforeKnown, haveCount = n, true, true
		case gitLineLost:
			id, when, _ := strings.Cut(strings.TrimSpace(rest), " ")
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(when))
			if err != nil {
				return g, fmt.Errorf("read the time of lost commit %s %q: %w", id, when, err)
			}
			g.Lost = append(g.Lost, gitCommit{Commit: id, At: t})
		case gitLineUnknown:
			g.BeforeKnown, haveCount = false, true
		}
	}
	switch {
	case !commitID.MatchString(g.Head.Commit):
		return g, fmt.Errorf("read HEAD: no commit id in the output of git: %s", lastLines(out, 3))
	case g.Head.CommitAt.IsZero():
		return g, fmt.Errorf("read HEAD: no commit time in the output of git: %s", lastLines(out, 3))
	case !haveCount && len(g.Lost) > 0:
		return g, fmt.Errorf("read lost commits: listed but not counted: %s", lastLines(out, 3))
	}
	return g, nil
}

// gitRPO measures what the recovery of code and config lost against what
// was committed before the fault: the commits HEAD held before the fault
// that HEAD after recovery lacks, the RPO at least the age at the fault of
// the oldest of them (by its commit time); and, as before, the files under
// paths that differ from the checked-out commit, aged from that commit.
func gitRPO(faultAt time.Time, target time.Duration, paths []string, before gitHead, after gitAfter) (measured, error) {
	var actual time.Duration
	lost := 0
	var lostNote string
	switch {
	case after.Head.Commit == before.Commit:
		lostNote = "no commit lost: HEAD is the commit it was before the fault"
	case !after.BeforeKnown:
		// The commit is not in the recovered repository: the commits since
		// the newest one it shares cannot be counted. At least that one is
		// lost, and the RPO is at least its age.
		lost = 1
		age, err := timeline.AgeAt(faultAt, before.CommitAt, "commit "+shortCommit(before.Commit)+" (HEAD before the fault)")
		if err != nil {
			return measured{}, err
		}
		actual = age
		lostNote = fmt.Sprintf("at least 1 commit lost: %s, HEAD before the fault, is not in the recovered repository (the commits before it that it lacks cannot be counted); committed %s before the fault",
			shortCommit(before.Commit), result.Human(age))
	case after.LostCount > 0:
		lost = after.LostCount
		oldest := gitCommit{Commit: before.Commit, At: before.CommitAt}
		for _, c := range after.Lost {
			if c.At.Before(oldest.At) {
				oldest = c
			}
		}
		age, err := timeline.AgeAt(faultAt, oldest.At, "lost commit "+shortCommit(oldest.Commit))
		if err != nil {
			return measured{}, err
		}
		actual = age
		lostNote = fmt.Sprintf("%d commit(s) lost (git rev-list --count %s..%s), the oldest %s committed %s, %s before the fault",
			lost, shortCommit(after.Head.Commit), shortCommit(before.Commit), shortCommit(oldest.Commit), oldest.At.UTC().Format(time.RFC3339), result.Human(age))
	default:
		lostNote = "no commit lost: HEAD after recovery holds every commit HEAD held before the fault"
	}
	where := strings.Join(paths, ", ")
	filesNote := "nothing under " + where + " differs from the checked-out commit"
	if len(after.Changed) > 0 {
		age, err := timeline.AgeAt(faultAt, after.Head.CommitAt, "the checked-out commit "+shortCommit(after.Head.Commit))
		if err != nil {
			return measured{}, err
		}
		actual = max(actual, age)
		filesNote = fmt.Sprintf("%d file(s) under %s differ from the checked-out commit: %s", len(after.Changed), where, strings.Join(after.Changed, "; "))
	}
	what := "changed file"
	switch {
	case lost > 0 && len(after.Changed) > 0:
		what = "git change"
	case lost > 0:
		what = "commit"
	}
	return measured{
		rpo: &result.RPO{
			Actual: result.Sec(actual), Target: result.Sec(target), LostEvents: lost + len(after.Changed),
			Basis: "the commits HEAD held before the fault that HEAD after recovery lacks (git rev-list --count after..before), " +
				"dated by the oldest one's commit time, and the files under " + where + " that differ from the checked-out commit",
			FaultAt: faultAt.UTC(),
		},
		what: what,
		evidence: []result.Evidence{{Name: "git RPO", Detail: fmt.Sprintf("HEAD before the fault %s, after recovery %s: %s; %s",
			before, after.Head, lostNote, filesNote)}},
	}, nil
}

// ---- market data ----

// brokerBar is one M1 bar as the broker published it: its market time and
// the broker's wall clock when it published it (its start, for the
// history it was seeded with).
type brokerBar struct {
	Timestamp   time.Time `json:"timestamp"`
	PublishedAt time.Time `json:"published_at"`
}

// dataCompare is what the data RPO is measured from.
type dataCompare struct {
	// Dir is the folder of recovered data that After was read from.
	Dir     string
	FaultAt time.Time
	Target  time.Duration
	// Before is what data_newest said of each file just before the fault;
	// After what it says of the recovered folder.
	Before map[string]dataFile
	After  dataNewest
	// Bars returns the broker's M1 bars of a symbol, oldest first.
	Bars func(symbol string) ([]brokerBar, error)
}

// grainName writes a bar width as traders do: M1, M5.
func grainName(g time.Duration) string {
	return "M" + strconv.Itoa(int(g/time.Minute))
}

var grainWord = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])m([0-9]{1,4})(?:[^a-z0-9]|$)`)

// grainOf is the bar width a data file's path names (artifacts/data_m5,
// AAPL_M15.parquet), the nearest name that states one; false when none
// does, or names a width an hour does not divide into.
func grainOf(p string) (time.Duration, bool) {
	parts := strings.Split(path.Clean(strings.TrimSuffix(p, path.Ext(p))), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if m := grainWord.FindStringSubmatch(parts[i]); m != nil {
			n, _ := strconv.Atoi(m[1])
			if n > 0 && n <= 60 && 60%n == 0 {
				return time.Duration(n) * time.Minute, true
			}
		}
	}
	return 0, false
}

// bucketOf is the start of the g-wide bar holding t. Buckets are counted
// from midnight New York time; New York is a whole number of hours from
// UTC, so counting from the zero time gives the same edges for widths up
// to an hour.
func bucketOf(t time.Time, g time.Duration) time.Time { return t.Truncate(g) }

// barsIn returns the broker's M1 bars that a g-wide bar starting at from
// is built from, oldest first.
func barsIn(bars []brokerBar, from time.Time, g time.Duration) []brokerBar {
	to := from.Add(g)
	i := sort.Search(len(bars), func(i int) bool { return !bars[i].Timestamp.Before(from) })
	j := i
	for j < len(bars) && bars[j].Timestamp.Before(to) {
		j++
	}
	return bars[i:j]
}

// publishedBy keeps the bars the broker had published by t.
func publishedBy(bars []brokerBar, t time.Time) []brokerBar {
	var out []brokerBar
	for _, b := range bars {
		if !b.PublishedAt.After(t) {
			out = append(out, b)
		}
	}
	return out
}

// bucketsUpTo lists the starts of the g-wide bars the broker's bars make,
// up to and including the one starting at last.
func bucketsUpTo(bars []brokerBar, last time.Time, g time.Duration) []time.Time {
	var out []time.Time
	for _, b := range bars {
		s := bucketOf(b.Timestamp, g)
		if s.After(last) {
			break
		}
		if len(out) == 0 || !out[len(out)-1].Equal(s) {
			out = append(out, s)
		}
	}
	return out
}

// fileLoss is what one file lost.
type fileLoss struct {
	lost int
	// lo and hi bound the RPO the file shows; they differ where the grain
	// leaves open which M1 bars came back.
	lo, hi time.Duration
	// newest is the publication time hi counts from when hi is the age of
	// the newest recovered bar (zero when it counts from a lost one).
	newest time.Time
	note   string
}

// oldestHeld dates the oldest bar a file held at the fault (rows g-wide
// bars up to newest): the M1 bars of the rows-th g-wide bar back in the
// broker's history, or the broker's oldest bar when the file held more
// bars than the broker has up to its newest.
func oldestHeld(bars []brokerBar, b dataFile, g time.Duration) ([]brokerBar, string) {
	buckets := bucketsUpTo(bars, bucketOf(b.Newest, g), g)
	if len(buckets) >= b.Rows {
		return barsIn(bars, buckets[len(buckets)-b.Rows], g), ""
	}
	return bars[:1], " (the broker's oldest: the file held more bars than the broker has up to its newest)"
}

// lostAge is the age at the fault of a lost g-wide bar made of the M1 bars
// in: hi counts from its first M1 bar's publication, lo from its last.
func lostAge(faultAt time.Time, in []brokerBar, what string) (lo, hi time.Duration, err error) {
	if hi, err = timeline.AgeAt(faultAt, in[0].PublishedAt, what+" "+in[0].Timestamp.Format(time.RFC3339)); err != nil {
		return 0, 0, err
	}
	last := in[len(in)-1]
	if lo, err = timeline.AgeAt(faultAt, last.PublishedAt, what+" "+last.Timestamp.Format(time.RFC3339)); err != nil {
		return 0, 0, err
	}
	return lo, hi, nil
}

// pubRange writes when the broker published bars: one time, or a range.
func pubRange(in []brokerBar) string {
	if len(in) == 1 || in[0].PublishedAt.Equal(in[len(in)-1].PublishedAt) {
		return rpoClock(in[0].PublishedAt)
	}
	return rpoClock(in[0].PublishedAt) + " to " + rpoClock(in[len(in)-1].PublishedAt)
}

// ageRange writes an age, or the range the grain leaves it in.
func ageRange(lo, hi time.Duration) string {
	if lo == hi {
		return result.Human(hi)
	}
	return "between " + result.Human(lo) + " and " + result.Human(hi)
}

// compareFile measures what one file lost, at grain g, from what
// data_newest said of it before the fault (b) and after recovery (a; ok
// false when it is gone or unreadable, reason why).
func compareFile(faultAt time.Time, name string, g time.Duration, b, a dataFile, ok bool, reason string,
	brokerBars func() ([]brokerBar, error)) (fileLoss, error) {
	gn := grainName(g)
	before := fmt.Sprintf("%d %s bars to %s at the fault", b.Rows, gn, b.Newest.Format(time.RFC3339))
	if b.Rows == 0 {
		return fileLoss{note: fmt.Sprintf("%s: no bars at the fault, nothing to lose", name)}, nil
	}
	if ok && a.Rows == 0 {
		ok, reason = false, "it holds no bars"
	}
	bars, err := datingBars(name, brokerBars)
	if err != nil {
		return fileLoss{}, err
	}
	dating := func(at time.Time) ([]brokerBar, error) {
		in := barsIn(bars, at, g)
		if len(in) == 0 {
			return nil, fmt.Errorf("%s: the broker has no M1 bar in the %s bar at %s: cannot date it", name, gn, at.Format(time.RFC3339))
		}
		return in, nil
	}
	if !ok {
		// Gone or unreadable: every bar it held is lost, the oldest included.
		if reason == "" {
			reason = "not in the recovered folder"
		}
		in, how := oldestHeld(bars, b, g)
		lo, hi, err := lostAge(faultAt, in, "the oldest bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		return fileLoss{lost: b.Rows, lo: lo, hi: hi, note: fmt.Sprintf(
			"%s: not recovered (%s): %s, all lost; the oldest, %s%s, was published %s: %s before the fault",
			name, reason, before, in[0].Timestamp.Format(time.RFC3339), how, pubRange(in), ageRange(lo, hi))}, nil
	}
	after := fmt.Sprintf("%d to %s recovered", a.Rows, a.Newest.Format(time.RFC3339))
	bA, bB := bucketOf(a.Newest, g), bucketOf(b.Newest, g)
	switch {
	case bA.Before(bB):
		// The recovered file ends earlier: every bar after its newest is
		// lost, and the RPO is the age of its newest recovered M1 bar: at
		// M1 grain that bar, at a coarser grain any of the M1 bars its
		// newest bar may have been built from.
		in, err := dating(bA)
		if err != nil {
			return fileLoss{}, err
		}
		lo, hi, err := lostAge(faultAt, in, "the newest recovered bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		between := 0
		for _, s := range bucketsUpTo(bars, bB, g) {
			if s.After(bA) {
				between++
			}
		}
		lost := max(b.Rows-a.Rows, between, 1)
		held := fmt.Sprintf("its newest recovered bar was published %s", pubRange(in))
		if g > time.Minute && len(in) > 1 {
			held = fmt.Sprintf("its newest recovered %s bar may hold any of the M1 bars from %s to %s, published %s",
				gn, in[0].Timestamp.Format("15:04"), in[len(in)-1].Timestamp.Format("15:04"), pubRange(in))
		}
		return fileLoss{lost: lost, lo: lo, hi: hi, newest: in[0].PublishedAt, note: fmt.Sprintf(
			"%s: %s, %s: %d %s bar(s) lost; %s: %s before the fault", name, before, after, lost, gn, held, ageRange(lo, hi))}, nil
	case a.Rows < b.Rows:
		// Fewer bars with a newest as new: bars are missing that
		// data_newest does not place. The oldest the file held may be one.
		in, how := oldestHeld(bars, b, g)
		_, hi, err := lostAge(faultAt, in, "the oldest bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		return fileLoss{lost: b.Rows - a.Rows, hi: hi, note: fmt.Sprintf(
			"%s: %s, %s: %d %s bar(s) missing that data_newest does not place; dated as if the oldest the file held, %s%s (published %s), were one: up to %s before the fault",
			name, before, after, b.Rows-a.Rows, gn, in[0].Timestamp.Format(time.RFC3339), how, pubRange(in), result.Human(hi))}, nil
	case bA.Equal(bB) && g > time.Minute:
		// The same newest bar at a coarse grain: it may have been built
		// from fewer M1 bars when the backup was taken than at the fault.
		all, err := dating(bB)
		if err != nil {
			return fileLoss{}, err
		}
		in := publishedBy(all, faultAt)
		if len(in) == 0 {
			// The file held a bar at the fault the broker published after it.
			_, err := timeline.AgeAt(faultAt, all[0].PublishedAt, "the newest bar of "+name+" at the fault, "+all[0].Timestamp.Format(time.RFC3339))
			return fileLoss{}, err
		}
		if len(in) == 1 {
			return fileLoss{note: fmt.Sprintf("%s: %s, %s: nothing lost (by the fault the broker had published one M1 bar of the newest %s bar, which both hold)",
				name, before, after, gn)}, nil
		}
		_, hi, err := lostAge(faultAt, in[:1], "the newest recovered bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		return fileLoss{hi: hi, newest: in[0].PublishedAt, note: fmt.Sprintf(
			"%s: %s, %s: the same newest %s bar, which at %s grain may hold fewer of its M1 bars than at the fault: up to %d of the M1 bars %s to %s (published %s) may be lost: between 0 s and %s before the fault",
			name, before, after, gn, gn, len(in)-1, in[1].Timestamp.Format("15:04"), in[len(in)-1].Timestamp.Format("15:04"), pubRange(in[1:]), result.Human(hi))}, nil
	}
	return fileLoss{note: fmt.Sprintf("%s: %s, %s: nothing lost", name, before, after)}, nil
}

// barsBetween returns the broker's M1 bars after from up to and including
// to, oldest first.
func barsBetween(bars []brokerBar, from, to time.Time) []brokerBar {
	i := sort.Search(len(bars), func(i int) bool { return bars[i].Timestamp.After(from) })
	j := i
	for j < len(bars) && !bars[j].Timestamp.After(to) {
		j++
	}
	return bars[i:j]
}

// minuteRange writes the market times of bars: one minute, or a range.
func minuteRange(in []brokerBar) string {
	if len(in) == 1 {
		return in[0].Timestamp.Format(time.RFC3339)
	}
	return in[0].Timestamp.Format(time.RFC3339) + " to " + in[len(in)-1].Timestamp.Format(time.RFC3339)
}

// compareFileM1 measures what one file lost at M1 grain, from what
// data_newest said of it before the fault (b) and after recovery (a; ok
// false when it is gone or unreadable, reason why), both giving the newest
// M1 minute the file covers (newest_m1). g is the file's own bar width,
// which its rows count. The M1 bars it covered at the fault and lacks after
// recovery are lost: those after its recovered newest_m1 up to its
// newest_m1 at the fault, and, for a file gone, every one from its oldest
// bar on. The RPO is the age at the fault of the earliest lost M1 bar by
// the broker's publication time, 0 only when no M1 minute was lost. Bars
// missing that newest_m1 does not place (fewer rows than the file held at
// the fault up to its recovered newest bar) are dated as in compareFile:
// up to the age of the oldest bar it held.
func compareFileM1(faultAt time.Time, name string, g time.Duration, b, a dataFile, ok bool, reason string,
	brokerBars func() ([]brokerBar, error)) (fileLoss, error) {
	gn := grainName(g)
	covered := func(f dataFile) string {
		if g == time.Minute && f.Newest.Equal(f.NewestM1) {
			return fmt.Sprintf("to %s", f.Newest.Format(time.RFC3339))
		}
		return fmt.Sprintf("to %s covering M1 to %s", f.Newest.Format(time.RFC3339), f.NewestM1.Format(time.RFC3339))
	}
	before := fmt.Sprintf("%d %s bars %s at the fault", b.Rows, gn, covered(b))
	if b.Rows == 0 {
		return fileLoss{note: fmt.Sprintf("%s: no bars at the fault, nothing to lose", name)}, nil
	}
	if ok && a.Rows == 0 {
		ok, reason = false, "it holds no bars"
	}
	bars, err := datingBars(name, brokerBars)
	if err != nil {
		return fileLoss{}, err
	}
	// lostBars dates M1 bars the file held at the fault: each must have
	// been published by then; the earliest sets the age.
	lostBars := func(in []brokerBar, what string) (time.Duration, error) {
		last := in[len(in)-1]
		if _, err := timeline.AgeAt(faultAt, last.PublishedAt, what+" "+last.Timestamp.Format(time.RFC3339)); err != nil {
			return 0, err
		}
		return timeline.AgeAt(faultAt, in[0].PublishedAt, what+" "+in[0].Timestamp.Format(time.RFC3339))
	}
	if !ok {
		// Gone or unreadable: every M1 bar it covered is lost, from the
		// first of its oldest bar's to its newest_m1.
		if reason == "" {
			reason = "not in the recovered folder"
		}
		oldest, how := oldestHeld(bars, b, g)
		in := barsBetween(bars, oldest[0].Timestamp.Add(-time.Nanosecond), b.NewestM1)
		if len(in) == 0 {
			return fileLoss{}, fmt.Errorf("%s: the broker has no M1 bar from %s to %s: cannot date it", name,
				oldest[0].Timestamp.Format(time.RFC3339), b.NewestM1.Format(time.RFC3339))
		}
		if _, err := lostBars(in, "a lost M1 bar of "+name); err != nil {
			return fileLoss{}, err
		}
		lo, hi, err := lostAge(faultAt, oldest, "the oldest bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		// Of a coarser oldest bar, which of its M1 bars it held is not told:
		// any of them, published over pubRange(oldest).
		return fileLoss{lost: len(in), lo: lo, hi: hi, note: fmt.Sprintf(
			"%s: not recovered (%s): %s, all lost: %d M1 bar(s), %s; the oldest, %s%s, was published %s: %s before the fault",
			name, reason, before, len(in), minuteRange(in), oldest[0].Timestamp.Format(time.RFC3339), how, pubRange(oldest), ageRange(lo, hi))}, nil
	}
	after := fmt.Sprintf("%d %s recovered", a.Rows, covered(a))
	head := fmt.Sprintf("%s: %s, %s", name, before, after)
	var tail []brokerBar
	if a.NewestM1.Before(b.NewestM1) {
		tail = barsBetween(bars, a.NewestM1, b.NewestM1)
		if len(tail) == 0 {
			return fileLoss{}, fmt.Errorf("%s: the broker has no M1 bar after %s up to %s: cannot date the M1 bars lost", name,
				a.NewestM1.Format(time.RFC3339), b.NewestM1.Format(time.RFC3339))
		}
	}
	// Rows of the file's own grain missing that newest_m1 does not place.
	bA, bB := bucketOf(a.Newest, g), bucketOf(b.Newest, g)
	between := 0
	if bA.Before(bB) {
		for _, s := range bucketsUpTo(bars, bB, g) {
			if s.After(bA) {
				between++
			}
		}
	}
	extra := max(b.Rows-between-a.Rows, 0)
	if len(tail) == 0 && extra == 0 {
		return fileLoss{note: head + ": no M1 bar lost"}, nil
	}
	var fl fileLoss
	var parts []string
	if len(tail) > 0 {
		age, err := lostBars(tail, "a lost M1 bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		fl.lost, fl.lo, fl.hi = len(tail), age, age
		which := "the earliest was"
		if len(tail) == 1 {
			which = "it was"
		}
		parts = append(parts, fmt.Sprintf("%d M1 bar(s) lost, %s (published %s); %s published %s before the fault",
			len(tail), minuteRange(tail), pubRange(tail), which, result.Human(age)))
	}
	if extra > 0 {
		in, how := oldestHeld(bars, b, g)
		_, hi, err := lostAge(faultAt, in, "the oldest bar of "+name)
		if err != nil {
			return fileLoss{}, err
		}
		fl.lost += extra // at least one M1 bar each
		fl.hi = max(fl.hi, hi)
		atLeast := ""
		if g > time.Minute {
			atLeast = fmt.Sprintf(" (at least %d M1 bar(s))", extra)
		}
		parts = append(parts, fmt.Sprintf("%d %s bar(s) missing that data_newest does not place%s; dated as if the oldest the file held, %s%s (published %s), were one: up to %s before the fault",
			extra, gn, atLeast, in[0].Timestamp.Format(time.RFC3339), how, pubRange(in), result.Human(hi)))
	}
	fl.note = head + ": " + strings.Join(parts, "; ")
	return fl, nil
}

// dataRPO measures the data RPO of a folder of recovered data against what
// the folder held at the fault, file by file, at the finest grain the
// evidence holds. Where data_newest gives the newest M1 minute a file
// covers (newest_m1) at the fault and after recovery, at M1 grain (see
// compareFileM1): the M1 bars it covered at the fault and lacks after
// recovery are lost, and the RPO is the age at the fault of the earliest of
// them by the broker's publication time, 0 only when no M1 minute was
// lost. Where it does not (a system whose data_newest gives rows and the
// newest bar only, or a file restored as written before newest_m1 could be
// told), at the file's own grain (see compareFile): bars present at the
// fault and missing after recovery are lost, the RPO is at least the age
// at the fault of the earliest of them and of the newest recovered bar, and
// where the grain leaves open which M1 bars came back, the most the
// evidence allows. A file gone or unreadable lost every bar, its oldest
// included. Basis says which grain each file was compared at.
func dataRPO(in dataCompare) (measured, error) {
	if len(in.Before) == 0 {
		return measured{}, fmt.Errorf("measure data RPO: nothing was recorded of the data before the fault")
	}
	names := make([]string, 0, len(in.Before))
	for n := range in.Before {
		names = append(names, n)
	}
	sort.Strings(names)
	cache := map[string][]brokerBar{}
	var worst fileLoss
	var lo time.Duration
	lost := 0
	coarsest, assumed := time.Duration(0), false
	var atM1, atOwn []string // the files compared at M1 grain, and at their own
	noM1After := false       // a file's newest_m1 was known at the fault, not after recovery
	var ev []result.Evidence
	for _, name := range names {
		g, ok := grainOf(path.Join(in.Dir, name))
		if !ok {
			g, assumed = time.Minute, true
		}
		symbol := strings.TrimSuffix(path.Base(name), path.Ext(name))
		bars := func() ([]brokerBar, error) {
			if b, ok := cache[symbol]; ok {
				return b, nil
			}
			b, err := in.Bars(symbol)
			if err != nil {
				return nil, fmt.Errorf("%s: read the broker's %s bars: %w", name, symbol, err)
			}
			b = append([]brokerBar(nil), b...)
			sort.SliceStable(b, func(i, j int) bool { return b[i].Timestamp.Before(b[j].Timestamp) })
			cache[symbol] = b
			return b, nil
		}
		b := in.Before[name]
		a, present := in.After.Files[name]
		gone := !present || a.Rows == 0
		var fl fileLoss
		var err error
		if !b.NewestM1.IsZero() && (gone || !a.NewestM1.IsZero()) {
			atM1 = append(atM1, name)
			fl, err = compareFileM1(in.FaultAt, name, g, b, a, present, in.After.Errors[name], bars)
		} else {
			atOwn = append(atOwn, name)
			coarsest = max(coarsest, g)
			fl, err = compareFile(in.FaultAt, name, g, b, a, present, in.After.Errors[name], bars)
			if !b.NewestM1.IsZero() && g > time.Minute {
				noM1After = true
				fl.note += fmt.Sprintf(" (compared at %s grain: data_newest gives no newest_m1 of the recovered file)", grainName(g))
			}
		}
		if err != nil {
			return measured{}, fmt.Errorf("measure data RPO: %w", err)
		}
		lost += fl.lost
		lo = max(lo, fl.lo)
		if fl.hi > worst.hi {
			worst = fl
		}
		ev = append(ev, result.Evidence{Name: "data RPO", Detail: fl.note})
	}
	gn := grainName(coarsest)
	var basis string
	switch {
	case len(atOwn) == 0:
		basis = "compared at M1 grain, as data_newest gives the newest M1 minute each file covers (newest_m1): " +
			"the M1 bars each file in " + in.Dir + " covered at the fault against those it covers after recovery, dated by the broker's " +
			"publication times; the RPO is the age at the fault of the earliest M1 bar lost (of a file lost whole, of the oldest bar it held), " +
			"and 0 only when no M1 minute was lost"
		if assumed {
			basis += "; rows taken as M1 bars (assumed: the folder's name states no bar width)"
		}
	case len(atM1) > 0:
		why := "data_newest gives no newest_m1 of them"
		if noM1After {
			why = "data_newest gives no newest_m1 of them after recovery"
		}
		basis = "compared at M1 grain for " + strings.Join(atM1, ", ") + " (data_newest gives the newest M1 minute they cover, newest_m1) and at " +
			gn + " grain for " + strings.Join(atOwn, ", ") + " (" + why + ": their rows and newest " + gn + " bar only): " +
			"the bars of each file in " + in.Dir + " against those it held at the fault, dated by the broker's publication times; " +
			"the RPO is the age at the fault of the earliest lost M1 bar at M1 grain, of the newest recovered bar at " + gn + " grain, " +
			"or of the oldest bar of a file lost whole, and 0 when every bar came back"
	default:
		basis = "compared at " + gn + " grain: "
		switch {
		case assumed:
			basis = "compared at " + gn + " grain (assumed: the folder's name states no bar width): "
		case noM1After:
			basis = "compared at " + gn + " grain, as data_newest gives the recovered files' rows and newest " + gn +
				" bar, not the newest M1 minute they cover (no newest_m1): "
		case coarsest > time.Minute:
			basis = "compared at " + gn + " grain, as data_newest gives each file's rows and newest " + gn +
				" bar, not the M1 bars it was built from: "
		}
		basis += "the bars of each file in " + in.Dir + " against those it held at the fault, dated by the broker's " +
			"publication times; the RPO is the age at the fault of the newest recovered bar, or of the oldest bar of a file lost whole, " +
			"and 0 when every bar came back"
	}
	if lo < worst.hi {
		basis += "; where the evidence leaves open which bars came back, the most it allows (it allows " + ageRange(lo, worst.hi) + ")"
	}
	m := measured{
		rpo: &result.RPO{
			Actual: result.Sec(worst.hi), Target: result.Sec(in.Target), LostEvents: lost, Basis: basis,
			FaultAt: in.FaultAt.UTC(), NewestRecovered: worst.newest.UTC(),
		},
		what:     "bar",
		evidence: ev,
	}
	switch {
	case len(atOwn) == 0:
		m.what = "M1 bar"
	case len(atM1) == 0 && coarsest > time.Minute:
		m.what = gn + " bar"
	}
	return m, nil
}

// datingBars reads the broker's bars a file's losses are dated by; none
// is an error, as nothing could be dated.
func datingBars(name string, brokerBars func() ([]brokerBar, error)) ([]brokerBar, error) {
	bars, err := brokerBars()
	if err != nil {
		return nil, err
	}
	if len(bars) == 0 {
		return nil, fmt.Errorf("%s: the broker has no bars to date it by", name)
	}
	return bars, nil
}
