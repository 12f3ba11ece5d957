package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/bot/history"
)

// historyOptions are the flags of ferry history.
type historyOptions struct {
	*env
	dir       string
	migration string
	workload  string
	output    string
}

func newHistoryCmd(e *env) *cobra.Command {
	o := &historyOptions{env: e}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show each migration's timeline from the commit trailers",
		Long: `history reads the Ferry-Migration, Ferry-Workload and Ferry-Stage trailers
on HEAD's first-parent history and shows, per migration and workload, when
each stage landed (commit time, UTC), in which commit, and by whom.
-o mermaid prints a gantt chart that GitHub renders.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "the deployment repo")
	cmd.Flags().StringVar(&o.migration, "migration", "", "only this migration")
	cmd.Flags().StringVar(&o.workload, "workload", "", "only this workload")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json or mermaid")
	return cmd
}

// historyJSON is one migration in ferry history -o json.
type historyJSON struct {
	Migration string         `json:"migration"`
	Workloads []workloadJSON `json:"workloads"`
}

type workloadJSON struct {
	Workload string      `json:"workload"`
	Stages   []stageJSON `json:"stages"`
}

type stageJSON struct {
	Stage   string `json:"stage"`
	Commit  string `json:"commit"`
	Time    string `json:"time"`
	Author  string `json:"author"`
	Email   string `json:"email"`
	Subject string `json:"subject"`
}

func (o *historyOptions) run(ctx context.Context, w io.Writer) error {
	switch o.output {
	case "text", "json", "mermaid":
	default:
		return usageErrorf("--output %q: want text, json or mermaid", o.output)
	}
	repo, err := o.openRepo(o.dir)
	if err != nil {
		return err
	}
	head, err := resolve(repo, "HEAD", "HEAD")
	if err != nil {
		return err
	}
	migs, err := history.Read(ctx, repo, head, history.Filter{Migration: o.migration, Workload: o.workload})
	if err != nil {
		return err
	}
	switch o.output {
	case "mermaid":
		return history.WriteMermaid(w, migs)
	case "json":
		out := []historyJSON{}
		for _, m := range migs {
			hj := historyJSON{Migration: m.Name}
			for _, wl := range m.Workloads {
				wj := workloadJSON{Workload: wl.Name}
				for _, s := range wl.Steps {
					wj.Stages = append(wj.Stages, stageJSON{Stage: s.Stage, Commit: short(s.Commit), Time: s.Time.UTC().Format(time.RFC3339),
						Author: s.Author.Name, Email: s.Author.Email, Subject: s.Subject})
				}
				hj.Workloads = append(hj.Workloads, wj)
			}
			out = append(out, hj)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(migs) == 0 {
		fmt.Fprintln(w, "no ferry commits in the history")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIGRATION\tWORKLOAD\tSTAGE\tCOMMIT\tTIME\tAUTHOR")
	for _, m := range migs {
		for _, wl := range m.Workloads {
			for _, s := range wl.Steps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, wl.Name, s.Stage, short(s.Commit), s.Time.UTC().Format(time.RFC3339), s.Author.Name)
			}
		}
	}
	return tw.Flush()
}
