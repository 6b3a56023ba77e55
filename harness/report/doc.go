// Package report renders a firedrill run for the people who read it.
package report

import _ "github.com/jedib0t/go-pretty/v6/table"
