package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/fixtures/fleet"
)

type demoOptions struct {
	workloads int
	keep      string
	unsafe    bool
}

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole migration on a built-in repo and a simulated fleet",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&o.workloads, "workloads", 50, "number of workloads in the generated repo")
	cmd.Flags().StringVar(&o.keep, "keep", "", "build the repo in this folder and keep it (explore it with git log and ferry history)")
	cmd.Flags().BoolVar(&o.unsafe, "unsafe", false, "skip the health gate and the soak: the fleet then fails requests")
	return cmd
}

func (o *demoOptions) run(ctx context.Context, stdout io.Writer) error {
	if o.workloads < 1 || o.workloads > 5000 {
		return usageErrorf("--workloads %d: want 1 to 5000", o.workloads)
	}
	if o.keep != "" {
		if ents, err := os.ReadDir(o.keep); err == nil && len(ents) > 0 {
			return usageErrorf("--keep %s: the folder is not empty", o.keep)
		}
		if err := os.MkdirAll(o.keep, 0o755); err != nil {
			return err
		}
	}
	rep, err := fleet.Demo(ctx, fleet.DemoOptions{Workloads: o.workloads, Dir: o.keep, Unsafe: o.unsafe, Out: stdout, Live: isTerminal(stdout)})
	if err != nil {
		return err
	}
	if o.keep != "" {
		fmt.Fprintf(stdout, "\nthe repo is in %s: try `git -C %s log --stat` and `ferry history -C %s`\n", rep.Dir, rep.Dir, rep.Dir)
	}
	return nil
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
