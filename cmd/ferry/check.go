package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/bot/check"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
)

// checkOptions are the flags of ferry check.
type checkOptions struct {
	*env
	dir  string
	base string
}

func newCheckCmd(e *env) *cobra.Command {
	o := &checkOptions{env: e}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the invariants and pins on a change (a pull request gate)",
		Long: `check proves the invariants of a change from --base to HEAD: weights,
deploy before traffic, drain before removal, pins, and that every overlay
the change touches still builds. It prints each violation as
file:line: rule N: message and exits 1 if there is any.

In GitHub Actions (GITHUB_ACTIONS=true) it also prints each violation as an
error annotation and appends a summary to $GITHUB_STEP_SUMMARY.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "the deployment repo")
	cmd.Flags().StringVar(&o.base, "base", "", "the base of the change (default: origin/HEAD, else the first of origin/main, main, origin/master, master)")
	return cmd
}

// defaultCheckBase is the base a change is checked against without
// --base: the remote's default branch (origin/HEAD) when the clone knows
// it, else the first of origin/main, main, origin/master and master that
// exists. Not HEAD's branch: that is the change.
func defaultCheckBase(repo *gitstore.Store) (gitstore.Hash, error) {
	revs := []string{"origin/main", "main", "origin/master", "master"}
	if h, err := repo.Resolve("refs/remotes/origin/HEAD"); err == nil {
		return h, nil
	}
	for _, rev := range revs {
		h, err := repo.Resolve(rev)
		if !errors.Is(err, gitstore.ErrUnknownRevision) {
			return h, err
		}
	}
	return gitstore.ZeroHash, usageErrorf("no base branch: none of %s exists; name one with --base", strings.Join(revs, ", "))
}

// hasConfig requires a valid ferry.yaml at commit: a gate that checks a
// repo ferry does not describe must fail, not pass (an *InputError: exit
// 2).
func hasConfig(repo *gitstore.Store, commit gitstore.Hash) error {
	fsys, err := repo.FS(commit)
	if err != nil {
		return err
	}
	_, err = gitops.LoadConfig(fsys)
	return err
}

// resolve resolves the flag's revision, a usage error if it names nothing.
func resolve(repo *gitstore.Store, flag, rev string) (gitstore.Hash, error) {
	h, err := repo.Resolve(rev)
	if errors.Is(err, gitstore.ErrUnknownRevision) {
		return gitstore.ZeroHash, usageErrorf("%s %s: %v", flag, rev, err)
	}
	return h, err
}

func (o *checkOptions) run(ctx context.Context, w io.Writer) error {
	repo, err := o.openRepo(o.dir)
	if err != nil {
		return err
	}
	var base gitstore.Hash
	if o.base != "" {
		base, err = resolve(repo, "--base", o.base)
	} else {
		base, err = defaultCheckBase(repo)
	}
	if err != nil {
		return err
	}
	head, err := resolve(repo, "HEAD", "HEAD")
	if err != nil {
		return err
	}
	if err := hasConfig(repo, head); err != nil {
		return err
	}
	key, err := checkKey(o.getenv)
	if err != nil {
		return err
	}
	rep, err := check.Options{Renderer: render.New(), SealKey: key}.ChangeReport(ctx, repo, base, head)
	if err != nil {
		return err
	}
	gh := newAnnotator(o.getenv)
	resume := gh.stopCommands(w)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", oneLine(n.Overlay+": "+n.Message))
	}
	for _, v := range rep.Violations {
		fmt.Fprintln(w, oneLine(v.String()))
	}
	resume()
	for _, n := range rep.Notes {
		gh.notice(w, n)
	}
	for _, v := range rep.Violations {
		gh.error(w, v)
	}
	if err := gh.summary(fmt.Sprintf("ferry check %s..%s", short(base), short(head)), rep.Violations); err != nil {
		return err
	}
	if n := len(rep.Violations); n > 0 {
		return fmt.Errorf("%d %s broken", n, plural(n, "invariant", "invariants"))
	}
	fmt.Fprintf(w, "ok: %d of %d workloads changed, %d invariants hold\n", len(rep.Checked), rep.Workloads, rep.Invariants)
	return nil
}

// verifyOptions are the flags of ferry verify.
type verifyOptions struct {
	*env
	dir   string
	since string
}

func newVerifyCmd(e *env) *cobra.Command {
	o := &verifyOptions{env: e}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the invariants on every commit of history",
		Long: `verify checks every commit of HEAD's first-parent history, oldest first,
as a change from its parent (the root commit against an empty tree), and
prints the first commit that breaks an invariant, with its violations.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "the deployment repo")
	cmd.Flags().StringVar(&o.since, "since", "", "check only the commits after this one (default: from the root)")
	return cmd
}

