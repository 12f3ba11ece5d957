package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/shurcooL/githubv4"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// Options configure a Forge. The zero value of each optional field means
// its default.
type Options struct {
	// Owner and Repo name the repository. Required.
	Owner, Repo string
	// Token authenticates the API calls and git pushes. Required unless
	// TokenSource is set.
	Token string
	// TokenSource, when set, is asked for the token before each API call
	// and git push, instead of using Token: a GitHub App's installation
	// token expires after an hour, and the source (ghinstallation's
	// transport) renews it. Every token it gives is redacted from errors.
	TokenSource func(context.Context) (string, error)
	// APIURL is the REST base URL; https://api.github.com/ by default. A
	// trailing slash is added when missing.
	APIURL string
	// GraphQLURL is the GraphQL endpoint; derived from APIURL by default
	// (https://api.github.com/graphql, or <host>/api/graphql for GitHub
	// Enterprise Server).
	GraphQLURL string
	// GitURL is the repository's smart-HTTP URL for pushes and fetches;
	// https://github.com/<owner>/<repo>.git by default.
	GitURL string
	// Base is the base branch; "main" by default.
	Base string
	// Method is the merge method when a Proposal names none: squash (the
	// default), merge or rebase.
	Method string
	// Timeout bounds each network step; one minute by default.
	Timeout time.Duration
	// HTTPClient is the client under the retrying transport;
	// http.DefaultClient by default.
	HTTPClient *http.Client
	// Sleep waits between retries (tests make it virtual); a timer that
	// ctx cancels by default. ctx is checked after it returns.
	Sleep func(time.Duration)
}

// Forge is ferry's forge on one GitHub repository.
type Forge struct {
	repo *gitstore.Store
	o    Options
	rest *gh.Client
	gql  *githubv4.Client
	tok  *tokens

	mu     sync.Mutex
	method map[string]string // merge method by branch, from Propose
	queue  *mergeQueue       // the base branch's merge queue, once asked
	// older is the number of the pull request PullRequests last stopped
	// at: every one numbered lower is older than every Migration (0: none
	// known).
	older int
}

var _ bot.Forge = (*Forge)(nil)

// Capabilities: GitHub's pull requests merge by themselves once checks
// pass (auto-merge), carry comments and have a description people read.
func (f *Forge) Capabilities() bot.Capabilities {
	return bot.Capabilities{AutoMerge: true, Comments: true, Descriptions: true}
}

// New returns the Forge of the repository o names; repo is the local clone
// ferry commits in, whose base branch the Forge fetches after each merge.
func New(repo *gitstore.Store, o Options) (*Forge, error) {
	if repo == nil {
		return nil, errors.New("github: no local repo")
	}
	if o.Owner == "" || o.Repo == "" {
		return nil, errors.New("github: owner and repo are required")
	}
	if o.Token == "" && o.TokenSource == nil {
		return nil, errors.New("github: no token")
	}
	if o.APIURL == "" {
		o.APIURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	api, err := url.Parse(o.APIURL)
	if err != nil {
		return nil, fmt.Errorf("github: API URL: %w", err)
	}
	if o.GraphQLURL == "" {
		o.GraphQLURL = graphQLURL(api)
	}
	if o.GitURL == "" {
		o.GitURL = fmt.Sprintf("https://github.com/%s/%s.git", o.Owner, o.Repo)
	}
	if o.Base == "" {
		o.Base = "main"
	}
	switch o.Method {
	case "":
		o.Method = "squash"
	case "squash", "merge", "rebase":
	default:
		return nil, fmt.Errorf("github: merge method %q", o.Method)
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	tok := &tokens{fixed: o.Token, source: o.TokenSource}
	hc := httpClient(tok, o.HTTPClient, o.Sleep)
	rest := gh.NewClient(hc)
	rest.BaseURL, rest.UploadURL = api, api
	return &Forge{
		repo:   repo,
		o:      o,
		rest:   rest,
		gql:    githubv4.NewEnterpriseClient(o.GraphQLURL, hc),
		tok:    tok,
		method: map[string]string{},
	}, nil
}

// gitAuth is the basic auth of a push or fetch, with the current token.
func (f *Forge) gitAuth(ctx context.Context) (transport.AuthMethod, error) {
	tok, err := f.tok.get(ctx)
	if err != nil {
		return nil, f.errorf(err, "github: token")
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: tok}, nil
}

// graphQLURL derives the GraphQL endpoint from the REST one: GitHub's
// api.github.com/graphql, or GitHub Enterprise Server's /api/graphql for
// its /api/v3/.
func graphQLURL(api *url.URL) string {
	u := *api
	if p, ok := strings.CutSuffix(u.Path, "/v3/"); ok {
		u.Path = p + "/graphql"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// httpClient returns a client that sends the token of tok as a bearer
// token and retries rate limits and server errors (see the package
// documentation), over base (http.DefaultClient when nil). sleep waits
// between retries; nil for real time.
func httpClient(tok *tokens, base *http.Client, sleep func(time.Duration)) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	t := &retrier{base: rt, tokens: tok, sleep: sleepCtx, now: time.Now}
	if sleep != nil {
		t.sleep = func(ctx context.Context, d time.Duration) error {
			sleep(d)
			return ctx.Err()
		}
	}
	c := *base
	c.Transport = t
	return &c
}

// Client is the REST client the Forge uses, with its retrying transport:
// for a Statuses health provider.
func (f *Forge) Client() *gh.Client { return f.rest }

// step bounds one network step.
func (f *Forge) step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, f.o.Timeout)
}

// errorf wraps an error with what was done, without the token.
func (f *Forge) errorf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if rateLimited(err) {
		err = fmt.Errorf("%w: %w", bot.ErrRateLimited, err)
	}
	return f.tok.redact(fmt.Errorf(format+": %w", append(args, err)...))
}

