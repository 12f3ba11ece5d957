package github_test

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/convention"
	ferrygh "github.com/ferry-dev/ferry/bot/github"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// TestClosedPullRequestsSinceTheMigration: a repo with 250 closed pull
// requests from before its Migration (one of them ferry's, for the very
// stage the Migration starts with, left by an earlier migration of the
// same name), then the Migration, merged through a pull request. A run
// lists the closed pull requests only back to the Migration's (one page,
// not the three listing them all takes), and the old closed one holds
// nothing: its workload is pinned, on the branch the old one left.
func TestClosedPullRequestsSinceTheMigration(t *testing.T) {
	const migration = "migrations/eu-1-to-eu-2.yaml"
	files, err := fixtures.RepoMap("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	mig := files[migration].Data
	delete(files, migration)
	srv := fake.New(t, files, fake.Options{Token: token})
	ctx := t.Context()
	client := srv.Client()
	repo := clone(t, srv)
	main, err := repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	push := func(branch string, c plumbing.Hash) {
		t.Helper()
		if err := repo.Push(ctx, srv.GitURL(), auth(), branch, plumbing.ZeroHash, c); err != nil {
			t.Fatal(err)
		}
	}
	open := func(branch string) int {
		t.Helper()
		p, _, err := client.PullRequests.Create(ctx, srv.Owner(), srv.Repo(), &gh.NewPullRequest{Title: gh.String(branch), Head: gh.String(branch), Base: gh.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		return p.GetNumber()
	}
	closePR := func(n int) {
		t.Helper()
		if _, _, err := client.PullRequests.Edit(ctx, srv.Owner(), srv.Repo(), n, &gh.PullRequest{State: gh.String("closed")}); err != nil {
			t.Fatal(err)
		}
	}
	old := convention.Branch("eu-1-to-eu-2", "event-consumer", planner.Stage{Kind: planner.Pin})
	push(old, commit(t, repo, main, "an earlier migration's pin\n"))
	closePR(open(old))
	push("notes", commit(t, repo, main, "notes\n"))
	for range 249 {
		closePR(open("notes"))
	}
	add, err := repo.Commit(ctx, main, []gitstore.Change{{Path: migration, Data: mig}}, gitstore.CommitMeta{Author: bot.DefaultAuthor, Message: "Add the eu-1-to-eu-2 migration\n"})
	if err != nil {
		t.Fatal(err)
	}
	push("add-migration", add)
	if _, _, err := client.PullRequests.Merge(ctx, srv.Owner(), srv.Repo(), open("add-migration"), "", &gh.PullRequestOptions{MergeMethod: "squash"}); err != nil {
		t.Fatal(err)
	}

	reportHealthy(t, srv, clone(t, srv))
	// The run's requests, through a transport that notes every page of
	// closed pull requests asked for.
	var pages []string
	var mu sync.Mutex
	rt := roundTrip(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		if strings.HasSuffix(r.URL.Path, "/pulls") && (q.Get("state") == "closed" || q.Get("state") == "all") && q.Get("head") == "" {
			mu.Lock()
			pages = append(pages, q.Get("state")+" page "+cmp.Or(q.Get("page"), "1"))
			mu.Unlock()
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	run := clone(t, srv)
	forge, err := ferrygh.New(run, ferrygh.Options{
		Owner: srv.Owner(), Repo: srv.Repo(), Token: token,
		APIURL: srv.URL(), GraphQLURL: srv.GraphQLURL(), GitURL: srv.GitURL(),
		HTTPClient: &http.Client{Transport: rt},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(run, bot.Options{Forge: forge, Health: statuses(srv, forge), Now: (&clock{t: epoch.Add(time.Hour)}).Now, Progress: tw{t}, SealKey: sealKey})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 || slices.ContainsFunc(pages, func(p string) bool { return p != "closed page 1" }) {
		t.Errorf("closed pull requests listed: %q; want only their first page, which holds the Migration's", pages)
	}
	pinned := false
	for _, p := range srv.PRs() {
		if p.HeadRef == old && p.Number > 1 && (p.State == "open" || p.Merged) {
			pinned = true
		}
	}
	if !pinned {
		var sb strings.Builder
		rep.Plan.WriteText(&sb)
		t.Errorf("no new pull request for %s: the closed one from before the Migration held it; the plan:\n%s", old, sb.String())
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
