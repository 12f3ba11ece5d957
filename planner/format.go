package planner

import (
	"fmt"
	"io"
	"strconv"
	"strings"
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
	if err := tw.Flush(); err != nil {
		return err
	}
	// What each next deploy derives, after the table.
	for _, e := range p.Entries {
		if e.Next == nil || len(e.Next.Derivation) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: deploy to %s derives:\n", e.Workload, strings.Join(e.Next.To, ", "))
		for _, r := range e.Next.Derivation {
			within := ""
			if r.Within != "" {
				within = ", inside " + r.Within
			}
			fmt.Fprintf(w, "  %s:%d: %s → %s (%s%s)\n", r.File, r.Line, r.Old, r.New, r.Key, within)
		}
	}
	return nil
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
