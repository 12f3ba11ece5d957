package github_test

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	gh "github.com/google/go-github/v62/github"

	"github.com/ferry-dev/ferry/bot"

	"github.com/go-git/go-git/v5/plumbing"

	ferrygh "github.com/ferry-dev/ferry/bot/github"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

var epoch = time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)

// TestMigrationToTheEnd runs the bot on the fake as a scheduled job would:
// a fresh clone each run, then every cluster's Argo CD reports the base's
// head healthy, and half an hour passes.
func TestMigrationToTheEnd(t *testing.T) {
	e := setup(t, fake.Options{})
	last := e.toTheEnd(t, 60, nil)
	var sb strings.Builder
	last.WriteText(&sb)
	t.Logf("final plan:\n%s", sb.String())

	// Every merged pull request landed one commit on main with the
	// trailers of its branch.
	landed := map[string]string{} // merge commit -> branch
	merged := 0
	for _, p := range e.srv.PRs() {
		if p.Merged {
			merged++
			landed[p.MergeCommitSHA] = p.HeadRef
		}
	}
	if merged == 0 {
		t.Fatal("no pull request was merged")
	}
	for sha, branch := range landed {
		msg := gitCLI(t, e.srv.BarePath(), "log", "-1", "--format=%B", sha)
		tr := gitstore.ParseTrailers(msg)
		parts := strings.Split(branch, "/") // ferry/<migration>/<workload>/<stage>
		want := map[string]string{convention.TrailerMigration: parts[1], convention.TrailerWorkload: parts[2], convention.TrailerStage: parts[3]}
		got := map[string]string{}
		for k := range want {
			got[k], _ = tr.Get(k)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("trailers of %s (merge of %s) mismatch (-want +got):\n%s", sha[:7], branch, diff)
		}
		if ok := gitCLI(t, e.srv.BarePath(), "merge-base", "--is-ancestor", sha, "main"); ok != "" {
			t.Errorf("%s is not on main: %s", sha, ok)
		}
	}
	first := strings.Fields(gitCLI(t, e.srv.BarePath(), "log", "--first-parent", "--format=%H", "main"))
	for sha := range landed {
		if !contains(first, sha) {
			t.Errorf("merge commit %s is not on main's first-parent history", sha[:7])
		}
	}

	// One pull request per branch, opened once.
	perBranch := map[string]int{}
	for _, p := range e.srv.PRs() {
		perBranch[p.HeadRef]++
		if p.State == "open" {
			t.Errorf("pull request #%d (%s) is still open", p.Number, p.HeadRef)
		}
	}
	for b, n := range perBranch {
		if n > 1 {
			t.Errorf("%d pull requests for %s, want 1", n, b)
		}
	}
	creates := 0
	for _, r := range e.srv.Requests() {
		if r == "POST /api/v3/repos/"+e.srv.Owner()+"/"+e.srv.Repo()+"/pulls" {
			creates++
		}
	}
	if creates != len(perBranch) {
		t.Errorf("%d POST /pulls for %d branches", creates, len(perBranch))
	}
	if u := e.srv.Unknown(); len(u) > 0 {
		t.Errorf("requests to endpoints the fake does not know: %v", u)
	}
	// Every request and response was judged against GitHub's published API
	// description (the fake fails the test on what it refuses).
	ops, docs := e.srv.Judged()
	if len(ops) == 0 {
		t.Error("no REST operation judged")
	}
	t.Logf("GitHub's API description judged %d REST operations and %d GraphQL documents:\n\t%s", len(ops), docs, strings.Join(ops, "\n\t"))
	// ferry verify on the history GitHub made: every commit keeps the
	// invariants.
	e.verifyMain(t)
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// reportHealthy posts a success status for every workload on every
// cluster on the head of main, as each cluster's Argo CD would.
func reportHealthy(t *testing.T, srv *fake.Server, repo *gitstore.Store) {
	t.Helper()
	head := strings.TrimSpace(gitCLI(t, srv.BarePath(), "rev-parse", "main"))
	fsys, err := repo.FS(plumbing.NewHash(head))
	if err != nil {
		// The clone predates the last merges: read the bare repo's main.
		fresh := clone(t, srv)
		if fsys, err = fresh.FS(plumbing.NewHash(head)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range r.Workloads {
		for _, c := range r.Inventory.Names() {
			srv.PostStatus(head, "argocd/"+w.Name+"-"+c, "success")
		}
	}
}

func gitCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil && args[0] != "merge-base" {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(out)
}

// TestForeignCommitIsNeverMerged: someone pushes on a ferry branch after
// ferry opened its pull request; ferry leaves the pull request alone.
func TestForeignCommitIsNeverMerged(t *testing.T) {
	// A required context keeps ferry's first pull request open.
	e := setup(t, fake.Options{RequiredContexts: []string{"ci"}})
	clk := &clock{t: epoch}
	run := func() *bot.Report {
		t.Helper()
		rep, _ := e.run(t, clk)
		return rep
	}
	reportHealthy(t, e.srv, e.repo)
	run()
	prs := e.srv.PRs()
	if len(prs) == 0 {
		t.Fatal("ferry opened no pull request")
	}
	p := prs[0]
	if p.Merged || p.AutoMerge == nil {
		t.Fatalf("pull request #%d: merged %v, auto-merge %v; want auto-merge waiting on ci", p.Number, p.Merged, p.AutoMerge)
	}
	if p.AutoMerge.ExpectedHeadOID != p.HeadSHA {
		t.Errorf("auto-merge expects %s, want the head %s", p.AutoMerge.ExpectedHeadOID, p.HeadSHA)
	}
	// Someone pushes their own commit on top, with auto-merge still on:
	// the next run turns it off before the checks pass, and says why.
	foreign := e.srv.CommitAs(p.HeadRef, map[string]string{"NOTES.md": "mine\n"}, "a human's change\n")
	run()
	if got := e.srv.PR(p.Number); got.AutoMerge != nil || len(got.Comments) == 0 || !strings.Contains(got.Comments[len(got.Comments)-1], "not a commit ferry wrote") {
		t.Fatalf("after a foreign push: auto-merge %+v, comments %q; want auto-merge off and a comment saying why", got.AutoMerge, got.Comments)
	}
	for i := 0; i < 3; i++ {
		clk.Add(31 * time.Minute)
		e.srv.PostStatus(foreign, "ci", "success")
		rep := run()
		for _, o := range rep.Outcomes {
			if o.Branch == p.HeadRef && o.Merged {
				t.Fatalf("run %d merged %s", i, p.HeadRef)
			}
		}
	}
	got := e.srv.PR(p.Number)
	if got.Merged || got.HeadSHA != foreign || got.AutoMerge != nil {
		t.Errorf("pull request #%d: merged %v, head %s, auto-merge %+v; want open at the foreign %s, no auto-merge",
			p.Number, got.Merged, got.HeadSHA, got.AutoMerge, foreign)
	}
	if n := len(got.Comments); n != 1 {
		t.Errorf("pull request #%d has %d comments after 4 runs, want ferry's one explanation: %q", p.Number, n, got.Comments)
	}
}

// TestClosedPullRequestPauses: a person closes ferry's pull request. ferry
// does not open it again; it says once, on the pull request, how to
// resume; reopening it resumes.
func TestClosedPullRequestPauses(t *testing.T) {
	e := setup(t, fake.Options{RequiredContexts: []string{"ci"}})
	clk := &clock{t: epoch}
	run := func() {
		t.Helper()
		repo := clone(t, e.srv)
		forge := newForge(t, e.srv, repo, e.sleeps)
		b, err := bot.New(repo, bot.Options{Forge: forge, Health: statuses(e.srv, forge), Now: clk.Now, Progress: tw{t}, SealKey: sealKey})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Run(t.Context(), false); err != nil {
			t.Fatal(err)
		}
	}
	reportHealthy(t, e.srv, e.repo)
	run()
	prs := e.srv.PRs()
	if len(prs) == 0 {
		t.Fatal("ferry opened no pull request")
	}
	p := prs[0]
	client := e.srv.Client()
	if _, _, err := client.PullRequests.Edit(t.Context(), "music", "deployments", p.Number, &gh.PullRequest{State: gh.String("closed")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clk.Add(31 * time.Minute)
		run()
	}
	got := e.srv.PR(p.Number)
	if got.State != "closed" || len(got.Comments) != 1 || !strings.Contains(got.Comments[0], "reopen this pull request") {
		t.Fatalf("closed pull request #%d: state %s, comments %q; want it closed with one comment saying how to resume", p.Number, got.State, got.Comments)
	}
	for _, q := range e.srv.PRs() {
		if q.HeadRef == p.HeadRef && q.Number != p.Number {
			t.Fatalf("ferry opened #%d for %s again", q.Number, q.HeadRef)
		}
	}
	if _, _, err := client.PullRequests.Edit(t.Context(), "music", "deployments", p.Number, &gh.PullRequest{State: gh.String("open")}); err != nil {
		t.Fatal(err)
	}
	run()
	if got := e.srv.PR(p.Number); got.State != "open" || got.AutoMerge == nil {
		t.Errorf("reopened pull request #%d: state %s, auto-merge %+v; want ferry to take it up again with auto-merge", p.Number, got.State, got.AutoMerge)
	}
}

func TestMergeRefusesAnotherHead(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	const branch = "ferry/m/w/pin"
	c := e.publishPin(t, branch)
	pr, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "t", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	other := plumbing.NewHash(e.srv.CommitAs(branch, map[string]string{"x": "y"}, "foreign\n"))
	merged, err := e.forge.Merge(ctx, pr, c, bot.Message{Subject: "s"})
	var hm *ferrygh.HeadMovedError
	if merged || !errors.As(err, &hm) || !errors.Is(err, gitstore.ErrRefMoved) {
		t.Fatalf("Merge = %v, %v; want a *HeadMovedError wrapping ErrRefMoved", merged, err)
	}
	if hm.Head != other {
		t.Errorf("HeadMovedError.Head = %s, want %s", hm.Head, other)
	}
	if e.srv.PR(pr.Number).Merged {
		t.Error("the pull request was merged")
	}
}

// commit writes a commit on parent in repo, as ferry.
func commit(t *testing.T, repo *gitstore.Store, parent plumbing.Hash, msg string) plumbing.Hash {
	t.Helper()
	c, err := repo.Commit(t.Context(), parent, []gitstore.Change{{Path: "ferry-test/" + strings.TrimSpace(msg), Data: []byte(msg)}},
		gitstore.CommitMeta{Author: bot.DefaultAuthor, Message: msg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAutoMerge: a pull request waiting on a required check gets
// auto-merge for exactly ferry's head, with ferry's message, and lands
// when the check passes.
func TestAutoMerge(t *testing.T) {
	e := setup(t, fake.Options{RequiredContexts: []string{"ci"}})
	ctx := t.Context()
	const branch = "ferry/m/w/pin"
	c := e.publishPin(t, branch)
	pr, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "t", Body: "b", Method: "merge"})
	if err != nil {
		t.Fatal(err)
	}
	msg := bot.Message{Subject: "ferry(m): w: pin", Body: "Ferry-Migration: m\nFerry-Workload: w\nFerry-Stage: pin"}
	merged, err := e.forge.Merge(ctx, pr, c, msg)
	if err != nil || merged {
		t.Fatalf("Merge = %v, %v; want auto-merge enabled, not merged", merged, err)
	}
	want := &fake.AutoMerge{Method: "merge", ExpectedHeadOID: c.String(), CommitHeadline: msg.Subject, CommitBody: msg.Body}
	if diff := cmp.Diff(want, e.srv.PR(pr.Number).AutoMerge, cmpopts.IgnoreFields(fake.AutoMerge{}, "EnabledAt")); diff != "" {
		t.Errorf("auto-merge mismatch (-want +got):\n%s", diff)
	}
	// A run while the check is still pending writes nothing: auto-merge
	// is on as ferry would have it.
	writes, _ := e.srv.Writes()
	if merged, err := e.forge.Merge(ctx, pr, c, msg); err != nil || merged {
		t.Fatalf("Merge again = %v, %v; want waiting", merged, err)
	}
	if again, _ := e.srv.Writes(); again != writes {
		t.Errorf("the second Merge while the check is pending made %d writes, want none", again-writes)
	}
	e.srv.PostStatus(c.String(), "ci", "success")
	got := e.srv.PR(pr.Number)
	if !got.Merged {
		t.Fatal("not merged after ci passed")
	}
	if m := gitCLI(t, e.srv.BarePath(), "log", "-1", "--format=%B", got.MergeCommitSHA); !strings.Contains(m, msg.Body) {
		t.Errorf("merge commit message %q lacks the trailers", m)
	}
	// The next run finds it merged and moves the local base.
	merged, err = e.forge.Merge(ctx, pr, c, msg)
	if err != nil || !merged {
		t.Fatalf("Merge of the merged pull request = %v, %v; want merged", merged, err)
	}
	if at, err := e.repo.Resolve("refs/heads/main"); err != nil || at.String() != got.MergeCommitSHA {
		t.Errorf("local main = %s, %v; want the merge %s", at, err, got.MergeCommitSHA)
	}
	prs, err := e.forge.PullRequests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantPRs := []bot.PullRequest{{Number: pr.Number, Branch: branch, Head: c, State: planner.PRMerged,
		MergeCommit: plumbing.NewHash(got.MergeCommitSHA), MergedAt: got.MergedAt}}
	if diff := cmp.Diff(wantPRs, prs); diff != "" {
		t.Errorf("PullRequests mismatch (-want +got):\n%s", diff)
	}
}

// A fork's pull request is never ferry's, whatever its branch is called:
// one open and one closed on playlist-api's pin branch neither pause the
// workload nor get merged, and ferry opens its own.
func TestForkPullRequestIsNotFerrys(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	const branch = "ferry/eu-1-to-eu-2/playlist-api/pin"
	head := e.srv.CommitAs("main", map[string]string{"fork": "x"}, "a fork's commit\n")
	open := e.srv.OpenForkPR("mallory", "mallory", branch, head, "ferry(eu-1-to-eu-2): playlist-api: pin")
	closed := e.srv.OpenForkPR("mallory", "mallory", branch, head, "ferry(eu-1-to-eu-2): playlist-api: pin")
	if err := e.srv.ClosePR(closed); err != nil {
		t.Fatal(err)
	}
	prs, err := e.forge.PullRequests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range prs {
		if pr.Number == open || pr.Number == closed {
			t.Errorf("PullRequests lists the fork's #%d (%s) as ferry's", pr.Number, pr.Branch)
		}
	}
	repo := clone(t, e.srv)
	forge := newForge(t, e.srv, repo, e.sleeps)
	b, err := bot.New(repo, bot.Options{Forge: forge, Progress: tw{t}, SealKey: sealKey})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	pinned := false
	for _, o := range rep.Outcomes {
		if o.Action.Workload == "playlist-api" && o.Action.Stage.Kind == planner.Pin && o.Merged && o.PR != open && o.PR != closed {
			pinned = true
		}
	}
	if !pinned {
		var sb strings.Builder
		rep.Plan.WriteText(&sb)
		t.Errorf("playlist-api was not pinned through a pull request of ferry's own:\n%s", sb.String())
	}
	if e.srv.PR(open).Merged {
		t.Error("the fork's pull request was merged")
	}
}

// sealKey is the key every run of a test seals with, as FERRY_SEAL_KEY is
// for every scheduled run: each run clones the repo afresh.
var sealKey = []byte("bot/github tests: one seal key for every run")

// TestForgedAuthorIsNeverMerged: someone replaces ferry's commit on its
// branch with one of their own that copies everything anyone can copy:
// ferry's author name and email, the subject, the trailers, even the seal
// line. The seal does not match the new tree, so ferry turns auto-merge
// off and never merges it.
func TestForgedAuthorIsNeverMerged(t *testing.T) {
	e := setup(t, fake.Options{RequiredContexts: []string{"ci"}})
	clk := &clock{t: epoch}
	run := func() *bot.Report {
		t.Helper()
		rep, _ := e.run(t, clk)
		return rep
	}
	reportHealthy(t, e.srv, e.repo)
	run()
	prs := e.srv.PRs()
	if len(prs) == 0 {
		t.Fatal("ferry opened no pull request")
	}
	p := prs[0]
	forged := e.srv.ReplaceAs(p.HeadRef, map[string]string{"NOTES.md": "not ferry's\n"}, bot.DefaultAuthor)
	run()
	if got := e.srv.PR(p.Number); got.AutoMerge != nil || len(got.Comments) == 0 {
		t.Fatalf("after a forged push: auto-merge %+v, comments %q; want auto-merge off and a comment", got.AutoMerge, got.Comments)
	}
	clk.Add(31 * time.Minute)
	e.srv.PostStatus(forged, "ci", "success")
	for _, o := range run().Outcomes {
		if o.Branch == p.HeadRef && o.Merged {
			t.Fatalf("merged the forged %s", forged)
		}
	}
	if got := e.srv.PR(p.Number); got.Merged || got.HeadSHA != forged {
		t.Errorf("pull request #%d: merged %v, head %s; want open at the forged %s", p.Number, got.Merged, got.HeadSHA, forged)
	}
}

// TestBranchOfAMergedPullRequestIsTakenOver: a wave's stage that some of
// its workloads reach after the others comes again on the same branch
// name; the branch of the merged pull request is ferry's to push again.
// Found by BenchmarkWriteBudget with group: wave, where it stalled a wave
// for good ("the branch moved under another run" on every run).
func TestBranchOfAMergedPullRequestIsTakenOver(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	const branch = "ferry/m/wave-1/cleanup"
	pr, c := e.propose(t, branch)
	if merged, err := e.forge.Merge(ctx, pr, c, bot.Message{Subject: "first part"}); err != nil || !merged {
		t.Fatalf("Merge = %v, %v", merged, err)
	}
	base, err := e.repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	again := commit(t, e.repo, base, "the rest\n")
	if err := e.forge.Publish(ctx, branch, plumbing.ZeroHash, again); err != nil {
		t.Fatalf("Publish on the merged pull request's branch: %v", err)
	}
	second, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: again, Title: "the rest", Body: "b", Method: "merge"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Number == pr.Number || e.srv.PR(pr.Number).HeadSHA != c.String() {
		t.Errorf("second pull request #%d over the merged #%d (head %s, want it kept at %s)", second.Number, pr.Number, e.srv.PR(pr.Number).HeadSHA, c)
	}
}
