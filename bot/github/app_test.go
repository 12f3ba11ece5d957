package github_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	ferrygh "github.com/ferry-dev/ferry/bot/github"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// A GitHub App's installation token expires (after an hour on GitHub; two
// seconds here): a forge made from the App's environment gets a new one
// for calls and pushes after the first has expired, and never shows one.
func TestAppTokenIsRenewed(t *testing.T) {
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	app, key, err := fake.NewApp(4242, 77)
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 2 * time.Second
	app.TokenTTL = ttl
	srv := fake.New(t, seed, fake.Options{Token: token, App: app})
	env := map[string]string{
		"FERRY_APP_ID":              "4242",
		"FERRY_APP_INSTALLATION_ID": "77",
		"FERRY_APP_PRIVATE_KEY":     string(key),
		"GITHUB_API_URL":            srv.URL(),
		"GITHUB_GRAPHQL_URL":        srv.GraphQLURL(),
	}
	opts, err := ferrygh.FromEnv(t.Context(), func(k string) string { return env[k] }, srv.GitURL())
	if err != nil {
		t.Fatal(err)
	}
	if opts.TokenSource == nil || !strings.HasPrefix(opts.Token, "ghs_installation_") {
		t.Fatalf("FromEnv with an App: token %q, source set %v", opts.Token, opts.TokenSource != nil)
	}
	repo, err := gitstore.Clone(t.Context(), srv.GitURL(), gitstore.CloneOptions{Auth: auth()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ferrygh.New(repo, opts)
	if err != nil {
		t.Fatal(err)
	}
	base, err := repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	step := func(name string, old, next plumbing.Hash) {
		t.Helper()
		if err := f.Publish(ctx, "ferry/m/w/pin", old, next); err != nil {
			t.Fatalf("%s: push: %v", name, err)
		}
		if _, err := f.PullRequests(ctx, nil); err != nil {
			t.Fatalf("%s: API: %v", name, err)
		}
	}
	c1 := commit(t, repo, base, "one\n")
	step("with the first token", plumbing.ZeroHash, c1)
	time.Sleep(ttl + 500*time.Millisecond) // the first token has expired
	c2 := commit(t, repo, base, "two\n")
	step("after it expired", c1, c2)
	if n := srv.TokensIssued(); n < 3 {
		t.Errorf("the App was given %d tokens, want one at the start and new ones after", n)
	}
	// An error names no token, old or new.
	err = f.Publish(ctx, "ferry/m/w/pin", c1, c1)
	if !errors.Is(err, gitstore.ErrRefMoved) {
		t.Fatalf("a stale lease: %v", err)
	}
	if strings.Contains(err.Error(), "ghs_installation_") {
		t.Errorf("the error holds a token: %v", err)
	}
}