// rateLimited reports whether err is GitHub refusing for a rate limit that
// the retrying transport did not wait out: go-github's errors for REST,
// the body's message for GraphQL.
func rateLimited(err error) bool {
	var abuse *gh.AbuseRateLimitError
	var primary *gh.RateLimitError
	if errors.As(err, &abuse) || errors.As(err, &primary) {
		return true
	}
	return strings.Contains(err.Error(), "secondary rate limit") || strings.Contains(err.Error(), "API rate limit exceeded")
}

// Publish pushes commit to branch with a lease on old.
func (f *Forge) Publish(ctx context.Context, branch string, old, commit plumbing.Hash) error {
	ctx, cancel := f.step(ctx)
	defer cancel()
	auth, err := f.gitAuth(ctx)
	if err != nil {
		return err
	}
	err = f.repo.Push(ctx, f.o.GitURL, auth, branch, old, commit)
	if old.IsZero() && errors.Is(err, gitstore.ErrRefMoved) {
		// The branch is there with no open pull request ferry saw: a run
		// killed between pushing it and opening its pull request, or the
		// branch of a merged one. It is ferry's name and proposes nothing,
		// so it is taken over, with a lease on where it is; the pull
		// request, when there is one, then has ferry's commit as its head.
		if at, herr := f.repo.RemoteBranch(ctx, f.o.GitURL, auth, branch); herr == nil && !at.IsZero() && f.orphan(ctx, branch, at) {
			err = f.repo.Push(ctx, f.o.GitURL, auth, branch, at, commit)
		}
	}
	return f.errorf(err, "github: publish %s", branch)
}

// PullRequests lists ferry's pull requests into the base branch: every
// open one, and the most recent closed one of each branch, closed ones
// first. The closed ones are listed newest first, to the page with one
// that before says merged before every Migration (when before is nil,
// to the end): a repo's older migrations cost nothing to list.
func (f *Forge) PullRequests(ctx context.Context, before bot.Before) ([]bot.PullRequest, error) {
	// Open ones first: one that closes in between is then listed closed,
	// never missed.
	openNow, err := f.list(ctx, &gh.PullRequestListOptions{State: "open", Base: f.o.Base}, nil)
	if err != nil {
		return nil, err
	}
	older := 0
	closed, err := f.list(ctx, &gh.PullRequestListOptions{State: "closed", Base: f.o.Base, Sort: "created", Direction: "desc"}, func(p *gh.PullRequest) bool {
		if before != nil && p.MergedAt != nil && before(plumbing.NewHash(p.GetMergeCommitSHA())) {
			older = max(older, p.GetNumber())
		}
		return older > 0
	})
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.older = older
	f.mu.Unlock()
	var open, last []bot.PullRequest
	seen := map[string]bool{}
	closedNow := map[int]bool{}
	for _, p := range closed {
		closedNow[p.GetNumber()] = true
	}
	for _, p := range append(closed, openNow...) { // closed newest first, then open
		b := p.GetHead().GetRef()
		if !strings.HasPrefix(b, "ferry/") || !f.ownHead(p) {
			continue
		}
		pr := convert(p)
		if pr.State == planner.PROpen {
			if !closedNow[pr.Number] {
				open = append(open, pr)
			}
			continue
		}
		if !seen[b] {
			seen[b] = true
			last = append(last, pr)
		}
	}
	byNumber := func(a, b bot.PullRequest) int { return a.Number - b.Number }
	slices.SortFunc(open, byNumber)
	slices.SortFunc(last, byNumber)
	// The bot keys pull requests by branch: the open one must come last.
	return append(last, open...), nil
}

