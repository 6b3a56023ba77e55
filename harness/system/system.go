// Package system reads the description of the system a drill runs against.
//
// Everything firedrill knows of the drilled deployment is in its system
// file: the image to start, where the deployment lives in it, its health
// endpoint, the names under which it reads what firedrill wires in (broker,
// backup repositories, cadences), where its git remote keeps its
// repositories, the command behind each action firedrill itself takes
// (start, stop, kill the trading process, read the newest state or data of
// a folder, list a repository's backups, install the software on a fresh
// server) and how the runbook's words map to it (substitutions). The
// harness holds no literal of any deployment; the reference stand-in's
// description is the default (systems/reference.yml).
package system

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Actions every system must describe.
var Actions = []string{
	"start", "stop", "health_check", "kill_trading",
	"state_newest", "data_newest", "positions", "snapshots",
}

// OptionalActions may be described; a drill that needs one and finds none
// says so. place_order makes the deployment place an order now (Q3 needs
// one in flight when it kills the trading process, whatever the market
// does); it must return once the order is posted to the broker. app_log
// prints the tail of the deployment's own log, kept with a drill's logs.
// install installs the release on a fresh server for the step "the
// operator installs the dependencies", where a plan has no install step of
// its own (the team's plan has one: its pip install, mapped by a
// substitution).
var OptionalActions = []string{"place_order", "app_log", "install"}

// ActionHelp says what each action must do, for errors and the guide.
var ActionHelp = map[string]string{
	"start":        "start the deployment in $MODE (paper or live) and return once it runs",
	"stop":         "stop the deployment's trading process",
	"health_check": "print the deployment's health (mode, broker, state); exit non-zero when unhealthy",
	"kill_trading": "kill the live trading process the way a crash does (SIGKILL)",
	"state_newest": "print JSON evidence of the trading state in folder $DIR",
	"data_newest":  "print JSON evidence of the market data in folder $DIR",
	"positions":    `print the deployment's positions as JSON {"positions": {"SYMBOL": qty}}`,
	"snapshots":    "print the backups of repository $REPOSITORY as restic's `snapshots --json`",
	"install":      "install the software on a fresh server, after install_from was copied in",
	"place_order":  "make the running deployment place one order now; return once it is posted",
	"app_log":      "print the tail of the deployment's own log",
}

// Variables are the names under which the deployment reads what firedrill
// wires into its environment. Each is one name or a list of names (all
// get the same value).
type Variables struct {
	BrokerURL           Names `yaml:"broker_url"`
	Repository          Names `yaml:"repository"`
	CloudRepository     Names `yaml:"cloud_repository"`
	Host                Names `yaml:"host"`
	TradeInterval       Names `yaml:"trade_interval"`
	IngestInterval      Names `yaml:"ingest_interval"`
	StateBackupInterval Names `yaml:"state_backup_interval"`
	DataBackupInterval  Names `yaml:"data_backup_interval"`
	CloudBackupInterval Names `yaml:"cloud_backup_interval"`
	// The backup tool's own credentials; restic's names when not given.
	RepositoryPassword Names `yaml:"repository_password"`
	S3AccessKey        Names `yaml:"s3_access_key"`
	S3SecretKey        Names `yaml:"s3_secret_key"`
}

// requiredVariables are the keys of Variables a system must name.
var requiredVariables = []string{
	"broker_url", "repository", "cloud_repository",
	"trade_interval", "ingest_interval", "state_backup_interval", "data_backup_interval", "cloud_backup_interval",
}

// Names is one environment variable name or several.
type Names []string

// UnmarshalYAML takes a scalar or a sequence.
func (n *Names) UnmarshalYAML(v *yaml.Node) error {
	switch v.Kind {
	case yaml.ScalarNode:
		*n = Names{v.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := v.Decode(&l); err != nil {
			return err
		}
		*n = l
		return nil
	}
	return fmt.Errorf("line %d: want a variable name or a list of names", v.Line)
}

// GitRemote is where the image keeps the bare repositories its git remote
// serves (git daemon --base-path=Root); Repository is the one the
// deployment is cloned from, as git://gitremote/<Repository>.
type GitRemote struct {
	Root       string `yaml:"root"`
	Repository string `yaml:"repository"`
}

// Substitution maps a text of the runbook (a path, a command, a variable
// of the plan's own deployment) to the drilled deployment's.
type Substitution struct {
	Plan string `yaml:"plan"`
	Here string `yaml:"here"`
}

// System is one drillable system.
type System struct {
	Name  string            `yaml:"name"`
	Image string            `yaml:"image"`
	Home  string            `yaml:"home"`
	Env   map[string]string `yaml:"env"`
	// Health is the HTTP health endpoint inside the container.
	Health struct {
		Port int    `yaml:"port"`
		Path string `yaml:"path"`
	} `yaml:"health"`
	Variables Variables  `yaml:"variables"`
	GitRemote *GitRemote `yaml:"git_remote"`
	// Commands are bash command lines run in Home; $MODE, $DIR and
	// $REPOSITORY are set where an action takes them.
	Commands map[string]string `yaml:"commands"`
	// InstallFrom lists files firedrill copies from Image into a fresh
	// server before its install command runs (the stand-in's release
	// artefacts; a Python system would list nothing and pip install).
	InstallFrom []string `yaml:"install_from"`
	// Substitutions map the runbook's words to this deployment's; every
	// command, path and check a feature hands to the system passes
	// through them (longest first, one pass).
	Substitutions []Substitution `yaml:"substitutions"`

	path     string
	replacer *strings.Replacer
}

// Path is the file the description came from.
func (s *System) Path() string { return s.path }

// Problem is one thing wrong with a system file: the key, its line (0 when
// the key is missing) and the fix.
type Problem struct {
	Line int
	Key  string
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Key, p.Msg)
}

