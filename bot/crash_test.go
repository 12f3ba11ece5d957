package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// errKilled stands for the process dying: nothing after it happens.
var errKilled = errors.New("killed")

// crashPoint is where, in the side effects of one stage, the process dies.
type crashPoint int

const (
	// afterCommit: the commit object is written, the branch is not moved.
	afterCommit crashPoint = iota
	// afterPush: the branch points at the commit, no pull request.
	afterPush
	// afterPropose: the pull request is open, not merged.
	afterPropose
	// afterMerge: the pull request is merged (or set to auto-merge), the
	// bot never learns it.
	afterMerge
)

func (p crashPoint) String() string {
	return [...]string{"after-commit", "after-push", "after-pr", "after-merge"}[p]
}

// killingForge delegates to a Local forge and dies at point of its nth
// stage (1-based, counted by calls of the method the point is in).
type killingForge struct {
	*bot.Local
	point crashPoint
	n     int
	calls int
	dead  bool
}

func (f *killingForge) hit(p crashPoint) bool {
	if f.point != p {
		return false
	}
	f.calls++
	if f.calls == f.n {
		f.dead = true
	}
	return f.dead
}

func (f *killingForge) Publish(ctx context.Context, branch string, old, commit plumbing.Hash) error {
	if f.dead {
		return errKilled
	}
	if f.point == afterCommit && f.hit(afterCommit) {
		return errKilled
	}
	if err := f.Local.Publish(ctx, branch, old, commit); err != nil {
		return err
	}
	if f.point == afterPush && f.hit(afterPush) {
		return errKilled
	}
	return nil
}

func (f *killingForge) Propose(ctx context.Context, p bot.Proposal) (*bot.PullRequest, error) {
	if f.dead {
		return nil, errKilled
	}
	pr, err := f.Local.Propose(ctx, p)
	if err != nil {
		return nil, err
	}
	if f.hit(afterPropose) {
		return nil, errKilled
	}
	return pr, nil
}

func (f *killingForge) Merge(ctx context.Context, pr *bot.PullRequest, head plumbing.Hash, msg bot.Message) (bool, error) {
	if f.dead {
		return false, errKilled
	}
	merged, err := f.Local.Merge(ctx, pr, head, msg)
	if err != nil {
		return merged, err
	}
	if f.hit(afterMerge) {
		return false, errKilled
	}
	return merged, nil
}

// runs is how many scheduled runs a migration may take before a test gives up.
const runs = 200

// migration is the outcome of running ferry on a repo to the end.
type migration struct {
	head   plumbing.Hash
	tree   plumbing.Hash
	events []string // workload/stage, oldest first
	// byRun is the stages that landed in each scheduled run (by the time
	// of their commit on main), sorted: a pass's order within a run
	// depends on what the run found, so only the sets are compared.
	byRun [][]string
	runs  int
}

// newLocal returns a bot with its own Local forge on repo.
func newLocal(t testing.TB, repo *gitstore.Store, clk *clock) (*bot.Bot, *bot.Local) {
	t.Helper()
	forge := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return b, forge
}

// toTheEnd runs b on the schedule (the clock 31 minutes on between runs,
// approve after each) until the migration is finished; it calls after with
// main's head after each run.
func toTheEnd(t *testing.T, repo *gitstore.Store, clk *clock, b *bot.Bot, forge *bot.Local, after func(plumbing.Hash)) int {
	t.Helper()
	for i := 1; i <= runs; i++ {
		rep, err := b.Run(t.Context(), false)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		approve(t, repo, forge)
		if after != nil {
			after(mainHead(t, repo))
		}
		if rep.Plan.Finished() {
			return i
		}
		clk.t = clk.t.Add(31 * time.Minute)
	}
	t.Fatalf("the migration did not finish in %d runs", runs)
	return 0
}

