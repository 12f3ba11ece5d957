package github_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/check"
	ferrygh "github.com/ferry-dev/ferry/bot/github"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
)

const token = "ghs_s3cr3tT0ken"

// sleeps records the waits of the retrying transport instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) Sleep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type env struct {
	srv    *fake.Server
	repo   *gitstore.Store
	forge  *ferrygh.Forge
	sleeps *sleeps
}

// setup starts a fake GitHub seeded with the fixture repo, clones it and
// makes a Forge on the clone.
func setup(t *testing.T, opts fake.Options) *env {
	t.Helper()
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	opts.Token = token
	srv := fake.New(t, seed, opts)
	e := &env{srv: srv, sleeps: &sleeps{}}
	e.repo = clone(t, srv)
	e.forge = newForge(t, srv, e.repo, e.sleeps)
	return e
}

func auth() *githttp.BasicAuth {
	return &githttp.BasicAuth{Username: "x-access-token", Password: token}
}

func clone(t testing.TB, srv *fake.Server) *gitstore.Store {
	t.Helper()
	repo, err := gitstore.Clone(t.Context(), srv.GitURL(), gitstore.CloneOptions{Auth: auth()})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func newForge(t *testing.T, srv *fake.Server, repo *gitstore.Store, s *sleeps) *ferrygh.Forge {
	t.Helper()
	return newForgeWith(t, srv, repo, s.Sleep)
}

func newForgeSleep(t *testing.T, e *env, sleep func(time.Duration)) *ferrygh.Forge {
	t.Helper()
	return newForgeWith(t, e.srv, e.repo, sleep)
}

func newForgeWith(t testing.TB, srv *fake.Server, repo *gitstore.Store, sleep func(time.Duration)) *ferrygh.Forge {
	t.Helper()
	f, err := ferrygh.New(repo, ferrygh.Options{
		Owner: srv.Owner(), Repo: srv.Repo(), Token: token,
		APIURL: srv.URL(), GraphQLURL: srv.GraphQLURL(), GitURL: srv.GitURL(),
		Sleep: sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// statuses is the health provider of the fixture's ferry.yaml.
func statuses(srv *fake.Server, f *ferrygh.Forge) *ferrygh.Statuses {
	return &ferrygh.Statuses{Client: f.Client(), Owner: srv.Owner(), Repo: srv.Repo(), Ref: "main", Reporters: []string{fake.Reporter},
		Context: func(w, c string) string { return "argocd/" + w + "-" + c }}
}

// clock is a virtual clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tw writes progress lines to the test log.
type tw struct{ t *testing.T }

func (w tw) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// publishPin commits a pin on main and publishes it to branch, as ferry's
// first push of a stage does; it returns the commit.
func (e *env) publishPin(t *testing.T, branch string) plumbing.Hash {
	t.Helper()
	base, err := e.repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	c := commit(t, e.repo, base, "pin\n")
	if err := e.forge.Publish(t.Context(), branch, plumbing.ZeroHash, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// toTheEnd runs the planner on the fake, as the schedule would, until the
// migration finishes (at most runs times): each run on a new clone, then
// between (when set), the clusters' health reports on main, and 31 minutes
// of the virtual clock. It returns the last plan, failing the test when
// the migration did not finish.
func (e *env) toTheEnd(t *testing.T, runs int, between func()) *planner.Plan {
	t.Helper()
	clk := &clock{t: epoch}
	var last *planner.Plan
	for i := 0; i < runs; i++ {
		rep, repo := e.run(t, clk)
		if last = rep.Plan; last.Finished() {
			return last
		}
		if between != nil {
			between()
		}
		reportHealthy(t, e.srv, repo)
		clk.Add(31 * time.Minute)
	}
	var sb strings.Builder
	last.WriteText(&sb)
	t.Fatalf("the migration did not finish in %d runs:\n%s", runs, sb.String())
	return nil
}

// propose publishes a pin on branch and opens its pull request, as a
// stage of ferry's does; it returns the pull request and its head.
func (e *env) propose(t *testing.T, branch string) (*bot.PullRequest, plumbing.Hash) {
	t.Helper()
	c := e.publishPin(t, branch)
	pr, err := e.forge.Propose(t.Context(), bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "t", Body: "b", Method: "merge"})
	if err != nil {
		t.Fatal(err)
	}
	return pr, c
}

// run is one planner run on a new clone of the fake, with the fixture's
// health provider; it returns the report and the clone.
func (e *env) run(t *testing.T, clk *clock) (*bot.Report, *gitstore.Store) {
	t.Helper()
	repo := clone(t, e.srv)
	forge := newForge(t, e.srv, repo, e.sleeps)
	b, err := bot.New(repo, bot.Options{Forge: forge, Health: statuses(e.srv, forge), Now: clk.Now, Progress: tw{t}, SealKey: sealKey})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(t.Context(), false)
	if err != nil {
		t.Fatalf("run at %s: %v", clk.Now().Sub(epoch), err)
	}
	return rep, repo
}

// verifyMain runs ferry verify's history check on the fake's main: every
// commit GitHub made keeps the invariants.
func (e *env) verifyMain(t *testing.T) {
	t.Helper()
	bare, err := gitstore.Open(e.srv.BarePath())
	if err != nil {
		t.Fatal(err)
	}
	head, err := bare.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	fail, err := check.Options{Renderer: render.New(), SealKey: sealKey}.History(t.Context(), bare, plumbing.ZeroHash, head)
	if err != nil || fail != nil {
		t.Errorf("check.History of main = %+v, %v; want every commit to keep the invariants", fail, err)
	}
}
