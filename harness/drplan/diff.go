package drplan

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// unifiedDiff writes the changes from a to b as a unified diff. Rewrite
// changes lines in place and never adds or removes one, so the diff pairs
// line i of a with line i of b; lines are shown without their endings.
func unifiedDiff(name string, a, b []line) string {
	if len(a) != len(b) {
		panic("drplan: unifiedDiff needs line-for-line versions")
	}
	var changed []int
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	for h := 0; h < len(changed); {
		// a hunk takes every change within 2*diffContext lines of the last
		end := h
		for end+1 < len(changed) && changed[end+1]-changed[end] <= 2*diffContext+1 {
			end++
		}
		from := max(changed[h]-diffContext, 0)
		to := min(changed[end]+diffContext+1, len(a))
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(from, to), hunkRange(from, to))
		for i := from; i < to; {
			if a[i] == b[i] {
				writeDiffLine(&out, ' ', a[i])
				i++
				continue
			}
			j := i
			for j < to && a[j] != b[j] {
				j++
			}
			for k := i; k < j; k++ {
				writeDiffLine(&out, '-', a[k])
			}
			for k := i; k < j; k++ {
				writeDiffLine(&out, '+', b[k])
			}
			i = j
		}
		h = end + 1
	}
	return out.String()
}

func hunkRange(from, to int) string {
	if to-from == 1 {
		return fmt.Sprint(from + 1)
	}
	return fmt.Sprintf("%d,%d", from+1, to-from)
}

func writeDiffLine(out *strings.Builder, op byte, l line) {
	out.WriteByte(op)
	out.WriteString(l.text)
	out.WriteByte('\n')
	if l.eol == "" {
		out.WriteString("\\ No newline at end of file\n")
	}
}