func mainHead(t testing.TB, repo *gitstore.Store) plumbing.Hash {
	t.Helper()
	h, err := repo.Resolve(plumbing.NewBranchReferenceName("main").String())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// result reads what a finished migration left on main.
func result(t testing.TB, repo *gitstore.Store, runs int) migration {
	t.Helper()
	head := mainHead(t, repo)
	c, err := repo.CommitObject(head)
	if err != nil {
		t.Fatal(err)
	}
	key, err := repo.SealKey()
	if err != nil {
		t.Fatal(err)
	}
	events, err := bot.Events(context.Background(), repo, head, key)
	if err != nil {
		t.Fatal(err)
	}
	m := migration{head: head, tree: c.TreeHash, runs: runs}
	var last time.Time
	for i, e := range events {
		s := e.Workload + "/" + e.Stage.String()
		m.events = append(m.events, s)
		if i == 0 || !e.Time.Equal(last) {
			m.byRun = append(m.byRun, nil)
			last = e.Time
		}
		m.byRun[len(m.byRun)-1] = append(m.byRun[len(m.byRun)-1], s)
	}
	for _, r := range m.byRun {
		slices.Sort(r)
	}
	return m
}

// references are the uninterrupted migrations of the crash repos, made
// once for the tests that compare with them.
var references sync.Map // crashRepo.name -> migration

// referenceOf is the uninterrupted migration of r, made once.
func referenceOf(t *testing.T, r crashRepo, fsys fs.FS) migration {
	t.Helper()
	if m, ok := references.Load(r.name); ok {
		return m.(migration)
	}
	m := reference(t, fsys)
	references.Store(r.name, m)
	return m
}

// reference runs an uninterrupted migration on a fresh repo of fsys.
func reference(t *testing.T, fsys fs.FS) migration {
	t.Helper()
	repo, _ := newRepo(t, fsys)
	clk := &clock{t: epoch}
	b, forge := newLocal(t, repo, clk)
	n := toTheEnd(t, repo, clk, b, forge, nil)
	m := result(t, repo, n)
	if len(m.events) == 0 {
		t.Fatal("the reference migration made no stage")
	}
	return m
}

// checkMigration compares a migration with the reference: same tree, same
// stages in the same order, each stage once per workload, no ferry/
// branch left.
func checkMigration(t *testing.T, repo *gitstore.Store, got, want migration, ordered bool) {
	t.Helper()
	if got.tree != want.tree {
		t.Errorf("main's final tree = %s, want %s as in the uninterrupted run", got.tree, want.tree)
	}
	if ordered {
		if diff := cmp.Diff(want.byRun, got.byRun); diff != "" {
			t.Errorf("stages on main per scheduled run mismatch (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff(perWorkload(want.events), perWorkload(got.events)); diff != "" {
		t.Errorf("stages per workload mismatch (-want +got):\n%s", diff)
	}
	seen := map[string]int{}
	for _, e := range got.events {
		seen[e]++
	}
	for e, n := range seen {
		if n != 1 {
			t.Errorf("stage %s landed %d times, want once", e, n)
		}
	}
	branches, err := repo.Branches("ferry/")
	if err != nil {
		t.Fatal(err)
	}
	if len(branches) > 0 {
		t.Errorf("ferry/ branches left over: %v", branches)
	}
}

// perWorkload splits workload/stage events into each workload's stages.
func perWorkload(events []string) map[string][]string {
	out := map[string][]string{}
	for _, e := range events {
		w, st, _ := strings.Cut(e, "/")
		out[w] = append(out[w], st)
	}
	return out
}

// reachable reports whether commit is in the history of from.
func reachable(t testing.TB, repo *gitstore.Store, from, commit plumbing.Hash) bool {
	t.Helper()
	found := false
	err := repo.Log(context.Background(), from, func(c *object.Commit) error {
		if c.Hash == commit {
			found = true
			return gitstore.ErrStop
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

type crashRepo struct {
	name string
	fsys func() (fs.FS, error)
}

var crashRepos = []crashRepo{
	{fixtures.AppSetHTTPRoute, func() (fs.FS, error) { return fixtures.Repo(fixtures.AppSetHTTPRoute) }},
	{"generated-6", func() (fs.FS, error) { return fixtures.Generate(fixtures.GenerateOptions{Workloads: 6}) }},
}

// TestCrashAndResume kills the bot at each side effect of its nth stage and
// runs a fresh bot on the same repo until the migration ends: the result is
// the uninterrupted run's, with nothing lost, doubled or left over.
func TestCrashAndResume(t *testing.T) {
	t.Parallel()
	for _, r := range crashRepos {
		t.Run(r.name, func(t *testing.T) {
			fsys, err := r.fsys()
			if err != nil {
				t.Fatal(err)
			}
			want := referenceOf(t, r, fsys)
			t.Logf("reference: %d stages in %d runs", len(want.events), want.runs)
			for i, point := range []crashPoint{afterCommit, afterPush, afterPropose, afterMerge} {
				// Restart at once (the schedule's retry) or at the next
				// scheduled run; at the first, a middle or the last
				// stage. The fixture dies at each point of its first
				// stage; the generated repo at each point of a middle
				// or the last stage, in turn.
				all := []struct {
					n       int
					restart time.Duration
				}{{1, 0}, {len(want.events)/2 + 1, 0}, {len(want.events), 31 * time.Minute}}
				cases := all[:1]
				if r.name != fixtures.AppSetHTTPRoute {
					cases = all[1+i%2 : 2+i%2]
				}
				for _, c := range cases {
					t.Run(fmt.Sprintf("%s/stage-%d/restart-%s", point, c.n, planner.FormatDuration(c.restart, time.Minute)), func(t *testing.T) {
						t.Parallel()
						crashAndResume(t, fsys, point, c.n, c.restart, want)
					})
				}
			}
		})
	}
}

// crashAndResume runs the migration with a forge that kills the bot at
// point of its nth stage, then, restart later, resumes it with a new bot.
func crashAndResume(t *testing.T, fsys fs.FS, point crashPoint, n int, restart time.Duration, want migration) {
	repo, dir := newRepo(t, fsys)
	clk := &clock{t: epoch}
	var heads []plumbing.Hash // main after each run: what was merged so far
	local := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	killer := &killingForge{Local: local, point: point, n: n}
	b, err := bot.New(repo, bot.Options{Forge: killer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	killedAt := 0
	for i := 1; i <= runs && killedAt == 0; i++ {
		rep, err := b.Run(t.Context(), false)
		switch {
		case errors.Is(err, errKilled):
			killedAt = i
		case err != nil:
			t.Fatalf("run %d: %v", i, err)
		case rep.Plan.Finished():
			t.Fatalf("the migration finished before stage %d", n)
		default:
			approve(t, repo, local)
		}
		heads = append(heads, mainHead(t, repo))
		if killedAt == 0 {
			clk.t = clk.t.Add(31 * time.Minute)
		}
	}
	if killedAt == 0 {
		t.Fatalf("the bot was never killed")
	}
	// What the dead process left: a branch (the pull request) only when
	// it died between pushing and merging.
	branches, err := repo.Branches("ferry/")
	if err != nil {
		t.Fatal(err)
	}
	if wantOpen := point == afterPush || point == afterPropose; (len(branches) == 1) != wantOpen || len(branches) > 1 {
		t.Fatalf("killed %s: ferry/ branches %v, want an open one: %v", point, branches, wantOpen)
	}
	clk.t = clk.t.Add(restart)

	// A new process: a new bot and forge over the same repo on disk.
	repo, err = gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b2, forge := newLocal(t, repo, clk)
	m := toTheEnd(t, repo, clk, b2, forge, func(h plumbing.Hash) { heads = append(heads, h) })
	got := result(t, repo, killedAt+m)
	checkMigration(t, repo, got, want, restart == 0)
	if restart == 0 {
		got.runs-- // the killed run and its restart make one scheduled run
	}
	if restart == 0 && got.runs != want.runs {
		t.Errorf("the migration took %d runs, want %d as uninterrupted", got.runs, want.runs)
	}
	for i, h := range heads {
		if !reachable(t, repo, got.head, h) {
			t.Errorf("main after run %d (%s) is no longer in main's history: a merged commit is lost", i+1, h)
		}
	}
}
