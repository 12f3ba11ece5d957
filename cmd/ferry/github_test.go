package main

import (
	"bytes"
	"os/exec"
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
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakegh.New(t, seed, fakegh.Options{Token: "s3cret-token"})
	t.Setenv("GITHUB_TOKEN", "s3cret-token")
	t.Setenv("GITHUB_API_URL", srv.URL())
	t.Setenv("GITHUB_GRAPHQL_URL", srv.GraphQLURL())
	// Argo CD reports every workload healthy on gke-eu-1 at main's head.
	head, err := exec.Command("git", "-C", srv.BarePath(), "rev-parse", "main").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"event-consumer", "playlist-api", "recs-model", "search-api"} {
		srv.PostStatus(strings.TrimSpace(string(head)), "argocd/"+w+"-gke-eu-1", "success")
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"run", "--forge", "github", "--repo", srv.GitURL(), "--once"}, nil, &stdout, &stderr)
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
