package syscheck

import (
	"regexp"
	"strings"
)

// Invocation is one program a command line runs: the first word of a
// simple command after its VAR=value assignments (and after the keywords
// and wrappers that only start another program: if, then, do, !, exec,
// env, nohup, timeout ...).
type Invocation struct {
	// Program is the word that names the program, quotes removed.
	Program string
	// Args are the words after it, quotes removed.
	Args []string
	// Dynamic: the program word holds an expansion ($VAR, $(...), `...`),
	// so what it runs is known only when it runs: not checked.
	Dynamic bool
	// Moved: an earlier command of the line changed the folder (cd,
	// pushd), so a relative path or a Makefile is not looked for in home.
	Moved bool
	// dynamicArgs marks the Args that hold an expansion.
	dynamicArgs []bool
}

// Programs returns what a bash command line runs, in order: one
// Invocation per simple command of its lists and pipelines (&&, ||, |, ;,
// &, newlines, subshells), command substitutions aside. Compound commands
// are looked into (the program after if, while, then, do ...); the head of
// a for, select or case and function definitions run nothing of their own.
func Programs(cmdline string) []Invocation {
	var out []Invocation
	moved := false
	for _, seg := range segments(tokenize(cmdline)) {
		inv, ok := invocations(seg)
		for _, in := range inv {
			in.Moved = moved
			out = append(out, in)
		}
		if ok && len(inv) > 0 {
			if p := inv[len(inv)-1].Program; p == "cd" || p == "pushd" || p == "popd" {
				moved = true
			}
		}
	}
	return out
}

// MakeCall is what a make invocation asks for.
type MakeCall struct {
	// Options are its options and variable assignments, as given.
	Options []string
	// Targets are the goals named (none: the Makefile's default goal).
	Targets []string
	// Dynamic: an option or target holds an expansion, so the goals are
	// known only when it runs.
	Dynamic bool
}

// makeArgOptions take the next word as their argument.
var makeArgOptions = map[string]bool{
	"-C": true, "-f": true, "-I": true, "-o": true, "-W": true,
	"--directory": true, "--file": true, "--makefile": true, "--include-dir": true,
	"--old-file": true, "--assume-old": true, "--what-if": true, "--new-file": true, "--assume-new": true,
}

// Make splits the arguments of a make invocation into its options and
// variable assignments, and the targets it asks for.
func Make(in Invocation) MakeCall {
	var c MakeCall
	args := in.Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if i < len(in.dynamicArgs) && in.dynamicArgs[i] {
			c.Dynamic = true
		}
		switch {
		case makeArgOptions[a] && i+1 < len(args):
			c.Options = append(c.Options, a, args[i+1])
			if i+1 < len(in.dynamicArgs) && in.dynamicArgs[i+1] {
				c.Dynamic = true
			}
			i++
		case (a == "-j" || a == "-l") && i+1 < len(args) && isNumber(args[i+1]):
			c.Options = append(c.Options, a, args[i+1])
			i++
		case strings.HasPrefix(a, "-") || assignment.MatchString(a):
			c.Options = append(c.Options, a)
		default:
			c.Targets = append(c.Targets, a)
		}
	}
	return c
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// token is a word or an operator of a command line.
type token struct {
	op string // "&&", "|", ";", "\n", "(", ")" ...; "" for a word
	// word is the text with quotes removed; raw as written.
	word, raw string
	// dynamic: the word holds an unquoted or double-quoted expansion.
	dynamic bool
}

