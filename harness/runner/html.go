package runner

import (
	"io"

	"firedrill/harness/report"
	"firedrill/harness/result"
)

func renderHTML(render func(string, func(io.Writer) error), run result.Run, opts report.Options) {
	render("report.html", func(w io.Writer) error { return report.HTML(w, run, opts) })
}
