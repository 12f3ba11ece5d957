package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/cobra"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/argocd"
	"github.com/ferry-dev/ferry/bot/flux"
	ghforge "github.com/ferry-dev/ferry/bot/github"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// repoOptions are the flags every command that reads git shares.
type repoOptions struct {
	*env
	dir  string
	base string
}

func (o *repoOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "the deployment repo")
	cmd.Flags().StringVar(&o.base, "base", "", "the base branch (default: the repo's, as HEAD names it)")
}

// defaultBase sets the base branch to the repo's own when no --base names
// one: the branch HEAD names (master in many real repos, not always main).
func (o *repoOptions) defaultBase(repo *gitstore.Store) {
	if o.base == "" {
		o.base = repo.DefaultBranch()
	}
}

// newBot opens the repo at o.dir with the local forge.
func (o *repoOptions) newBot(ro *runOptions, progress io.Writer) (*bot.Bot, error) {
	repo, err := o.openRepo(o.dir)
	if err != nil {
		return nil, err
	}
	o.defaultBase(repo)
	forge := &bot.Local{Repo: repo, Base: o.base, Author: bot.DefaultAuthor, Now: o.now}
	cfg, err := baseConfig(repo, o.base)
	if err != nil {
		return nil, err
	}
	health, err := engineHealth(cfg, repo, o.getenv)
	if err != nil {
		return nil, err
	}
	key, err := checkKey(o.getenv)
	if err != nil {
		return nil, err
	}
	return bot.New(repo, bot.Options{
		Forge: forge, Base: o.base, DryRun: ro.dryRun, Progress: progress,
		Shard: ro.shard, Shards: ro.shards, Health: health, Now: o.now, SealKey: key,
	})
}

// baseConfig is ferry.yaml at the head of base.
func baseConfig(repo *gitstore.Store, base string) (*gitops.Config, error) {
	h, err := repo.Resolve("refs/heads/" + base)
	if err != nil {
		return nil, err
	}
	fsys, err := repo.FS(h)
	if err != nil {
		return nil, err
	}
	return gitops.LoadBoundConfig(fsys)
}

// engineHealth returns the health provider of the GitOps engine that
// ferry.yaml (cfg) names: Argo CD (health kind argocd), from
// ARGOCD_SERVER and ARGOCD_AUTH_TOKEN (the argocd CLI's variables), or
// Flux (health kind flux), through each cluster's kubeconfig; nil for the
// other kinds.
func engineHealth(cfg *gitops.Config, repo *gitstore.Store, getenv func(string) string) (bot.HealthProvider, error) {
	isAncestor := func(ancestor, descendant string) (bool, error) {
		ok, err := repo.IsAncestor(context.Background(), gitstore.ParseHash(ancestor), gitstore.ParseHash(descendant))
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			// The cluster runs a commit newer than ferry's copy: not
			// known to be at the asked one yet; the next pass fetches it.
			return false, nil
		}
		return ok, err
	}
	switch cfg.Health.Kind {
	case gitops.HealthArgoCD:
		server, token := getenv("ARGOCD_SERVER"), getenv("ARGOCD_AUTH_TOKEN")
		if server == "" || token == "" {
			return nil, usageErrorf("%s: health kind argocd needs ARGOCD_SERVER and ARGOCD_AUTH_TOKEN", gitops.ConfigFile)
		}
		if !strings.Contains(server, "://") {
			server = "https://" + server
		}
		return &argocd.Health{Server: server, Token: token, App: cfg.HealthContext, IsAncestor: isAncestor}, nil
	case gitops.HealthFlux:
		return fluxHealth(cfg, getenv, isAncestor), nil
	}
	return nil, nil
}

// fluxHealth reads each cluster's Flux through the kubeconfig that
// health.kubeconfig and health.kubeContext name (see gitops.HealthConfig).
// A cluster's client is made when first asked for.
func fluxHealth(cfg *gitops.Config, getenv func(string) string, isAncestor func(a, d string) (bool, error)) *flux.Health {
	clients := map[string]*flux.Client{}
	return &flux.Health{
		IsAncestor: isAncestor,
		Kustomization: func(workload, cluster string) (string, string) {
			ns, name, ok := strings.Cut(cfg.HealthContext(workload, cluster), "/")
			if !ok {
				return "flux-system", ns
			}
			return ns, name
		},
		Client: func(cluster string) (*flux.Client, error) {
			if c, ok := clients[cluster]; ok {
				return c, nil
			}
			c, err := kubeClient(cfg, getenv, cluster)
			if err != nil {
				return nil, usageErrorf("%s: health kind flux, cluster %s: %v", gitops.ConfigFile, cluster, err)
			}
			clients[cluster] = c
			return c, nil
		},
	}
}

