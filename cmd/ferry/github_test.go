package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-dev/ferry/fixtures"
	fakegh "github.com/ferry-dev/ferry/fixtures/github"
)

// ferry run --forge github against the fake GitHub: it clones over smart
// HTTP, pushes the first stages' branches, opens their pull requests and
// merges them (no required checks: GitHub reports them clean), with the
// trailers on main.
func TestRunForgeGitHub(t *testing.T) {
	t.Parallel()
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakegh.New(t, seed, fakegh.Options{Token: "s3cret-token"})
	e := testEnv(map[string]string{
		"GITHUB_TOKEN":       "s3cret-token",
		"FERRY_SEAL_KEY":     "the repo's seal secret",
		"GITHUB_API_URL":     srv.URL(),
		"GITHUB_GRAPHQL_URL": srv.GraphQLURL(),
	})
	healthyAtMain(t, srv)
	var stdout, stderr bytes.Buffer
	code := runWith(t.Context(), e, []string{"run", "--forge", "github", "--repo", srv.GitURL(), "--once"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("ferry run --forge github: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "s3cret-token") {
		t.Errorf("the token was printed:\n%s%s", stdout.String(), stderr.String())
	}
	prs := srv.PRs()
	if len(prs) == 0 {
		t.Fatalf("no pull request opened\n%s", stderr.String())
	}
	for _, pr := range prs {
		if !strings.HasPrefix(pr.HeadRef, "ferry/eu-1-to-eu-2/") || !strings.HasSuffix(pr.HeadRef, "/pin") {
			t.Errorf("PR #%d head %q, want a ferry/eu-1-to-eu-2/<workload>/pin branch", pr.Number, pr.HeadRef)
		}
		if !pr.Merged {
			t.Errorf("PR #%d (%s) not merged", pr.Number, pr.HeadRef)
		}
	}
}

// The same with a GitHub App instead of a token: ferry signs a JWT with
// the App's key, exchanges it for an installation token, and never prints
// either.
func TestRunForgeGitHubApp(t *testing.T) {
	t.Parallel()
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	app, pemKey, err := fakegh.NewApp(4242, 77)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakegh.New(t, seed, fakegh.Options{Token: "ghs_installation", App: app})
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"FERRY_APP_ID":               "4242",
		"FERRY_APP_INSTALLATION_ID":  "77",
		"FERRY_APP_PRIVATE_KEY_FILE": keyFile,
		"GITHUB_API_URL":             srv.URL(),
		"GITHUB_GRAPHQL_URL":         srv.GraphQLURL(),
	}
	healthyAtMain(t, srv)
	var stdout, stderr bytes.Buffer
	code := runWith(t.Context(), testEnv(vars), []string{"run", "--forge", "github", "--repo", srv.GitURL(), "--once"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("ferry run --forge github with an App: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, "ghs_installation") {
		t.Errorf("the installation token was printed:\n%s", out)
	}
	if len(srv.PRs()) == 0 {
		t.Errorf("no pull request opened with the App's token\n%s", stderr.String())
	}

	// A key the App does not have is refused by GitHub: exit 1, nothing opened twice.
	_, otherKey, err := fakegh.NewApp(4242, 77)
	if err != nil {
		t.Fatal(err)
	}
	delete(vars, "FERRY_APP_PRIVATE_KEY_FILE")
	vars["FERRY_APP_PRIVATE_KEY"] = string(otherKey)
	stderr.Reset()
	if code := runWith(t.Context(), testEnv(vars), []string{"run", "--forge", "github", "--repo", srv.GitURL(), "--once"}, nil, &stdout, &stderr); code == 0 {
		t.Errorf("ferry run with the wrong App key: exit 0, want a failure\n%s", stderr.String())
	}
}

// testEnv is the process's env with only vars as its environment.
func testEnv(vars map[string]string) *env {
	e := processEnv()
	e.getenv = func(k string) string { return vars[k] }
	return e
}

// healthyAtMain posts what Argo CD would: every workload of the
// appset-httproute repo healthy on gke-eu-1 at main's head.
func healthyAtMain(t *testing.T, srv *fakegh.Server) {
	t.Helper()
	head, err := exec.Command("git", "-C", srv.BarePath(), "rev-parse", "main").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"event-consumer", "playlist-api", "recs-model", "search-api"} {
		srv.PostStatus(strings.TrimSpace(string(head)), "argocd/"+w+"-gke-eu-1", "success")
	}
}
