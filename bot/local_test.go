package bot_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// newRepo makes a bare repository in a temporary folder whose main branch
// holds one commit of fsys.
func newRepo(t *testing.T, fsys fs.FS) (*gitstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	sig := object.Signature{Name: "Platform Team", Email: "platform@music.example.com", When: epoch}
	repo, _, err := fixtures.GitRepo(t.Context(), dir, true, fsys, gitstore.CommitMeta{Author: sig, Message: "Deployment repo\n"})
	if err != nil {
		t.Fatal(err)
	}
	return repo, dir
}

// clock is a virtual clock the test moves.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestLocalMigrationToTheEnd(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			fsys, err := fixtures.Repo(name)
			if err != nil {
				t.Fatal(err)
			}
			repo, _ := newRepo(t, fsys)
			clk := &clock{t: epoch}
			forge := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
			b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now, Progress: tw{t}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var last *planner.Plan
			for i := 0; i < 200; i++ {
				rep, err := b.Run(ctx, false)
				if err != nil {
					t.Fatalf("pass %d: %v", i, err)
				}
				last = rep.Plan
				approve(t, repo, forge)
				if last.Finished() {
					break
				}
				clk.t = clk.t.Add(31 * time.Minute)
			}
			var sb strings.Builder
			last.WriteText(&sb)
			if !last.Finished() {
				t.Fatalf("migration did not finish:\n%s", sb.String())
			}
			t.Logf("final plan:\n%s", sb.String())
		})
	}
}

// tw writes progress lines to the test log.
type tw struct{ t *testing.T }

func (w tw) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// approve merges every open pull request as a reviewer would, for repos
// whose config turns auto-merge off.
func approve(t *testing.T, repo *gitstore.Store, forge *bot.Local) {
	t.Helper()
	prs, err := forge.PullRequests(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range prs {
		c, err := repo.CommitObject(pr.Head)
		if err != nil {
			t.Fatal(err)
		}
		_, err = forge.Merge(t.Context(), &pr, pr.Head, bot.Message{Subject: strings.TrimSuffix(c.Message, "\n")})
		if err != nil && !errors.Is(err, gitstore.ErrRefMoved) { // behind: ferry regenerates it
			t.Fatalf("approve %s: %v", pr.Branch, err)
		}
	}
}

// With pullRequests.group: wave (the Istio sample repo), the workloads of
// one wave share each stage's commit, with a Ferry-Workload trailer each.
func TestWaveSharesOneCommitPerStage(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo("application-istio")
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	clk := &clock{t: epoch}
	forge := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if _, err := b.Run(t.Context(), false); err != nil {
			t.Fatal(err)
		}
		approve(t, repo, forge)
		clk.t = clk.t.Add(31 * time.Minute)
	}
	head, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	key, err := repo.SealKey()
	if err != nil {
		t.Fatal(err)
	}
	events, err := bot.Events(t.Context(), repo, head, key)
	if err != nil {
		t.Fatal(err)
	}
	byCommit := map[string][]string{}
	for _, e := range events {
		if e.Stage.Kind == planner.Pin {
			byCommit[e.Commit] = append(byCommit[e.Commit], e.Workload)
		}
	}
	var got [][]string
	for _, ws := range byCommit {
		got = append(got, ws)
	}
	want := [][]string{{"notification-worker", "podcast-api"}, {"user-profile"}}
	slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pin commits by workload mismatch (-want +got):\n%s", diff)
	}
}

