package github_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	ferrygh "github.com/ferry-dev/ferry/bot/github"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
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
