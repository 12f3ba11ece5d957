package planner

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteText writes p as a table with the columns MIGRATION, WORKLOAD,
// PHASE, SHARE and NEXT/WAIT. NEXT/WAIT is the next stage (with the PR it
// updates, if any), "wait: " and the reason, or "-" when the workload is
// finished.
func (p *Plan) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIGRATION\tWORKLOAD\tPHASE\tSHARE\tNEXT/WAIT")
	for _, e := range p.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d%%\t%s\n", e.Migration, e.Workload, e.Phase, e.Share, e.nextOrWait())
	}
	return tw.Flush()
}

func (e Entry) nextOrWait() string {
	switch {
	case e.Next != nil:
		s := e.Next.Stage.String()
		if e.Next.PR != 0 {
			s += " (PR #" + strconv.Itoa(e.Next.PR) + ")"
		}
		return s
	case e.Wait != nil:
		return "wait: " + e.Wait.String()
	}
	return "-"
}