// ownHead reports whether p's head branch is in the repository itself: a
// fork's pull request is never ferry's, whatever its branch is called.
func (f *Forge) ownHead(p *gh.PullRequest) bool {
	return strings.EqualFold(p.GetHead().GetRepo().GetFullName(), f.o.Owner+"/"+f.o.Repo)
}

// list lists the base's pull requests, every page, or to the page where
// last reports a pull request the last one needed (when not nil).
func (f *Forge) list(ctx context.Context, opt *gh.PullRequestListOptions, last func(*gh.PullRequest) bool) ([]*gh.PullRequest, error) {
	opt.PerPage = 100
	var out []*gh.PullRequest
	for {
		sctx, cancel := f.step(ctx)
		ps, resp, err := f.rest.PullRequests.List(sctx, f.o.Owner, f.o.Repo, opt)
		cancel()
		if err != nil {
			return nil, f.errorf(err, "github: list pull requests")
		}
		out = append(out, ps...)
		if resp.NextPage == 0 || last != nil && slices.ContainsFunc(ps, last) {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func convert(p *gh.PullRequest) bot.PullRequest {
	pr := bot.PullRequest{
		Number: p.GetNumber(),
		Branch: p.GetHead().GetRef(),
		Head:   plumbing.NewHash(p.GetHead().GetSHA()),
		State:  planner.PROpen,
	}
	switch {
	case p.GetMerged() || p.MergedAt != nil:
		pr.State = planner.PRMerged
		pr.MergeCommit = plumbing.NewHash(p.GetMergeCommitSHA())
		pr.MergedAt = p.GetMergedAt().Time
	case p.GetState() == "closed":
		pr.State = planner.PRClosed
	}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.GetName())
	}
	pr.AutoMerge = p.AutoMerge != nil
	return pr
}

// Hold turns auto-merge off for pr and comments why.
func (f *Forge) Hold(ctx context.Context, pr *bot.PullRequest, why string) error {
	sctx, cancel := f.step(ctx)
	p, _, err := f.rest.PullRequests.Get(sctx, f.o.Owner, f.o.Repo, pr.Number)
	cancel()
	if err != nil {
		return f.errorf(err, "github: read pull request #%d", pr.Number)
	}
	if p.AutoMerge != nil {
		var m struct {
			DisablePullRequestAutoMerge struct {
				PullRequest struct {
					Number githubv4.Int
				}
			} `graphql:"disablePullRequestAutoMerge(input: $input)"`
		}
		sctx, cancel := f.step(ctx)
		err := f.gql.Mutate(sctx, &m, githubv4.DisablePullRequestAutoMergeInput{PullRequestID: githubv4.ID(p.GetNodeID())}, nil)
		cancel()
		if err != nil {
			return f.errorf(err, "github: disable auto-merge of #%d", pr.Number)
		}
	}
	sctx, cancel = f.step(ctx)
	defer cancel()
	if _, _, err := f.rest.Issues.CreateComment(sctx, f.o.Owner, f.o.Repo, pr.Number, &gh.IssueComment{Body: gh.String(why)}); err != nil {
		return f.errorf(err, "github: comment on #%d", pr.Number)
	}
	return nil
}

// Close comments why on pr and closes it.
func (f *Forge) Close(ctx context.Context, pr *bot.PullRequest, why string) error {
	sctx, cancel := f.step(ctx)
	defer cancel()
	if _, _, err := f.rest.Issues.CreateComment(sctx, f.o.Owner, f.o.Repo, pr.Number, &gh.IssueComment{Body: gh.String(why)}); err != nil {
		return f.errorf(err, "github: comment on #%d", pr.Number)
	}
	if _, _, err := f.rest.PullRequests.Edit(sctx, f.o.Owner, f.o.Repo, pr.Number, &gh.PullRequest{State: gh.String("closed")}); err != nil {
		return f.errorf(err, "github: close #%d", pr.Number)
	}
	return nil
}

// Propose opens the pull request of p.Branch, or updates the open one's
// title, body and labels.
func (f *Forge) Propose(ctx context.Context, p bot.Proposal) (*bot.PullRequest, error) {
	base := p.Base
	if base == "" {
		base = f.o.Base
	}
	if p.Method != "" {
		f.mu.Lock()
		f.method[p.Branch] = p.Method
		f.mu.Unlock()
	}
	cur, err := f.open(ctx, p.Branch, base)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		// A run that planned before another landed this stage would open
		// a second pull request for it: the stage is made on the base's
		// head, so a base that moved since means the plan is stale.
		if !p.Head.IsZero() {
			if moved, err := f.baseMoved(ctx, p.Head); err != nil || moved {
				return nil, err
			}
		}
		sctx, cancel := f.step(ctx)
		cur, _, err = f.rest.PullRequests.Create(sctx, f.o.Owner, f.o.Repo, &gh.NewPullRequest{
			Title: gh.String(p.Title), Body: gh.String(p.Body), Head: gh.String(p.Branch), Base: gh.String(base),
		})
		cancel()
		if alreadyExists(err) { // another run opened it first
			cur, err = f.open(ctx, p.Branch, base)
			if err == nil && cur == nil {
				err = fmt.Errorf("github: the pull request of %s exists but is not listed", p.Branch)
			}
		}
		if err != nil {
			return nil, f.errorf(err, "github: open pull request for %s", p.Branch)
		}
	}
	if cur.GetTitle() != p.Title || cur.GetBody() != p.Body {
		sctx, cancel := f.step(ctx)
		cur, _, err = f.rest.PullRequests.Edit(sctx, f.o.Owner, f.o.Repo, cur.GetNumber(), &gh.PullRequest{
			Title: gh.String(p.Title), Body: gh.String(p.Body),
		})
		cancel()
		if err != nil {
			return nil, f.errorf(err, "github: update pull request #%d", cur.GetNumber())
		}
	}
	pr := convert(cur)
	var missing []string
	for _, l := range p.Labels {
		if !slices.Contains(pr.Labels, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		sctx, cancel := f.step(ctx)
		labels, err := f.addLabels(sctx, pr.Number, missing)
		cancel()
		if err != nil {
			return nil, f.errorf(err, "github: label pull request #%d", pr.Number)
		}
		pr.Labels = pr.Labels[:0]
		for _, l := range labels {
			pr.Labels = append(pr.Labels, l.GetName())
		}
	}
	return &pr, nil
}

// addLabels adds labels to pull request n, in the body GitHub's API
// description documents ({"labels": [...]}); go-github's AddLabelsToIssue
// sends a bare array, which GitHub still takes but no longer describes.
func (f *Forge) addLabels(ctx context.Context, n int, labels []string) ([]*gh.Label, error) {
	u := fmt.Sprintf("repos/%s/%s/issues/%d/labels", url.PathEscape(f.o.Owner), url.PathEscape(f.o.Repo), n)
	req, err := f.rest.NewRequest(http.MethodPost, u, struct {
		Labels []string `json:"labels"`
	}{labels})
	if err != nil {
		return nil, err
	}
	var out []*gh.Label
	_, err = f.rest.Do(ctx, req, &out)
	return out, err
}

// orphan reports whether head, where branch is, is the head of no pull
// request, open or closed (of none since the oldest Migration): pushed by
// a run that was stopped before it opened one. A branch whose pull
// request merged (another run landed the stage) is not one; nor is a
// branch GitHub cannot answer for.
func (f *Forge) orphan(ctx context.Context, branch string, head plumbing.Hash) bool {
	ps, err := f.list(ctx, &gh.PullRequestListOptions{State: "all", Head: f.o.Owner + ":" + branch, Base: f.o.Base}, nil)
	if err != nil {
		return false
	}
	for _, p := range ps {
		// A merged pull request's branch is free: its stage landed, and a
		// wave's stage that some of its workloads reach later comes again
		// on the same branch name. A closed one's head stays, as the
		// person who closed it left it.
		if p.GetState() == "open" || p.GetHead().GetSHA() == head.String() && p.MergedAt == nil && !f.olderThanMigrations(p) {
			return false
		}
	}
	return true
}

// olderThanMigrations reports whether p was made before every Migration
// there is (see PullRequests): a branch left closed by an earlier
// migration of the same name is the current one's to take.
func (f *Forge) olderThanMigrations(p *gh.PullRequest) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return p.GetNumber() < f.older
}