// tokenize splits a bash command line into words and control operators.
// It removes quotes, keeps command substitutions inside their word,
// drops comments, redirections (with their target) and here-document
// bodies. It is no full bash parser: enough to find the programs a line
// runs, which is all firedrill looks for.
func tokenize(s string) []token {
	var (
		out      []token
		cur      strings.Builder
		raw      strings.Builder
		inWord   bool
		dynamic  bool
		skipNext bool     // the next word is a redirection's target
		heredocs []string // delimiters of here-documents opened on this line
	)
	flush := func() {
		if !inWord {
			return
		}
		if skipNext {
			skipNext = false
		} else {
			out = append(out, token{word: cur.String(), raw: raw.String(), dynamic: dynamic})
		}
		cur.Reset()
		raw.Reset()
		inWord, dynamic = false, false
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs):
			i++
			if rs[i] == '\n' { // line continuation
				continue
			}
			cur.WriteRune(rs[i])
			raw.WriteRune(c)
			raw.WriteRune(rs[i])
			inWord = true
		case c == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			cur.WriteString(string(rs[i+1 : min(j, len(rs))]))
			raw.WriteString(string(rs[i:min(j+1, len(rs))]))
			inWord = true
			i = j
		case c == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				switch {
				case rs[j] == '\\' && j+1 < len(rs):
					j++
					cur.WriteRune(rs[j])
				case rs[j] == '$' || rs[j] == '`':
					dynamic = true
					k := skipExpansion(rs, j)
					cur.WriteString(string(rs[j:k]))
					j = k - 1
				default:
					cur.WriteRune(rs[j])
				}
			}
			raw.WriteString(string(rs[i:min(j+1, len(rs))]))
			inWord = true
			i = j
		case c == '$' || c == '`':
			k := skipExpansion(rs, i)
			cur.WriteString(string(rs[i:k]))
			raw.WriteString(string(rs[i:k]))
			inWord, dynamic = true, true
			i = k - 1
		case c == '#' && !inWord:
			for i+1 < len(rs) && rs[i+1] != '\n' {
				i++
			}
		case c == ' ' || c == '\t':
			flush()
		case c == '\n':
			flush()
			out = append(out, token{op: "\n"})
			for _, d := range heredocs {
				i = skipHeredoc(rs, i, d)
			}
			heredocs = nil
		case c == '<' || c == '>':
			// A word of digits right before it is the descriptor (2>).
			if inWord && isNumber(cur.String()) && !strings.ContainsAny(raw.String(), `"'\`) {
				cur.Reset()
				raw.Reset()
				inWord = false
			}
			flush()
			j := i
			for j+1 < len(rs) && strings.ContainsRune("<>&|-", rs[j+1]) {
				j++
			}
			op := string(rs[i : j+1])
			i = j
			if strings.HasPrefix(op, "<<") && op != "<<<" {
				d, k := heredocDelimiter(rs, i+1)
				heredocs = append(heredocs, d)
				i = k - 1
				continue
			}
			// >&2 names a descriptor, not a file.
			if strings.HasSuffix(op, "&") && i+1 < len(rs) && (rs[i+1] >= '0' && rs[i+1] <= '9' || rs[i+1] == '-') {
				for i+1 < len(rs) && (rs[i+1] >= '0' && rs[i+1] <= '9' || rs[i+1] == '-') {
					i++
				}
				continue
			}
			skipNext = true
		case c == '&' && i+1 < len(rs) && rs[i+1] == '>':
			flush()
			i++
			for i+1 < len(rs) && rs[i+1] == '>' {
				i++
			}
			skipNext = true
		case c == '&' || c == '|' || c == ';':
			flush()
			op := string(c)
			if i+1 < len(rs) && (rs[i+1] == c || (c == '|' && rs[i+1] == '&') || (c == ';' && rs[i+1] == '&')) {
				op += string(rs[i+1])
				i++
			}
			out = append(out, token{op: op})
		case c == '(' || c == ')':
			flush()
			out = append(out, token{op: string(c)})
		default:
			cur.WriteRune(c)
			raw.WriteRune(c)
			inWord = true
		}
	}
	flush()
	return out
}

// skipExpansion returns the index just past the expansion that starts at
// i ($NAME, ${...}, $(...), $((...)), `...`).
func skipExpansion(rs []rune, i int) int {
	if rs[i] == '`' {
		j := i + 1
		for j < len(rs) && rs[j] != '`' {
			if rs[j] == '\\' {
				j++
			}
			j++
		}
		return min(j+1, len(rs))
	}
	if i+1 >= len(rs) {
		return i + 1
	}
	switch rs[i+1] {
	case '(', '{':
		open, closing := rs[i+1], map[rune]rune{'(': ')', '{': '}'}[rs[i+1]]
		depth := 0
		for j := i + 1; j < len(rs); j++ {
			switch rs[j] {
			case '\\':
				j++
			case '\'':
				for j++; j < len(rs) && rs[j] != '\''; j++ {
				}
			case open:
				depth++
			case closing:
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(rs)
	}
	j := i + 1
	if j < len(rs) && strings.ContainsRune("@*#?$!-0123456789", rs[j]) {
		return j + 1
	}
	for j < len(rs) && (rs[j] == '_' || rs[j] >= 'a' && rs[j] <= 'z' || rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= '0' && rs[j] <= '9') {
		j++
	}
	return j
}

// heredocDelimiter reads the delimiter word after << (quotes removed) and
// returns it with the index past it.
func heredocDelimiter(rs []rune, i int) (string, int) {
	for i < len(rs) && (rs[i] == ' ' || rs[i] == '\t') {
		i++
	}
	var d strings.Builder
	for i < len(rs) && !strings.ContainsRune(" \t\n;&|<>()", rs[i]) {
		if rs[i] != '\'' && rs[i] != '"' && rs[i] != '\\' {
			d.WriteRune(rs[i])
		}
		i++
	}
	return d.String(), i
}

// skipHeredoc returns the index of the newline that ends the body of a
// here-document whose body starts after the newline at i.
func skipHeredoc(rs []rune, i int, delim string) int {
	for i < len(rs) {
		j := i + 1
		for j < len(rs) && rs[j] != '\n' {
			j++
		}
		line := strings.TrimLeft(string(rs[i+1:min(j, len(rs))]), "\t")
		i = j
		if line == delim {
			break
		}
	}
	return i
}

// segments splits tokens at control operators into simple commands.
func segments(toks []token) [][]token {
	var out [][]token
	var cur []token
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		// name () { ...; }: a function definition runs nothing itself.
		if t.op == "(" && len(cur) == 1 && i+1 < len(toks) && toks[i+1].op == ")" {
			cur = nil
			i++
			continue
		}
		if t.op != "" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// assignment is a VAR=value (or VAR+=value, VAR[i]=value) word as written.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=`)

// leading are reserved words that start a simple command of their own.
var leading = map[string]bool{
	"!": true, "{": true, "then": true, "else": true, "do": true,
	"if": true, "elif": true, "while": true, "until": true, "time": true,
}

// closing reserved words end a compound command and run nothing.
var closing = map[string]bool{"}": true, "fi": true, "done": true, "esac": true}

// heads of compound commands whose own words run nothing.
var heads = map[string]bool{"for": true, "select": true, "case": true, "function": true, "in": true}

// invocations reads the programs a simple command runs: its program and,
// for a wrapper that runs another (exec, command, env, nohup, timeout),
// the wrapped one too. ok is false for a segment that runs nothing.
func invocations(seg []token) ([]Invocation, bool) {
	var out []Invocation
	i := 0
	for i < len(seg) {
		t := seg[i]
		switch {
		case assignment.MatchString(t.raw):
			i++
			continue
		case leading[t.raw]:
			i++
			continue
		case closing[t.raw]:
			i++
			continue
		case heads[t.raw]:
			return out, len(out) > 0
		}
		break
	}
	if i >= len(seg) {
		return out, len(out) > 0
	}
	in := Invocation{Program: seg[i].word, Dynamic: seg[i].dynamic}
	for _, a := range seg[i+1:] {
		in.Args = append(in.Args, a.word)
		in.dynamicArgs = append(in.dynamicArgs, a.dynamic)
	}
	if in.Dynamic {
		return append(out, in), true
	}
	switch in.Program {
	case "exec", "command", "builtin", "nohup", "env", "timeout", "nice", "stdbuf":
		if in.Program == "command" && len(in.Args) > 0 && (in.Args[0] == "-v" || in.Args[0] == "-V") {
			break
		}
		if in.Program != "exec" && in.Program != "command" && in.Program != "builtin" {
			out = append(out, Invocation{Program: in.Program, Args: in.Args, dynamicArgs: in.dynamicArgs})
		}
		rest := wrapped(in.Program, seg[i+1:])
		if len(rest) == 0 {
			return out, true
		}
		more, _ := invocations(rest)
		return append(out, more...), true
	}
	return append(out, in), true
}

// wrapped returns the words of the command a wrapper runs, past the
// wrapper's own options (and timeout's duration, env's assignments).
func wrapped(wrapper string, words []token) []token {
	argOpts := map[string]map[string]bool{
		"timeout": {"-s": true, "-k": true, "--signal": true, "--kill-after": true},
		"env":     {"-u": true, "-C": true, "-S": true, "--unset": true, "--chdir": true},
		"nice":    {"-n": true, "--adjustment": true},
		"stdbuf":  {"-i": true, "-o": true, "-e": true},
		"exec":    {"-a": true},
	}[wrapper]
	i := 0
	for i < len(words) && strings.HasPrefix(words[i].raw, "-") && words[i].raw != "-" {
		if argOpts[words[i].raw] {
			i++
		}
		i++
		if i > 0 && words[i-1].raw == "--" {
			break
		}
	}
	if wrapper == "timeout" && i < len(words) {
		i++ // the duration
	}
	return words[min(i, len(words)):]
}
