package github_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v62/github"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	fake "github.com/ferry-dev/ferry/fixtures/github"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

func TestRetries(t *testing.T) {
	inAMinute := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	inTwoHours := strconv.FormatInt(time.Now().Add(2*time.Hour).Unix(), 10)
	primary := map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": inAMinute}
	const limited = `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`
	type fault struct {
		times   int
		status  int
		headers map[string]string
		body    string
	}
	tests := []struct {
		name   string
		faults []fault
		// want are the waits; a zero entry stands for the primary rate
		// limit's wait until its reset, about a minute.
		want    []time.Duration
		wantErr int // the status of the final error, 0 for success, -1 for bot.ErrRateLimited
	}{
		{"primary rate limit waits for the reset", []fault{{1, 403, primary, limited}}, []time.Duration{0}, 0},
		{"primary rate limit as 429", []fault{{1, 429, primary, limited}}, []time.Duration{0}, 0},
		{"a far reset is not waited: the run stops", []fault{{1, 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": inTwoHours}, limited}},
			nil, -1},
		{"a long Retry-After is not waited", []fault{{1, 403, map[string]string{"Retry-After": "3600"}, fake.SecondaryRateLimitBody}},
			nil, -1},
		{"secondary rate limit waits Retry-After", []fault{{2, 403, map[string]string{"Retry-After": "7"}, fake.SecondaryRateLimitBody}},
			[]time.Duration{7 * time.Second, 7 * time.Second}, 0},
		{"secondary rate limit without Retry-After waits a minute", []fault{{1, 403, nil, fake.SecondaryRateLimitBody}},
			[]time.Duration{time.Minute}, 0},
		{"429 with Retry-After", []fault{{1, 429, map[string]string{"Retry-After": "3"}, ""}}, []time.Duration{3 * time.Second}, 0},
		{"server errors back off", []fault{{2, 502, nil, ""}}, []time.Duration{time.Second, 2 * time.Second}, 0},
		{"three server errors fail", []fault{{3, 503, nil, ""}}, []time.Duration{time.Second, 2 * time.Second}, 503},
		{"a plain 403 is not retried", []fault{{1, 403, nil, `{"message":"Resource not accessible by integration"}`}}, nil, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, fake.Options{})
			for _, f := range tt.faults {
				e.srv.Fail(http.MethodGet, `/pulls$`, f.times, f.status, f.headers, f.body)
			}
			_, err := e.forge.PullRequests(t.Context(), nil)
			var er *gh.ErrorResponse
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("PullRequests: %v", err)
			case tt.wantErr == -1:
				if !errors.Is(err, bot.ErrRateLimited) {
					t.Fatalf("PullRequests = %v, want bot.ErrRateLimited", err)
				}
			case tt.wantErr != 0 && (!errors.As(err, &er) || er.Response.StatusCode != tt.wantErr):
				t.Fatalf("PullRequests = %v, want a %d *github.ErrorResponse", err, tt.wantErr)
			}
			got := e.sleeps.got()
			for i, d := range tt.want {
				if d == 0 && i < len(got) && got[i] > 55*time.Second && got[i] <= 62*time.Second {
					got[i] = 0 // about a minute: the reset
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("waits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryOfAWriteResendsItsBody(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	const branch = "ferry/m/w/pin"
	c := e.publishPin(t, branch)
	e.srv.Fail(http.MethodPost, `/pulls$`, 1, 502, nil, "")
	e.srv.Fail(http.MethodPut, `/merge$`, 1, 500, nil, "")
	pr, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "pin it", Body: "why"})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := e.forge.Merge(ctx, pr, c, bot.Message{Subject: "pin it", Body: "Ferry-Migration: m\nFerry-Workload: w\nFerry-Stage: pin"})
	if err != nil || !merged {
		t.Fatalf("Merge = %v, %v; want merged", merged, err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, time.Second}, e.sleeps.got()); diff != "" {
		t.Errorf("waits mismatch (-want +got):\n%s", diff)
	}
	// One read, whether main requires a merge queue; no mutation.
	if diff := cmp.Diff([]string{"query repository"}, e.srv.GraphQLOps()); diff != "" {
		t.Errorf("GraphQL for a pull request that was mergeable at once, want only the merge-queue read (-want +got):\n%s", diff)
	}
	got := e.srv.PR(pr.Number)
	if got.Title != "pin it" || got.Body != "why" || got.MergeMethod != "squash" {
		t.Errorf("pull request: title %q, body %q, method %q", got.Title, got.Body, got.MergeMethod)
	}
	// The local base moved to the merge.
	if at, err := e.repo.Resolve("refs/heads/main"); err != nil || at.String() != got.MergeCommitSHA {
		t.Errorf("local main = %s, %v; want the merge %s", at, err, got.MergeCommitSHA)
	}
}

func TestRetryStopsWithTheContext(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	e.srv.Fail(http.MethodGet, `/pulls$`, 5, 502, nil, "")
	cancelling := &cancelSleeps{cancel: cancel}
	f := newForgeSleep(t, e, cancelling.Sleep)
	_, err := f.PullRequests(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PullRequests = %v, want context.Canceled", err)
	}
}

type cancelSleeps struct{ cancel func() }

func (c *cancelSleeps) Sleep(time.Duration) { c.cancel() }

func TestTokenIsRedacted(t *testing.T) {
	e := setup(t, fake.Options{})
	e.srv.Fail(http.MethodGet, `/pulls$`, 1, 400, nil, `{"message":"Bad token `+token+` in Authorization: Bearer `+token+`"}`)
	_, err := e.forge.PullRequests(t.Context(), nil)
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("PullRequests = %v, want a *github.ErrorResponse", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error holds the token: %v", err)
	}
}

func TestProposeOpensOnce(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	const branch = "ferry/m/w/pin"
	c := e.publishPin(t, branch)
	// Another run opens the pull request between ferry's look and its
	// create: ferry's list shows none, its create gets GitHub's 422.
	other, _, err := e.srv.Client().PullRequests.Create(ctx, e.srv.Owner(), e.srv.Repo(),
		&gh.NewPullRequest{Title: gh.String("old"), Head: gh.String(branch), Base: gh.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Fail(http.MethodGet, `/pulls$`, 1, 200, nil, `[]`)
	steps := []bot.Proposal{
		{Branch: branch, Base: "main", Head: c, Title: "new", Body: "b1", Labels: []string{"ferry"}},
		{Branch: branch, Base: "main", Head: c, Title: "newer", Body: "b2", Labels: []string{"ferry", "platform/migration"}},
		{Branch: branch, Base: "main", Head: c, Title: "newer", Body: "b2", Labels: []string{"ferry", "platform/migration"}},
	}
	for i, p := range steps {
		pr, err := e.forge.Propose(ctx, p)
		if err != nil {
			t.Fatalf("Propose %d: %v", i, err)
		}
		want := &bot.PullRequest{Number: other.GetNumber(), Branch: branch, Head: c, State: pr.State, Labels: p.Labels}
		if diff := cmp.Diff(want, pr); diff != "" {
			t.Errorf("Propose %d mismatch (-want +got):\n%s", i, diff)
		}
		got := e.srv.PR(other.GetNumber())
		if got.Title != p.Title || got.Body != p.Body {
			t.Errorf("Propose %d: title %q body %q, want %q %q", i, got.Title, got.Body, p.Title, p.Body)
		}
	}
	if n := len(e.srv.PRs()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	posts := 0
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r, "POST ") && strings.HasSuffix(r, "/pulls") {
			posts++
		}
	}
	if posts != 2 { // the test's own and ferry's refused one
		t.Errorf("%d POST /pulls, want 2", posts)
	}
}

func TestPublish(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	base, err := e.repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	const branch = "ferry/m/w/pin"
	c1 := commit(t, e.repo, base, "one\n")
	c2 := commit(t, e.repo, base, "two\n")
	steps := []struct {
		name     string
		old, new plumbing.Hash
		wantErr  error
	}{
		{"create", plumbing.ZeroHash, c1, nil},
		// A run killed between the push and its pull request left it.
		{"create again takes over a branch no pull request has", plumbing.ZeroHash, c2, nil},
		{"regenerate with the lease", c2, c1, nil},
		{"a stale lease is refused", c2, c2, gitstore.ErrRefMoved},
		{"propose", plumbing.ZeroHash, plumbing.ZeroHash, nil},
		{"create again is refused once a pull request has the head", plumbing.ZeroHash, c2, gitstore.ErrRefMoved},
		{"regenerate the proposed branch with the lease", c1, c2, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.new.IsZero() {
				if _, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c1, Title: "pin it"}); err != nil {
					t.Fatal(err)
				}
				return
			}
			err := e.forge.Publish(ctx, branch, s.old, s.new)
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("Publish = %v, want %v", err, s.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
	if at := strings.TrimSpace(gitCLI(t, e.srv.BarePath(), "rev-parse", branch)); at != c2.String() {
		t.Errorf("%s is at %s on the forge, want %s", branch, at, c2)
	}
}

// TestProposeOnMovedBase: a run that planned before another run landed a
// stage pushes its branch and then finds the base moved: it opens no
// pull request (a second one for the same stage), and says the base
// moved.
func TestProposeOnMovedBase(t *testing.T) {
	e := setup(t, fake.Options{})
	ctx := t.Context()
	base, err := e.repo.Resolve("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	const branch = "ferry/m/w/pin"
	c := commit(t, e.repo, base, "pin\n")
	if err := e.forge.Publish(ctx, branch, plumbing.ZeroHash, c); err != nil {
		t.Fatal(err)
	}
	e.srv.CommitAs("main", map[string]string{"other.txt": "another run's stage\n"}, "another stage")
	pr, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "pin it"})
	if !errors.Is(err, gitstore.ErrRefMoved) {
		t.Fatalf("Propose = %+v, %v; want an error wrapping ErrRefMoved", pr, err)
	}
	if n := len(e.srv.PRs()); n != 0 {
		t.Errorf("%d pull requests opened, want none", n)
	}
}

// A GraphQL write refused for a secondary rate limit is sent again after
// Retry-After: auto-merge of a pull request that waits on a required check.
func TestRetryOfAGraphQLWrite(t *testing.T) {
	e := setup(t, fake.Options{RequiredContexts: []string{"ci"}})
	ctx := t.Context()
	const branch = "ferry/m/w/pin"
	c := e.publishPin(t, branch)
	e.srv.Fail(http.MethodPost, `/graphql$`, 1, 403, map[string]string{"Retry-After": "1"}, fake.SecondaryRateLimitBody)
	pr, err := e.forge.Propose(ctx, bot.Proposal{Branch: branch, Base: "main", Head: c, Title: "pin it", Body: "why"})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := e.forge.Merge(ctx, pr, c, bot.Message{Subject: "pin it", Body: "Ferry-Migration: m\nFerry-Workload: w\nFerry-Stage: pin"})
	if err != nil || merged {
		t.Fatalf("Merge = %v, %v; want auto-merge enabled, not merged", merged, err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, e.sleeps.got()); diff != "" {
		t.Errorf("waits mismatch (-want +got):\n%s", diff)
	}
	if am := e.srv.PR(pr.Number).AutoMerge; am == nil || am.ExpectedHeadOID != c.String() {
		t.Errorf("auto-merge = %+v, want it enabled for %s", am, c)
	}
}