// open returns the open pull request from branch into base, or nil.
func (f *Forge) open(ctx context.Context, branch, base string) (*gh.PullRequest, error) {
	ps, err := f.list(ctx, &gh.PullRequestListOptions{State: "open", Head: f.o.Owner + ":" + branch, Base: base}, nil)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return ps[0], nil
}

// alreadyExists reports whether err is GitHub's 422 for a second pull
// request of the same head and base.
func alreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, "already exists") {
			return true
		}
	}
	return strings.Contains(er.Message, "already exists")
}

// baseMoved returns an error wrapping gitstore.ErrRefMoved when the base
// branch is no longer where the stage commit head was made.
func (f *Forge) baseMoved(ctx context.Context, head plumbing.Hash) (bool, error) {
	c, err := f.repo.CommitObject(head)
	if err != nil || len(c.ParentHashes) == 0 {
		return false, err
	}
	sctx, cancel := f.step(ctx)
	b, _, err := f.rest.Repositories.GetBranch(sctx, f.o.Owner, f.o.Repo, f.o.Base, 1)
	cancel()
	if err != nil {
		return false, f.errorf(err, "github: get branch %s", f.o.Base)
	}
	if at := b.GetCommit().GetSHA(); at != c.ParentHashes[0].String() {
		return true, fmt.Errorf("github: %s is at %.7s, not at %.7s where the stage was made: %w", f.o.Base, at, c.ParentHashes[0].String(), gitstore.ErrRefMoved)
	}
	return false, nil
}

