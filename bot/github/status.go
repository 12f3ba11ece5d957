package github

import (
	"context"
	"fmt"
	"slices"

	gh "github.com/google/go-github/v62/github"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/planner"
)

// Statuses is the github-status health provider: a cluster's Argo CD (or
// any CI) posts a commit status, or a check run, named Context(workload,
// cluster) on the commit it runs.
//
// A status success is Healthy, pending Progressing, failure or error
// Degraded. Without a status of that context, a check run of that name
// decides: completed with success (or neutral, skipped) is Healthy,
// completed otherwise Degraded, not completed Progressing. Neither is
// Unknown.
type Statuses struct {
	Client      *gh.Client
	Owner, Repo string
	// Context names the status of a workload on a cluster, e.g. from
	// ferry.yaml's health.context "argocd/{workload}-{cluster}".
	Context func(workload, cluster string) string
	// Ref, when set, is the base branch: when commit has neither status
	// nor check run of the context, the ones on Ref's head answer, as the
	// cluster runs a later commit (bot.HealthProvider asks about commit or later).
	Ref string
	// Reporters are the logins whose statuses count, and the Apps (as
	// "<slug>[bot]") whose check runs count; everyone else's are ignored.
	// Empty trusts no one.
	Reporters []string
}

// trusted reports whether login is one of s.Reporters.
func (s *Statuses) trusted(login string) bool {
	return login != "" && slices.Contains(s.Reporters, login)
}

var _ bot.HealthProvider = (*Statuses)(nil)

// Observe reads the health of workload on cluster at commit.
func (s *Statuses) Observe(ctx context.Context, workload, cluster string, commit plumbing.Hash) (planner.Health, error) {
	name := s.Context(workload, cluster)
	h, err := s.at(ctx, name, commit.String())
	if err != nil || h != planner.Unknown || s.Ref == "" {
		return h, err
	}
	return s.at(ctx, name, s.Ref)
}

// at reads the status, or else the check run, named name on ref.
func (s *Statuses) at(ctx context.Context, name, ref string) (planner.Health, error) {
	opt := &gh.ListOptions{PerPage: 100}
	for {
		sts, resp, err := s.Client.Repositories.ListStatuses(ctx, s.Owner, s.Repo, ref, opt)
		if err != nil {
			return planner.Unknown, fmt.Errorf("github: statuses of %s: %w", ref, err)
		}
		for _, st := range sts { // newest first: the first of the context is current
			if st.GetContext() != name || !s.trusted(st.GetCreator().GetLogin()) {
				continue
			}
			switch st.GetState() {
			case "success":
				return planner.Healthy, nil
			case "pending":
				return planner.Progressing, nil
			case "failure", "error":
				return planner.Degraded, nil
			}
			return planner.Unknown, nil
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	runs, _, err := s.Client.Checks.ListCheckRunsForRef(ctx, s.Owner, s.Repo, ref, &gh.ListCheckRunsOptions{
		CheckName: gh.String(name), ListOptions: gh.ListOptions{PerPage: 100},
	})
	if err != nil {
		return planner.Unknown, fmt.Errorf("github: check runs of %s: %w", ref, err)
	}
	for _, r := range runs.CheckRuns { // newest first
		if r.GetName() != name || r.GetApp().GetSlug() == "" || !s.trusted(r.GetApp().GetSlug()+"[bot]") {
			continue
		}
		if r.GetStatus() != "completed" {
			return planner.Progressing, nil
		}
		switch r.GetConclusion() {
		case "success", "neutral", "skipped":
			return planner.Healthy, nil
		}
		return planner.Degraded, nil
	}
	return planner.Unknown, nil
}