// kubeClient is the API client of cluster that ferry.yaml's health block
// names.
func kubeClient(cfg *gitops.Config, getenv func(string) string, cluster string) (*flux.Client, error) {
	var paths []string
	perCluster := false
	if t := cfg.Health.Kubeconfig; t != "" {
		p := cfg.Expand(t, "", cluster)
		perCluster = p != t
		paths = []string{p}
	} else if env := getenv("KUBECONFIG"); env != "" {
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				paths = append(paths, p)
			}
		}
	} else if home := getenv("HOME"); home != "" {
		paths = []string{filepath.Join(home, ".kube", "config")}
	}
	k, err := flux.LoadKubeconfig(paths...)
	if err != nil {
		return nil, err
	}
	name := cluster
	switch {
	case cfg.Health.KubeContext != "":
		name = cfg.Expand(cfg.Health.KubeContext, "", cluster)
	case k.HasContext(cluster):
	case perCluster:
		name = "" // the file's current context
	default:
		return nil, fmt.Errorf("no kubeconfig context named %q in %s: name one with health.kubeContext, or a file per cluster with health.kubeconfig", cluster, strings.Join(paths, string(filepath.ListSeparator)))
	}
	return k.Client(name)
}

type runOptions struct {
	repoOptions
	repoURL string
	forge   string
	dryRun  bool
	once    bool
	shard   int
	shards  int
	shardS  string
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOptions{repoOptions: repoOptions{env: e}}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Carry out the plan: one pull request per stage, merged when safe",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.forge, "forge", "local", "where pull requests live: local or github")
	cmd.Flags().StringVar(&o.repoURL, "repo", "", "clone this URL instead of reading -C (with --forge github)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what would be done; write nothing")
	cmd.Flags().BoolVar(&o.once, "once", false, "make one pass only")
	cmd.Flags().StringVar(&o.shardS, "shard", "", "I/N: take only the workloads of shard I of N")
	return cmd
}

func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usageErrorf("--shard %q: want I/N with 0 <= I < N", s)
	}
	return i, n, nil
}

func (o *runOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	switch {
	case o.forge == "github":
		if o.repoURL == "" {
			return usageErrorf("--forge github needs --repo URL")
		}
	case o.forge != "local":
		return usageErrorf("--forge %q: want local or github", o.forge)
	case o.repoURL != "":
		return usageErrorf("--repo works with --forge github; --forge local reads the repo at -C")
	}
	var err error
	if o.shard, o.shards, err = parseShard(o.shardS); err != nil {
		return err
	}
	var b *bot.Bot
	if o.forge == "github" {
		b, err = o.githubBot(ctx, stderr)
	} else {
		b, err = o.newBot(o, stderr)
	}
	if err != nil {
		return err
	}
	var follow *bot.Worktree
	if o.forge == "local" && !o.dryRun {
		var dirty *bot.DirtyError
		if follow, err = bot.FollowWorktree(o.dir, o.base); errors.As(err, &dirty) {
			return &usageError{err: err}
		} else if err != nil {
			return err
		}
	}
	rep, err := b.Run(ctx, o.once)
	if cerr := follow.CatchUp(); err == nil && cerr != nil {
		err = fmt.Errorf("the stages landed, but the worktree could not follow: %w", cerr)
	}
	if err != nil {
		return err
	}
	verb := "merged"
	if o.dryRun {
		verb = "would make"
	}
	fmt.Fprintf(stdout, "%d passes, %d stages %s\n", rep.Passes, countDone(rep, o.dryRun), verb)
	if rep.Stopped != "" {
		fmt.Fprintf(stdout, "stopped early: %s; the next run goes on\n", rep.Stopped)
	}
	if rep.Plan != nil {
		if err := rep.Plan.WriteText(stdout); err != nil {
			return err
		}
	}
	return stopped(rep.Plan, rep.Failed())
}

// stopped is the error naming the workloads whose own files stopped them
// (unreadable, or a stage that could not be made), so the command exits 1
// while the others went on; nil when there are none.
func stopped(p *planner.Plan, failed map[string]error) error {
	why := map[string]string{}
	for w, err := range failed {
		why[w] = err.Error()
	}
	if p != nil {
		for _, e := range p.Entries {
			if e.Wait != nil && e.Wait.Kind == planner.GateUnreadable {
				why[e.Workload] = e.Wait.Reason
			}
		}
	}
	if len(why) == 0 {
		return nil
	}
	var lines []string
	for _, w := range slices.Sorted(maps.Keys(why)) {
		lines = append(lines, fmt.Sprintf("  %s: %s", w, why[w]))
	}
	return fmt.Errorf("%d %s stopped by a problem in %s own files; the others went on:\n%s",
		len(why), plural(len(why), "workload", "workloads"), plural(len(why), "its", "their"), strings.Join(lines, "\n"))
}

