package bot_test

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// TestTwoRunsAtOnce runs two bots on one repo at the same time, on every
// scheduled run, as two overlapping cron jobs would: one's compare-and-swap
// loses and it skips, no run fails, and the migration ends as a single
// bot's does: over one *gitstore.Store (which says it is safe for
// concurrent use) for one repo, and over two opens of its directory (two
// processes) for the other.
func TestTwoRunsAtOnce(t *testing.T) {
	t.Parallel()
	for _, r := range crashRepos {
		t.Run(r.name, func(t *testing.T) {
			fsys, err := r.fsys()
			if err != nil {
				t.Fatal(err)
			}
			want := referenceOf(t, r, fsys)
			// The fixture shares one Store, the generated repo opens its
			// directory twice.
			shared := r.name == fixtures.AppSetHTTPRoute
			name := "two-opens"
			if shared {
				name = "one-repo"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				twoRunsAtOnce(t, fsys, shared, want)
			})
		})
	}
}

// twoRunsAtOnce migrates a fresh repo of fsys with two bots running
// together: over the same *gitstore.Store when shared, else over two
// gitstore.Open of the same directory.
func twoRunsAtOnce(t *testing.T, fsys fs.FS, shared bool, want migration) {
	t.Helper()
	repo, dir := newRepo(t, fsys)
	clk := &clock{t: epoch}
	repos := [2]*gitstore.Store{repo, repo}
	if !shared {
		for i := range repos {
			var err error
			if repos[i], err = gitstore.Open(dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	var bots [2]*bot.Bot
	var forges [2]*bot.Local
	for i := range bots {
		forges[i] = &bot.Local{Repo: repos[i], Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
		var err error
		if bots[i], err = bot.New(repos[i], bot.Options{Forge: forges[i], Now: clk.Now}); err != nil {
			t.Fatal(err)
		}
	}
	skipped := 0
	for run := 1; run <= runs; run++ {
		var wg sync.WaitGroup
		var reps [2]*bot.Report
		var errs [2]error
		for i := range bots {
			wg.Go(func() { reps[i], errs[i] = bots[i].Run(t.Context(), false) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("run %d, bot %d: %v", run, i, err)
			}
		}
		if t.Failed() {
			return
		}
		for _, rep := range reps {
			if rep == nil {
				continue
			}
			for _, o := range rep.Outcomes {
				if o.Skipped != "" {
					skipped++
				}
			}
		}
		approve(t, repo, forges[0])
		if done(reps[0]) && done(reps[1]) {
			// Read the result through a fresh open: what is on disk.
			final, err := gitstore.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := result(t, final, run)
			checkMigration(t, final, got, want, false)
			t.Logf("finished in %d runs, %d skipped actions", run, skipped)
			return
		}
		clk.t = clk.t.Add(31 * time.Minute)
	}
	t.Fatalf("the migration did not finish in %d runs", runs)
}

// done reports whether a run found the migration finished.
func done(rep *bot.Report) bool { return rep != nil && rep.Plan != nil && rep.Plan.Finished() }

// TestLocalMergeBranchMoved merges a pull request whose branch another run
// has moved or deleted since ferry pushed head: the merge must not happen
// and the error must wrap gitstore.ErrRefMoved, so the bot reports the
// stage as skipped instead of failing the run.
func TestLocalMergeBranchMoved(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	for _, deleted := range []bool{false, true} {
		t.Run(fmt.Sprintf("deleted=%v", deleted), func(t *testing.T) {
			repo, _ := newRepo(t, fsys)
			clk := &clock{t: epoch}
			forge := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
			tip := mainHead(t, repo)
			sig := bot.DefaultAuthor
			sig.When = epoch
			commit := func(data string) plumbing.Hash {
				h, err := repo.Commit(t.Context(), tip, []gitstore.Change{{Path: "NOTE", Data: []byte(data)}},
					gitstore.CommitMeta{Author: sig, Message: "ferry(eu-1-to-eu-2): playlist-api: pin\n"})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			const branch = "ferry/eu-1-to-eu-2/playlist-api/pin"
			mine, theirs := commit("mine\n"), commit("theirs\n")
			if err := forge.Publish(t.Context(), branch, plumbing.ZeroHash, mine); err != nil {
				t.Fatal(err)
			}
			pr, err := forge.Propose(t.Context(), bot.Proposal{Branch: branch, Base: "main", Head: mine})
			if err != nil {
				t.Fatal(err)
			}
			// The other run regenerates the stage, or merges and deletes it.
			ref := plumbing.NewBranchReferenceName(branch)
			if deleted {
				err = repo.DeleteRef(ref, mine)
			} else {
				err = repo.UpdateRef(ref, mine, theirs)
			}
			if err != nil {
				t.Fatal(err)
			}
			merged, err := forge.Merge(t.Context(), pr, mine, bot.Message{Subject: "pin"})
			if merged || !errors.Is(err, gitstore.ErrRefMoved) {
				t.Errorf("Merge of a moved branch = %v, %v; want false and an error wrapping gitstore.ErrRefMoved", merged, err)
			}
			if got := mainHead(t, repo); got != tip {
				t.Errorf("main moved to %s, want it left at %s", got, tip)
			}
		})
	}
}
