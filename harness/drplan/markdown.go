package drplan

import (
	"regexp"
	"strings"
)

// line is one line of the file: its text and the ending it had ("\n",
// "\r\n", or "" for a last line without one), so the file joins back to the
// same bytes.
type line struct {
	text string
	eol  string
}

func splitLines(b []byte) []line {
	var lines []line
	s := string(b)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, line{text: s})
			break
		}
		text, eol := s[:i], "\n"
		if strings.HasSuffix(text, "\r") {
			text, eol = text[:len(text)-1], "\r\n"
		}
		lines = append(lines, line{text: text, eol: eol})
		s = s[i+1:]
	}
	return lines
}

func joinLines(lines []line) []byte {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// span is a table cell: the bytes between its pipes, padding included.
type span struct{ start, end int }

func (s span) text(line string) string { return line[s.start:s.end] }

// splitCells splits a table row into cells at pipes not escaped with a
// backslash; leading and trailing pipes are optional, as in GFM.
func splitCells(s string) []span {
	var pipes []int
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			pipes = append(pipes, i)
		}
	}
	if len(pipes) == 0 {
		return nil
	}
	lead := len(s) - len(strings.TrimLeft(s, " \t"))
	trail := len(strings.TrimRight(s, " \t")) - 1
	var bounds []int
	if pipes[0] != lead {
		bounds = append(bounds, -1)
	}
	bounds = append(bounds, pipes...)
	if pipes[len(pipes)-1] != trail {
		bounds = append(bounds, len(s))
	}
	cells := make([]span, 0, len(bounds))
	for i := 0; i+1 < len(bounds); i++ {
		cells = append(cells, span{start: bounds[i] + 1, end: bounds[i+1]})
	}
	return cells
}

func hasPipe(s string) bool { return len(splitCells(s)) > 0 }

var separatorCellRe = regexp.MustCompile(`^\s*:?-+:?\s*$`)

// isSeparator tells the row under a table's header: | --- | :---: | ---: |.
func isSeparator(s string) bool {
	cells := splitCells(s)
	if len(cells) == 0 {
		return false
	}
	for _, c := range cells {
		if !separatorCellRe.MatchString(c.text(s)) {
			return false
		}
	}
	return true
}

type alignment int

const (
	alignLeft alignment = iota
	alignCenter
	alignRight
)

func alignOf(sep string) alignment {
	t := strings.TrimSpace(sep)
	switch {
	case strings.HasPrefix(t, ":") && strings.HasSuffix(t, ":") && len(t) > 1:
		return alignCenter
	case strings.HasSuffix(t, ":"):
		return alignRight
	}
	return alignLeft
}

// isTitle tells a heading ("## RTO/RPO Summary") or a line that starts
// bold ("**RTO/RPO Summary:**").
func isTitle(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, "**") || strings.HasPrefix(t, "__")
}

var ruleRe = regexp.MustCompile(`^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)

// isRule tells a thematic break (---), which ends a section.
func isRule(s string) bool { return ruleRe.MatchString(strings.TrimSpace(s)) }

// fences marks the lines inside (or opening/closing) fenced code blocks,
// where nothing is a heading or a table.
func fences(lines []line) []bool {
	in := make([]bool, len(lines))
	var fence string
	for i, l := range lines {
		t := strings.TrimSpace(l.text)
		switch {
		case fence == "" && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")):
			fence = t[:3]
			in[i] = true
		case fence != "":
			in[i] = true
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
		}
	}
	return in
}