func countDone(rep *bot.Report, dry bool) int {
	if dry {
		return len(rep.Outcomes)
	}
	return rep.Merged()
}

type planOptions struct {
	repoOptions
	output string
}

func newPlanCmd(e *env) *cobra.Command {
	o := &planOptions{repoOptions: repoOptions{env: e}}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the next action of every workload, or why it waits",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func (o *planOptions) run(ctx context.Context, stdout io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output %q: want text or json", o.output)
	}
	b, err := o.newBot(&runOptions{dryRun: true}, nil)
	if err != nil {
		return err
	}
	s, err := b.Observe(ctx)
	if err != nil {
		return err
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s.Plan); err != nil {
			return err
		}
	} else if err := s.Plan.WriteText(stdout); err != nil {
		return err
	}
	return stopped(s.Plan, nil)
}

// sealKey is the key ferry seals its commits with on GitHub, the same for
// every scheduled run (each clones afresh): FERRY_SEAL_KEY, a secret of the
// repo's, or else one derived from the GitHub App's private key. Without
// either, ferry could not tell its own commits on its branches from
// anyone's, so it does not start.
func sealKey(getenv func(string) string) ([]byte, error) {
	derive := func(s string) []byte {
		h := sha256.Sum256([]byte("ferry seal key\x00" + s))
		return h[:]
	}
	if k := getenv("FERRY_SEAL_KEY"); k != "" {
		return derive(k), nil
	}
	if k := getenv("FERRY_APP_PRIVATE_KEY"); k != "" {
		return derive(k), nil
	}
	if f := getenv("FERRY_APP_PRIVATE_KEY_FILE"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usageErrorf("FERRY_APP_PRIVATE_KEY_FILE: %v", err)
		}
		return derive(string(data)), nil
	}
	return nil, usageErrorf("--forge github needs FERRY_SEAL_KEY (a secret of the repo's) or the GitHub App's private key: ferry seals the commits it writes, so that a commit someone else pushes on a ferry branch is never merged")
}

// checkKey is the key of FERRY_SEAL_KEY (or the App's key) when the
// environment has one, for the local forge and for check and verify
// alike (a pull request check in CI, a fresh clone); else nil: the
// repository's own key, in its git directory.
func checkKey(getenv func(string) string) ([]byte, error) {
	if getenv("FERRY_SEAL_KEY") == "" && getenv("FERRY_APP_PRIVATE_KEY") == "" && getenv("FERRY_APP_PRIVATE_KEY_FILE") == "" {
		return nil, nil
	}
	return sealKey(getenv)
}

// githubBot clones the repo at --repo and returns a bot whose forge is
// GitHub and whose health gate is the commit statuses the clusters post,
// when ferry.yaml asks for github-status.
func (o *runOptions) githubBot(ctx context.Context, progress io.Writer) (*bot.Bot, error) {
	key, err := sealKey(o.getenv)
	if err != nil {
		return nil, err
	}
	gopts, err := ghforge.FromEnv(ctx, o.getenv, o.repoURL)
	if err != nil {
		return nil, usageErrorf("--repo %s: %v", o.repoURL, err)
	}
	repo, err := o.clone(ctx, gopts.GitURL, gitstore.CloneOptions{Auth: gopts.GitAuth()})
	if err != nil {
		return nil, err
	}
	o.defaultBase(repo)
	gopts.Base = o.base
	forge, err := ghforge.New(repo, gopts)
	if err != nil {
		return nil, err
	}
	bo := bot.Options{Forge: forge, Base: o.base, DryRun: o.dryRun, Progress: progress, Shard: o.shard, Shards: o.shards, SealKey: key}
	cfg, err := baseConfig(repo, o.base)
	if err != nil {
		return nil, err
	}
	if cfg.Health.Kind == gitops.HealthGitHubStatus {
		bo.Health = &ghforge.Statuses{Client: forge.Client(), Owner: gopts.Owner, Repo: gopts.Repo, Ref: o.base, Reporters: cfg.Health.Reporters,
			Context: cfg.HealthContext}
	} else if bo.Health, err = engineHealth(cfg, repo, o.getenv); err != nil {
		return nil, err
	}
	return bot.New(repo, bo)
}
