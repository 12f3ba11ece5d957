package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// version is the version ferry reports. Release builds set it with
// -ldflags "-X main.version=v1.2.3"; otherwise versionString reads the
// build info.
var version = ""

// versionString is the release version when the build set one; else the
// module version `go install ...@v1.2.3` recorded, with the VCS revision
// and whether the tree was modified when built from a checkout; "dev" when
// the build info says nothing.
func versionString(info *debug.BuildInfo, ok bool) string {
	if version != "" {
		return version
	}
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" && !strings.Contains(v, rev[:min(12, len(rev))]) {
		v += " (" + rev[:min(12, len(rev))] + modified + ")"
	}
	return v
}

// Exit statuses, as DESIGN.md section 5 defines them.
const (
	exitOK      = 0 // fine
	exitFailure = 1 // a violation or a failed step
	exitUsage   = 2 // bad usage or bad input
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs ferry with args (without the program name) and returns the exit
// status. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, processEnv(), args, stdin, stdout, stderr)
}

// env is what ferry's commands take from outside the process: its
// environment variables and how to open or clone a git repository. main
// passes the process's; tests pass their own.
type env struct {
	getenv func(string) string
	open   func(dir string) (*gitstore.Store, error)
	clone  func(ctx context.Context, url string, o gitstore.CloneOptions) (*gitstore.Store, error)
	// now is the clock the soak of a local run is measured by.
	now func() time.Time
}

// processEnv is the env of the running process.
func processEnv() *env {
	return &env{getenv: os.Getenv, open: gitstore.Open, clone: gitstore.Clone, now: time.Now}
}

// openRepo opens the git repository at dir; a usage error when there is
// none.
func (e *env) openRepo(dir string) (*gitstore.Store, error) {
	repo, err := e.open(dir)
	if err != nil {
		return nil, usageErrorf("-C %s: %v", dir, err)
	}
	return repo, nil
}

// runWith is run with the commands' dependencies given.
func runWith(ctx context.Context, e *env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "ferry: %v\n", err)
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'ferry --help' for usage.")
		return exitUsage
	}
	if ie := (*gitops.InputError)(nil); errors.As(err, &ie) {
		return exitUsage // bad input: nothing was written
	}
	return exitFailure
}

// newRootCmd returns the ferry command. Subcommands hang off it, each with
// an options struct and a run function of its own.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry",
		Short: "Move Kubernetes workloads between clusters through their GitOps repo",
		Long: `ferry moves Kubernetes workloads from one cluster to another with zero
downtime, by editing the GitOps deployment repo that Argo CD or Flux applies.
Every step of a migration is one small, reviewable, auto-merged pull request.`,
		Version:       versionString(debug.ReadBuildInfo()),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	// Declared here rather than left to cobra, which would also take -v.
	root.Flags().Bool("version", false, "print the version and exit")
	root.SetVersionTemplate("{{.Name}} version {{.Version}}\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print ferry's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "ferry version %s\n", root.Version)
			return err
		},
	})
	root.AddCommand(newStatusCmd(), newPlanCmd(e), newRunCmd(e), newDemoCmd(), newCheckCmd(e), newVerifyCmd(e), newHistoryCmd(e))
	// Flag errors of every command are usage errors: exit status 2.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	return root
}

// usageError is an error in how ferry was called: a bad flag, a missing or
// extra argument. run reports it with exit status 2.
type usageError struct {
	err error
}

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