// The planner's history starts where the Migrations there now appeared:
// ferry's trailers on a commit from before (here forged, marking a
// rollback) are not part of it, and the walk stops there however long the
// history before it is.
func TestEventsSinceTheMigration(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	const mig = "migrations/eu-1-to-eu-2.yaml"
	data, err := fs.ReadFile(fsys, mig)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, gitops.Overlay(fsys, []gitops.Change{{Path: "migrations", Delete: true}}))
	head := mainHead(t, repo)
	sig := object.Signature{Name: "Someone", Email: "someone@example.com", When: epoch}
	forged, err := repo.Commit(t.Context(), head, []gitops.Change{{Path: "notes.md", Data: []byte("notes\n")}}, gitstore.CommitMeta{Author: sig,
		Message: "notes\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: playlist-api\nFerry-Stage: rollback\n"})
	if err != nil {
		t.Fatal(err)
	}
	added, err := repo.Commit(t.Context(), forged, []gitops.Change{{Path: mig, Data: data}}, gitstore.CommitMeta{Author: sig, Message: "Add the migration\n"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := repo.SealKey()
	if err != nil {
		t.Fatal(err)
	}
	all, err := bot.Events(t.Context(), repo, added, key)
	if err != nil || len(all) != 0 {
		t.Fatalf("Events over the whole history = %v, %v; want none: the trailers are not sealed", all, err)
	}
	since, err := bot.EventsSince(t.Context(), repo, added, []string{mig}, key)
	if err != nil || len(since) != 0 {
		t.Errorf("EventsSince the Migration appeared = %v, %v; want none", since, err)
	}
}

// mergedLater is the local forge on which every commit of the base
// branch was merged two hours after it was made, as a pull request that
// waited for a review: its merged pull requests say so.
type mergedLater struct{ *bot.Local }

func (f mergedLater) PullRequests(ctx context.Context, before bot.Before) ([]bot.PullRequest, error) {
	out, err := f.Local.PullRequests(ctx, before)
	if err != nil {
		return nil, err
	}
	head, err := f.Repo.Resolve("refs/heads/main")
	if err != nil {
		return nil, err
	}
	err = f.Repo.Log(ctx, head, func(c *object.Commit) error {
		out = append(out, bot.PullRequest{Number: len(out) + 100, Branch: "reviewed/" + c.Hash.String(), Head: c.Hash, State: planner.PRMerged,
			MergeCommit: c.Hash, MergedAt: c.Committer.When.Add(2 * time.Hour)})
		return nil
	})
	return out, err
}

// A stage's soak counts from when the forge merged it, not from the
// commit's committer date: 31 minutes after the commit, a stage merged
// two hours after it was made has not soaked 30 minutes.
func TestSoakCountsFromTheMerge(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, later bool) (string, int) {
		fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
		if err != nil {
			t.Fatal(err)
		}
		repo, _ := newRepo(t, fsys)
		clk := &clock{t: epoch}
		local := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
		var forge bot.Forge = local
		if later {
			forge = mergedLater{local}
		}
		b, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for range 2 {
			rep, err := b.Run(t.Context(), false)
			if err != nil {
				t.Fatal(err)
			}
			approve(t, repo, local)
			plan.Reset()
			rep.Plan.WriteText(&plan)
			clk.t = clk.t.Add(31 * time.Minute)
		}
		head, err := repo.Resolve("main")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		repo.Log(t.Context(), head, func(*object.Commit) error { n++; return nil })
		return plan.String(), n
	}
	plain, plainCommits := run(t, false)
	later, laterCommits := run(t, true)
	if !strings.Contains(later, "soak 0m of 30m") {
		t.Errorf("merged two hours after its commit, the stage is not held by its soak:\n%s", later)
	}
	if laterCommits >= plainCommits {
		t.Errorf("%d commits when merged late, %d when merged at once: the soak did not hold the later stages\n%s\n%s", laterCommits, plainCommits, later, plain)
	}
}

// A person's edit of a pinned workload (here its weights, shifted by hand)
// stops that workload, naming the file: the planner does not take it for
// a stage. Reverting the edit lets the migration go on.
func TestHandEditOfAPinnedWorkloadStopsIt(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	clk := &clock{t: epoch}
	b, _ := newLocal(t, repo, clk)
	plan := func() *planner.Entry {
		t.Helper()
		s, err := b.Observe(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range s.Plan.Entries {
			if e.Workload == "playlist-api" {
				return &s.Plan.Entries[i]
			}
		}
		t.Fatal("no plan for playlist-api")
		return nil
	}
	if _, err := b.Run(t.Context(), false); err != nil { // pin and deploy
		t.Fatal(err)
	}
	if e := plan(); e.Phase != planner.Deployed {
		t.Fatalf("playlist-api is %s after the first run, want deployed", e.Phase)
	}
	const route = "traffic/playlist-api.yaml"
	head, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := repo.FS(head)
	if err != nil {
		t.Fatal(err)
	}
	before, err := fs.ReadFile(tree, route)
	if err != nil {
		t.Fatal(err)
	}
	person := gitstore.CommitMeta{Author: object.Signature{Name: "Dev", Email: "dev@music.example.com", When: epoch}, Message: "Shift by hand\n"}
	edited, err := repo.Commit(t.Context(), head, []gitstore.Change{{Path: route, Data: []byte(strings.Replace(string(before), "weight: 70", "weight: 20", 1))}}, person)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef("refs/heads/main", head, edited); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour)
	if e := plan(); e.Wait == nil || e.Wait.Kind != planner.GateUnreadable || !strings.Contains(e.Wait.Reason, route) || e.Next != nil {
		t.Fatalf("after a hand edit of its route, playlist-api plans %+v, want it stopped naming %s", e, route)
	}
	person.Message = "Revert the shift\n"
	reverted, err := repo.Commit(t.Context(), edited, []gitstore.Change{{Path: route, Data: before}}, person)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRef("refs/heads/main", edited, reverted); err != nil {
		t.Fatal(err)
	}
	if e := plan(); e.Next == nil || e.Next.Stage.Kind != planner.Shift {
		t.Fatalf("after the revert, playlist-api plans %+v, want its next shift", e)
	}
}