// Error lists every problem of a system file, one a line.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, e.File+": "+p.String())
	}
	return "check system description " + e.File + ":\n" + strings.Join(lines, "\n")
}

// Load reads and checks a system description.
func Load(path string) (*System, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read system description %s: %w (pass --system with a YAML file; systems/reference.yml is the default)", path, err)
	}
	return Parse(path, b)
}

// known keys at each level, for naming unknown ones with their line.
var knownKeys = map[string][]string{
	"":           {"name", "image", "home", "env", "health", "variables", "git_remote", "commands", "install_from", "substitutions"},
	"health":     {"port", "path"},
	"variables":  variableKeys(),
	"git_remote": {"root", "repository"},
	"commands":   append(append([]string{}, Actions...), OptionalActions...),
}

// Parse checks a system description's bytes; name is used in errors.
func Parse(name string, b []byte) (*System, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, &Error{File: name, Problems: []Problem{{Key: "file", Msg: "not YAML: " + err.Error()}}}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: name, Problems: []Problem{{Key: "file", Msg: "want a mapping of keys (copy systems/reference.yml and edit it)"}}}
	}
	lines := map[string]int{}
	problems := unknownKeys(root.Content[0], "", lines)
	var s System
	if err := root.Content[0].Decode(&s); err != nil {
		problems = append(problems, Problem{Key: "file", Msg: err.Error()})
		return nil, &Error{File: name, Problems: problems}
	}
	s.path = name
	line := func(k string) int { return lines[k] }
	if s.Image == "" {
		problems = append(problems, Problem{line("image"), "image", "missing: the image to drill, e.g. firedrill/traderunner:latest"})
	}
	if !strings.HasPrefix(s.Home, "/") {
		problems = append(problems, Problem{line("home"), "home", fmt.Sprintf("%q must be the deployment's absolute path in the image", s.Home)})
	}
	if s.Health.Port <= 0 || s.Health.Port > 65535 {
		problems = append(problems, Problem{line("health.port"), "health.port", "missing or out of range: the port the health endpoint listens on, e.g. 8080"})
	}
	if !strings.HasPrefix(s.Health.Path, "/") {
		problems = append(problems, Problem{line("health.path"), "health.path", "missing: the health endpoint's path, e.g. /healthz"})
	}
	vars := s.Variables.byKey()
	for _, k := range requiredVariables {
		if len(vars[k]) == 0 {
			problems = append(problems, Problem{line("variables"), "variables." + k, "missing: the environment variable the deployment reads it from"})
		}
	}
	for k, names := range vars {
		for _, n := range names {
			if !validName(n) {
				problems = append(problems, Problem{line("variables." + k), "variables." + k, fmt.Sprintf("%q is not an environment variable name", n)})
			}
		}
	}
	if g := s.GitRemote; g != nil && (!strings.HasPrefix(g.Root, "/") || g.Repository == "") {
		problems = append(problems, Problem{line("git_remote"), "git_remote", "needs root (absolute folder of bare repositories in the image) and repository (the one cloned, e.g. traderunner.git)"})
	}
	for _, a := range Actions {
		if strings.TrimSpace(s.Commands[a]) == "" {
			problems = append(problems, Problem{line("commands"), "commands." + a, "missing: the command that does it: " + ActionHelp[a]})
		}
	}
	for i, sub := range s.Substitutions {
		if sub.Plan == "" {
			problems = append(problems, Problem{line("substitutions"), fmt.Sprintf("substitutions[%d]", i), "plan: empty: the runbook's text to replace"})
		}
	}
	problems = dropMisspelt(problems)
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	if len(problems) > 0 {
		return nil, &Error{File: name, Problems: problems}
	}
	s.replacer = newReplacer(s.Substitutions)
	return &s, nil
}