func (o *verifyOptions) run(ctx context.Context, w io.Writer) error {
	repo, err := o.openRepo(o.dir)
	if err != nil {
		return err
	}
	var since gitstore.Hash
	if o.since != "" {
		if since, err = resolve(repo, "--since", o.since); err != nil {
			return err
		}
	}
	head, err := resolve(repo, "HEAD", "HEAD")
	if err != nil {
		return err
	}
	if err := hasConfig(repo, head); err != nil {
		return err
	}
	commits, err := check.FirstParents(ctx, repo, since, head)
	if err != nil {
		return err
	}
	key, err := checkKey(o.getenv)
	if err != nil {
		return err
	}
	f, err := check.Options{Renderer: render.New(), SealKey: key}.History(ctx, repo, since, head)
	if err != nil {
		return err
	}
	gh := newAnnotator(o.getenv)
	verified := len(commits)
	if verified > 0 && repo.ShallowBoundary(commits[0]) {
		// A shallow clone (actions/checkout's default): say what was not seen.
		fmt.Fprintf(w, "note: the history before %s is not in this shallow clone; %s itself is checked from the next commit on\n", short(commits[0]), short(commits[0]))
		verified--
	}
	if f == nil {
		fmt.Fprintf(w, "ok: %d %s verified\n", verified, plural(verified, "commit", "commits"))
		return gh.summary(fmt.Sprintf("ferry verify: %d commits", len(commits)), nil)
	}
	resume := gh.stopCommands(w)
	fmt.Fprintf(w, "%s %s\n", short(f.Commit), oneLine(f.Subject))
	for _, v := range f.Violations {
		fmt.Fprintln(w, oneLine(v.String()))
	}
	resume()
	for _, v := range f.Violations {
		gh.error(w, v)
	}
	if err := gh.summary(fmt.Sprintf("ferry verify: commit %s %s", short(f.Commit), f.Subject), f.Violations); err != nil {
		return err
	}
	n := len(f.Violations)
	return fmt.Errorf("commit %s breaks %d %s", short(f.Commit), n, plural(n, "invariant", "invariants"))
}

func short(h gitstore.Hash) string { return h.String()[:7] }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// annotator writes GitHub Actions workflow commands and the job summary
// when ferry runs in GitHub Actions, and nothing otherwise.
type annotator struct {
	on          bool
	summaryFile string
}

func newAnnotator(getenv func(string) string) annotator {
	return annotator{on: getenv("GITHUB_ACTIONS") == "true", summaryFile: getenv("GITHUB_STEP_SUMMARY")}
}

// stopCommands makes the runner ignore workflow commands in what ferry
// prints next, until resume is called: the lines hold repo text (paths,
// values, commit subjects) that could otherwise read as "::warning::" or
// "::add-mask::". Outside GitHub Actions it does nothing.
func (a annotator) stopCommands(w io.Writer) (resume func()) {
	if !a.on {
		return func() {}
	}
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	token := hex.EncodeToString(b[:])
	fmt.Fprintf(w, "::stop-commands::%s\n", token)
	return func() { fmt.Fprintf(w, "::%s::\n", token) }
}

// oneLine keeps repo text on its line: a line break in a path or a
// message is printed as \n.
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

func (a annotator) error(w io.Writer, v check.Violation) {
	if !a.on {
		return
	}
	props := "file=" + escapeProperty(v.File)
	if v.Line > 0 {
		props += fmt.Sprintf(",line=%d", v.Line)
	}
	fmt.Fprintf(w, "::error %s,title=%s::%s\n", props, escapeProperty(fmt.Sprintf("ferry rule %d", v.Rule)), escapeData(v.Message))
}

func (a annotator) notice(w io.Writer, n check.Note) {
	if a.on {
		fmt.Fprintf(w, "::notice title=ferry::%s\n", escapeData(n.Overlay+": "+n.Message))
	}
}

// summary appends a Markdown table of the violations to the job summary.
func (a annotator) summary(title string, vs []check.Violation) error {
	if !a.on || a.summaryFile == "" {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", markdownCell(title))
	if len(vs) == 0 {
		b.WriteString("All invariants hold.\n\n")
	} else {
		b.WriteString("| Rule | Workload | Location | Violation |\n|---:|---|---|---|\n")
		for _, v := range vs {
			loc := v.File
			if v.Line > 0 {
				loc = fmt.Sprintf("%s:%d", v.File, v.Line)
			}
			fmt.Fprintf(&b, "| %d | %s | `%s` | %s |\n", v.Rule, markdownCell(v.Workload), markdownCell(loc), markdownCell(v.Message))
		}
		b.WriteString("\n")
	}
	f, err := os.OpenFile(a.summaryFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// escapeData and escapeProperty escape workflow command values as the
// GitHub Actions toolkit does (@actions/core command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func markdownCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
