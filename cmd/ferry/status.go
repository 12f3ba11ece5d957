package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/planner"
)

// statusOptions are the flags of ferry status.
type statusOptions struct {
	dir    string
	output string
}

func newStatusCmd() *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where every workload runs: owner, clusters, overlays",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "the deployment repo")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// statusJSON is one workload in ferry status -o json.
type statusJSON struct {
	Name       string            `json:"name"`
	Owner      string            `json:"owner,omitempty"`
	Clusters   []string          `json:"clusters"`
	Overlays   map[string]string `json:"overlays"`
	Registered map[string]string `json:"registrations"`
	Weights    map[string]int    `json:"weights,omitempty"`
	PinnedBy   string            `json:"pinnedBy,omitempty"`
	Stages     map[string]string `json:"stages,omitempty"`
	// Problem is why the workload's files cannot be read; it stops this
	// workload only.
	Problem string `json:"problem,omitempty"`
}

func (o *statusOptions) run(w io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output %q: want text or json", o.output)
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return usageErrorf("-C %s: %v", o.dir, err)
	}
	defer root.Close()
	fsys := root.FS()
	repo, err := gitops.Load(fsys)
	if err != nil {
		return err
	}
	states, err := repo.ReadStates(repo.Workloads)
	if err != nil {
		return err
	}
	out := make([]statusJSON, 0, len(repo.Workloads))
	in := planner.Input{}
	for i, wl := range repo.Workloads {
		st := states[i]
		// The state's overlays: where a folder every cluster could apply
		// is applied, the clusters that register it.
		ov := wl
		if st.Overlays != nil {
			ov = &gitops.Workload{Name: wl.Name, Overlays: st.Overlays}
		}
		j := statusJSON{Name: wl.Name, Owner: wl.Owner, Clusters: orEmpty(ov.Clusters(repo.Inventory)), Overlays: ov.Overlays,
			Registered: map[string]string{}, PinnedBy: st.PinnedBy, Stages: map[string]string{}}
		if st.Unreadable != nil {
			j.Problem = st.Unreadable.Error()
		}
		for c, r := range st.Registrations {
			j.Registered[c] = r.File
		}
		if st.Weights != nil {
			j.Weights = map[string]int(st.Weights)
		}
		in.Workloads = append(in.Workloads, bot.WorkloadInput(st))
		out = append(out, j)
	}
	in.Migrations = bot.MigrationsInput(repo.Migrations, in.Workloads)
	byName := map[string]*statusJSON{}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	// The phase from the tree alone: no history, health or pull requests.
	for _, e := range planner.Make(in).Entries {
		if j := byName[e.Workload]; j != nil {
			j.Stages[e.Migration] = e.Phase.String()
		}
	}
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"workloads": out}); err != nil {
			return err
		}
		return unreadable(out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tOWNER\tCLUSTERS\tREGISTERED\tWEIGHTS\tSTAGE")
	for _, j := range out {
		var weights, stages []string
		for _, c := range slices.Sorted(maps.Keys(j.Weights)) {
			weights = append(weights, fmt.Sprintf("%s=%d", c, j.Weights[c]))
		}
		for _, m := range slices.Sorted(maps.Keys(j.Stages)) {
			stages = append(stages, m+":"+j.Stages[m])
		}
		if j.PinnedBy != "" {
			stages = append(stages, "pinned-by="+j.PinnedBy)
		}
		if j.Problem != "" {
			stages = []string{"problem: " + j.Problem} // the phases of a workload ferry cannot read mean nothing
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, dash(j.Owner), dash(strings.Join(j.Clusters, ",")),
			dash(strings.Join(slices.Sorted(maps.Keys(j.Registered)), ",")), dash(strings.Join(weights, ",")), dash(strings.Join(stages, " ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return unreadable(out)
}

// unreadable is the error naming the workloads whose files cannot be
// read, after status listed every workload: exit 1.
func unreadable(out []statusJSON) error {
	var problems []string
	for _, j := range out {
		if j.Problem != "" {
			problems = append(problems, j.Name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d %s cannot be read: %s", len(problems), plural(len(problems), "workload", "workloads"), strings.Join(problems, ", "))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