// HeadMovedError is returned by Merge when the pull request's head is not
// the commit ferry pushed: someone else pushed on the branch. It wraps
// gitstore.ErrRefMoved, so the bot skips the stage; the next pass sees
// the foreign commit and waits.
type HeadMovedError struct {
	Number     int
	Head, Want plumbing.Hash
}

func (e *HeadMovedError) Error() string {
	return fmt.Sprintf("pull request #%d is at %s, not at %s that ferry pushed", e.Number, e.Head, e.Want)
}

func (e *HeadMovedError) Unwrap() error { return gitstore.ErrRefMoved }

// Merge enables auto-merge of pr for exactly head, or merges it at once
// when GitHub says it can be merged now; the squash or merge commit gets
// msg. After a merge it fetches the base branch into the local repo.
func (f *Forge) Merge(ctx context.Context, pr *bot.PullRequest, head plumbing.Hash, msg bot.Message) (bool, error) {
	sctx, cancel := f.step(ctx)
	cur, _, err := f.rest.PullRequests.Get(sctx, f.o.Owner, f.o.Repo, pr.Number)
	cancel()
	if err != nil {
		return false, f.errorf(err, "github: get pull request #%d", pr.Number)
	}
	if at := plumbing.NewHash(cur.GetHead().GetSHA()); at != head {
		return false, &HeadMovedError{Number: pr.Number, Head: at, Want: head}
	}
	switch {
	case cur.GetMerged():
		return true, f.fetchBase(ctx)
	case cur.GetState() != "open":
		return false, fmt.Errorf("github: pull request #%d is closed", pr.Number)
	}
	q, err := f.mergeQueue(ctx)
	if err != nil {
		return false, err
	}
	if q.required {
		if cur.GetMergeableState() == "blocked" {
			// A required check has not passed: GitHub would refuse
			// the enqueue, a write of the budget for nothing. A later
			// run queues it.
			return false, nil
		}
		return false, f.enqueue(ctx, cur, head, q)
	}
	method := f.methodOf(pr.Branch)
	if am := cur.GetAutoMerge(); am != nil && strings.EqualFold(am.GetMergeMethod(), method) &&
		am.GetCommitTitle() == msg.Subject && am.GetCommitMessage() == msg.Body {
		// Enabled already as ferry would, and the head is ferry's
		// (checked above): enabling it again would be a write of the
		// budget for nothing.
		return false, nil
	}
	// Mergeable now (every required check passed): GitHub would refuse
	// auto-merge for its clean status, so the mutation would be a write
	// of the budget spent for nothing. Otherwise, auto-merge; a status
	// GitHub had not computed yet is found clean by the mutation.
	if cur.GetMergeableState() != "clean" {
		err = f.enableAutoMerge(ctx, cur.GetNodeID(), method, head, msg)
		switch {
		case err == nil:
			return false, nil
		case strings.Contains(err.Error(), "clean status"):
			// Mergeable now: merge directly.
		case strings.Contains(err.Error(), "Head branch was modified"):
			return false, &HeadMovedError{Number: pr.Number, Want: head}
		default:
			return false, f.errorf(err, "github: enable auto-merge of #%d", pr.Number)
		}
	}
	// A stage is made on the base's head: merged onto a base that moved
	// since (another run landed a stage), its merge would not be the
	// commit ferry sealed, and could apply the stage a second time.
	if moved, err := f.baseMoved(ctx, head); err != nil || moved {
		return false, err
	}
	sctx, cancel = f.step(ctx)
	res, _, err := f.rest.PullRequests.Merge(sctx, f.o.Owner, f.o.Repo, pr.Number, msg.Body, &gh.PullRequestOptions{
		CommitTitle: msg.Subject, SHA: head.String(), MergeMethod: method, DontDefaultIfBlank: true,
	})
	cancel()
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusConflict: // the head moved since the check
			return false, f.errorf(&HeadMovedError{Number: pr.Number, Want: head}, "github: merge #%d: %s", pr.Number, er.Message)
		case http.StatusMethodNotAllowed: // not mergeable (yet): the next run retries
			return false, nil
		}
	}
	if err != nil {
		return false, f.errorf(err, "github: merge #%d", pr.Number)
	}
	if !res.GetMerged() {
		return false, nil
	}
	return true, f.fetchBase(ctx)
}

