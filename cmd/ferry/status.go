package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/gitops"
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
	Name     string            `json:"name"`
	Owner    string            `json:"owner,omitempty"`
	Clusters []string          `json:"clusters"`
	Overlays map[string]string `json:"overlays"`
}

func (o *statusOptions) run(w io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output %q: want text or json", o.output)
	}
	repo, err := loadDir(o.dir)
	if err != nil {
		return err
	}
	if o.output == "json" {
		out := make([]statusJSON, 0, len(repo.Workloads))
		for _, wl := range repo.Workloads {
			out = append(out, statusJSON{Name: wl.Name, Owner: wl.Owner, Clusters: orEmpty(wl.Clusters(repo.Inventory)), Overlays: wl.Overlays})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"workloads": out})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tOWNER\tCLUSTERS")
	for _, wl := range repo.Workloads {
		owner := wl.Owner
		if owner == "" {
			owner = "-"
		}
		clusters := strings.Join(wl.Clusters(repo.Inventory), ",")
		if clusters == "" {
			clusters = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", wl.Name, owner, clusters)
	}
	return tw.Flush()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// loadDir reads the deployment repo in dir. os.Root refuses symlinks that
// lead out of it.
func loadDir(dir string) (*gitops.Repo, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, usageErrorf("-C %s: %v", dir, err)
	}
	defer root.Close()
	return gitops.Load(root.FS())
}