// unknownKeys names every key Parse does not know, with its line and the
// known key it is closest to; lines receives the line of every known key
// ("health.port").
func unknownKeys(m *yaml.Node, prefix string, lines map[string]int) []Problem {
	var out []Problem
	known := knownKeys[prefix]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		full := k.Value
		if prefix != "" {
			full = prefix + "." + k.Value
		}
		if !contains(known, k.Value) {
			fix := "remove it"
			if near := nearest(k.Value, known); near != "" {
				fix = "did you mean " + near + "?"
			}
			out = append(out, Problem{k.Line, full, "unknown key: " + fix + " (known: " + strings.Join(known, ", ") + ")"})
			continue
		}
		lines[full] = k.Line
		if _, nested := knownKeys[full]; nested && v.Kind == yaml.MappingNode {
			out = append(out, unknownKeys(v, full, lines)...)
		}
	}
	return out
}

// dropMisspelt leaves out "missing" for a key whose misspelling is
// already named as unknown ("did you mean health_check?"): one line a
// mistake.
func dropMisspelt(problems []Problem) []Problem {
	meant := map[string]bool{}
	for _, p := range problems {
		if i := strings.Index(p.Msg, "did you mean "); i >= 0 {
			k := strings.TrimSuffix(strings.Fields(p.Msg[i+len("did you mean "):])[0], "?")
			if j := strings.LastIndex(p.Key, "."); j >= 0 {
				k = p.Key[:j] + "." + k
			}
			meant[k] = true
		}
	}
	out := problems[:0]
	for _, p := range problems {
		if meant[p.Key] && strings.HasPrefix(p.Msg, "missing") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// nearest is the known key within two edits of k, if any.
func nearest(k string, known []string) string {
	best, bestD := "", 3
	for _, c := range known {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func validName(n string) bool {
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		return false
	}
	for _, r := range n {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// variableKeys are the keys of Variables, from byKey.
func variableKeys() []string {
	var out []string
	for k := range (Variables{}).byKey() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (v Variables) byKey() map[string]Names {
	return map[string]Names{
		"broker_url": v.BrokerURL, "repository": v.Repository, "cloud_repository": v.CloudRepository,
		"host": v.Host, "trade_interval": v.TradeInterval, "ingest_interval": v.IngestInterval,
		"state_backup_interval": v.StateBackupInterval, "data_backup_interval": v.DataBackupInterval,
		"cloud_backup_interval": v.CloudBackupInterval, "repository_password": v.RepositoryPassword,
		"s3_access_key": v.S3AccessKey, "s3_secret_key": v.S3SecretKey,
	}
}

// Env sets value under every name of a variable in env.
func (n Names) Env(env map[string]string, value string) {
	for _, k := range n {
		env[k] = value
	}
}

// Password, AccessKey and SecretKey are the names the backup tool's
// credentials go under (restic's own unless the system names others).
func (v Variables) Password() Names  { return orDefault(v.RepositoryPassword, "RESTIC_PASSWORD") }
func (v Variables) AccessKey() Names { return orDefault(v.S3AccessKey, "AWS_ACCESS_KEY_ID") }
func (v Variables) SecretKey() Names { return orDefault(v.S3SecretKey, "AWS_SECRET_ACCESS_KEY") }

func orDefault(n Names, def string) Names {
	if len(n) == 0 {
		return Names{def}
	}
	return n
}

// Command returns the command line of an action.
func (s *System) Command(action string) string { return s.Commands[action] }

// Has says whether the system describes an action.
func (s *System) Has(action string) bool { return strings.TrimSpace(s.Commands[action]) != "" }

// InHome prefixes a script with the change to the deployment's home; where
// the home is not there (a fresh server before its clone) the script runs
// in /.
func (s *System) InHome(script string) string {
	return "cd '" + strings.ReplaceAll(s.Home, "'", `'\''`) + "' 2>/dev/null || cd /\n" + script
}

// HealthPort is the health port in Docker's notation.
func (s *System) HealthPort() string { return fmt.Sprintf("%d/tcp", s.Health.Port) }

// Local maps a runbook text (a command, a path) to this deployment through
// its substitutions (built once by Parse; a System made by hand builds them
// per call).
func (s *System) Local(text string) string {
	if s.replacer == nil {
		return newReplacer(s.Substitutions).Replace(text)
	}
	return s.replacer.Replace(text)
}

// newReplacer replaces the longest plan text first at each position, in
// one pass: a replacement is never replaced again.
func newReplacer(subs []Substitution) *strings.Replacer {
	sorted := append([]Substitution(nil), subs...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Plan) > len(sorted[j].Plan) })
	var pairs []string
	for _, s := range sorted {
		if s.Plan != "" {
			pairs = append(pairs, s.Plan, s.Here)
		}
	}
	return strings.NewReplacer(pairs...)
}

// Check returns the parse problems of err, if it is a system file's.
func Check(err error) ([]Problem, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems, true
	}
	return nil, false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