// mergeQueue is what the base branch's merge queue means to ferry.
type mergeQueue struct {
	required bool   // the base merges only through its merge queue
	method   string // the queue's merge method: MERGE, SQUASH or REBASE
}

// mergeQueue asks GitHub, once per Forge, whether the base branch requires
// a merge queue (a ruleset's merge_queue rule, or branch protection's).
func (f *Forge) mergeQueue(ctx context.Context) (*mergeQueue, error) {
	f.mu.Lock()
	q := f.queue
	f.mu.Unlock()
	if q != nil {
		return q, nil
	}
	var query struct {
		Repository struct {
			MergeQueue *struct {
				Configuration *struct {
					MergeMethod githubv4.PullRequestMergeMethod
				}
			} `graphql:"mergeQueue(branch: $branch)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]any{
		"owner":  githubv4.String(f.o.Owner),
		"name":   githubv4.String(f.o.Repo),
		"branch": githubv4.String(f.o.Base),
	}
	sctx, cancel := f.step(ctx)
	err := f.gql.Query(sctx, &query, vars)
	cancel()
	if err != nil {
		return nil, f.errorf(err, "github: merge queue of %s", f.o.Base)
	}
	q = &mergeQueue{}
	if mq := query.Repository.MergeQueue; mq != nil {
		q.required, q.method = true, string(githubv4.PullRequestMergeMethodMerge)
		if mq.Configuration != nil && mq.Configuration.MergeMethod != "" {
			q.method = string(mq.Configuration.MergeMethod)
		}
	}
	f.mu.Lock()
	f.queue = q
	f.mu.Unlock()
	return q, nil
}

// enqueue adds cur, at exactly head, to the base branch's merge queue
// (enqueuePullRequest with expectedHeadOid), unless it is queued already.
// The queue merges it later; a later run finds it merged. A queue that
// squashes is refused: its squash commit has GitHub's message, not ferry's
// sealed one, so nothing on the base would prove the stage ferry's.
func (f *Forge) enqueue(ctx context.Context, cur *gh.PullRequest, head plumbing.Hash, q *mergeQueue) error {
	if q.method == string(githubv4.PullRequestMergeMethodSquash) {
		return fmt.Errorf("github: the merge queue of %s squashes: its squash commits would not carry ferry's seal, so ferry could not prove a stage its own; set the queue's merge method to merge or rebase", f.o.Base)
	}
	var query struct {
		Node struct {
			PullRequest struct {
				IsInMergeQueue githubv4.Boolean
			} `graphql:"... on PullRequest"`
		} `graphql:"node(id: $id)"`
	}
	sctx, cancel := f.step(ctx)
	err := f.gql.Query(sctx, &query, map[string]any{"id": githubv4.ID(cur.GetNodeID())})
	cancel()
	if err != nil {
		return f.errorf(err, "github: is #%d in the merge queue", cur.GetNumber())
	}
	if query.Node.PullRequest.IsInMergeQueue {
		return nil
	}
	var m struct {
		EnqueuePullRequest struct {
			ClientMutationID githubv4.String
		} `graphql:"enqueuePullRequest(input: $input)"`
	}
	oid := githubv4.GitObjectID(head.String())
	sctx, cancel = f.step(ctx)
	err = f.gql.Mutate(sctx, &m, githubv4.EnqueuePullRequestInput{PullRequestID: githubv4.ID(cur.GetNodeID()), ExpectedHeadOid: &oid}, nil)
	cancel()
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "Head branch was modified"):
		return &HeadMovedError{Number: cur.GetNumber(), Want: head}
	case strings.Contains(err.Error(), "status checks"):
		return nil // not ready: a later run queues it
	}
	return f.errorf(err, "github: enqueue #%d", cur.GetNumber())
}

func (f *Forge) methodOf(branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.method[branch]; ok {
		return m
	}
	return f.o.Method
}

func (f *Forge) enableAutoMerge(ctx context.Context, nodeID, method string, head plumbing.Hash, msg bot.Message) error {
	var m struct {
		EnablePullRequestAutoMerge struct {
			PullRequest struct {
				Number githubv4.Int
			}
		} `graphql:"enablePullRequestAutoMerge(input: $input)"`
	}
	mm := githubv4.PullRequestMergeMethod(strings.ToUpper(method))
	oid := githubv4.GitObjectID(head.String())
	in := githubv4.EnablePullRequestAutoMergeInput{
		PullRequestID:   githubv4.ID(nodeID),
		MergeMethod:     &mm,
		ExpectedHeadOid: &oid,
		CommitHeadline:  githubv4.NewString(githubv4.String(msg.Subject)),
		CommitBody:      githubv4.NewString(githubv4.String(msg.Body)),
	}
	ctx, cancel := f.step(ctx)
	defer cancel()
	return f.gql.Mutate(ctx, &m, in, nil)
}

// fetchBase moves the local repo's base branch to the forge's.
func (f *Forge) fetchBase(ctx context.Context) error {
	ctx, cancel := f.step(ctx)
	defer cancel()
	auth, err := f.gitAuth(ctx)
	if err != nil {
		return err
	}
	return f.errorf(f.repo.Fetch(ctx, f.o.GitURL, auth, f.o.Base), "github: fetch %s", f.o.Base)
}

// Comments returns the bodies of a pull request's comments, oldest first.
func (f *Forge) Comments(ctx context.Context, pr int) ([]string, error) {
	var out []string
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		sctx, cancel := f.step(ctx)
		cs, resp, err := f.rest.Issues.ListComments(sctx, f.o.Owner, f.o.Repo, pr, opt)
		cancel()
		if err != nil {
			return nil, f.errorf(err, "github: list comments of #%d", pr)
		}
		for _, c := range cs {
			out = append(out, c.GetBody())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// Comment adds a comment to a pull request.
func (f *Forge) Comment(ctx context.Context, pr int, body string) error {
	sctx, cancel := f.step(ctx)
	defer cancel()
	if _, _, err := f.rest.Issues.CreateComment(sctx, f.o.Owner, f.o.Repo, pr, &gh.IssueComment{Body: gh.String(body)}); err != nil {
		return f.errorf(err, "github: comment on #%d", pr)
	}
	return nil
}
