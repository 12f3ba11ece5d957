package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// Pass observes, plans, and carries out each action once. It returns how
// many stages it merged.
func (b *Bot) Pass(ctx context.Context, rep *Report) (int, *planner.Plan, error) {
	s, err := b.Observe(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := b.hold(ctx, s); err != nil {
		return 0, s.Plan, err
	}
	if err := b.explainWaits(ctx, s); err != nil {
		return 0, s.Plan, err
	}
	merged := 0
	for _, acts := range b.groups(s) {
		if err := ctx.Err(); err != nil {
			return merged, s.Plan, err
		}
		var out Outcome
		if len(acts) == 1 {
			out, err = b.carry(ctx, s, acts[0])
		} else {
			out, err = b.carryWave(ctx, s, acts)
		}
		if err != nil {
			return merged, s.Plan, fmt.Errorf("%s: %s: %w", strings.Join(workloadsOf(acts), ", "), acts[0].Stage, err)
		}
		b.progress(out)
		rep.Outcomes = append(rep.Outcomes, out)
		if out.Merged {
			merged++
		}
	}
	return merged, s.Plan, nil
}

// Edit computes the change of action a on the snapshot's tree.
func (b *Bot) Edit(ctx context.Context, s *Snapshot, a planner.Action) (*gitops.Edit, error) {
	w, ok := s.Repo.Workload(a.Workload)
	if !ok {
		return nil, fmt.Errorf("workload %s is gone", a.Workload)
	}
	switch a.Stage.Kind {
	case planner.Pin:
		return s.Repo.PinEdit(w, a.Migration)
	case planner.Unpin:
		return s.Repo.UnpinEdit(w, a.Migration)
	case planner.Deploy:
		return s.Repo.DeployEdit(ctx, w, a.From, a.To)
	case planner.Shift, planner.Rollback:
		return s.Repo.WeightsEdit(w, a.Weights)
	case planner.Cleanup:
		return s.Repo.RemoveEdit(ctx, w, []string{a.From})
	case planner.Undeploy:
		return s.Repo.RemoveEdit(ctx, w, a.To)
	}
	return nil, fmt.Errorf("no edit for stage %s", a.Stage)
}

// carry makes one stage: the edit regenerated from the current base, one
// commit with the trailers on the stage's branch, the pull request, and
// the merge (or auto-merge) of exactly that commit.
func (b *Bot) carry(ctx context.Context, s *Snapshot, a planner.Action) (Outcome, error) {
	out := Outcome{Action: a, Branch: Branch(&a)}
	edit, err := b.Edit(ctx, s, a)
	if errors.Is(err, gitops.ErrNoChange) {
		out.Skipped = "the stage changes nothing in the tree as it is now"
		return out, nil
	}
	if err != nil {
		// The edit reads only the workload's files: what stops it stops
		// this workload, not the run.
		out.Failed = map[string]error{a.Workload: err}
		return out, nil
	}
	msg := b.message(s, a, edit)
	if b.opts.DryRun {
		return out, nil
	}
	return b.land(ctx, s, out, edit.Changes, msg, func() string { return b.body(s, a, edit) })
}

// land commits changes on the base's head with msg, publishes the commit
// on out.Branch, proposes it and merges exactly that commit.
func (b *Bot) land(ctx context.Context, s *Snapshot, out Outcome, changes []gitops.Change, msg Message, body func() string) (Outcome, error) {
	sig := b.opts.Author
	sig.When = b.now()
	draft, err := b.repo.Commit(ctx, s.Base, changes, gitstore.CommitMeta{Author: sig, Message: msg.String()})
	if err != nil {
		return out, err
	}
	// The seal covers the parent, the tree and the message: commit once
	// for the tree, then the sealed commit on it. The merge on the forge
	// keeps tree, parent and message, and so the seal.
	dc, err := b.repo.CommitObject(draft)
	if err != nil {
		return out, err
	}
	msg.Body = convention.WithSeal(msg.Body, convention.Seal(b.opts.SealKey, s.Base.String(), dc.TreeHash.String(), msg.String()))
	commit, err := b.repo.CommitTree(ctx, dc.TreeHash, dc.ParentHashes, gitstore.CommitMeta{Author: sig, Message: msg.String()})
	if err != nil {
		return out, err
	}
	out.Commit = commit
	var old plumbing.Hash
	if pr, ok := s.PRs[out.Branch]; ok && pr.State == planner.PROpen {
		old = pr.Head
		out.PR = pr.Number
		if b.same(pr.Head, commit) && b.ours(pr) {
			commit, out.Commit = pr.Head, pr.Head // already pushed: keep it
		} else if !b.ours(pr) {
			out.Skipped = fmt.Sprintf("the branch has a commit ferry did not write (%s)", short(pr.Head))
			return out, nil
		}
	}
	if old != commit {
		if err := b.opts.Forge.Publish(ctx, out.Branch, old, commit); err != nil {
			if errors.Is(err, gitstore.ErrRefMoved) {
				out.Skipped = movedWhy(err, "the branch moved under another run; the next pass regenerates it")
				return out, nil
			}
			return out, err
		}
	}
	p := Proposal{
		Branch: out.Branch, Base: b.opts.Base, Head: commit, Title: msg.Subject,
		Labels: s.Repo.Config.PullRequests.Labels, Method: s.Repo.Config.PullRequests.MergeMethod,
	}
	if b.opts.Forge.Capabilities().Descriptions {
		p.Body = body()
	}
	pr, err := b.opts.Forge.Propose(ctx, p)
	if err != nil {
		if errors.Is(err, gitstore.ErrRefMoved) {
			out.Skipped = movedWhy(err, "the base moved; the next pass regenerates the stage")
			return out, nil
		}
		return out, err
	}
	out.PR = pr.Number
	if cfg := s.Repo.Config.PullRequests.AutoMerge; cfg != nil && !*cfg {
		return out, nil
	}
	merged, err := b.opts.Forge.Merge(ctx, pr, commit, msg)
	if err != nil {
		if errors.Is(err, gitstore.ErrRefMoved) {
			out.Skipped = movedWhy(err, "the base moved; the next pass regenerates the stage")
			return out, nil
		}
		return out, err
	}
	out.Merged = merged
	if merged {
		if err := b.advance(s); err != nil {
			return out, err
		}
	}
	return out, nil
}

// movedWhy says why a ref was not where ferry expected it: why, or the
// lock file another writer (or a dead one) holds, so a stall is never
// silent.
func movedWhy(err error, why string) string {
	var le *gitstore.LockError
	if errors.As(err, &le) {
		return le.Error() + "; the next pass tries again"
	}
	return why
}

// same reports whether two commits make the same change: same tree, same
// parent.
func (b *Bot) same(x, y plumbing.Hash) bool {
	cx, err1 := b.repo.CommitObject(x)
	cy, err2 := b.repo.CommitObject(y)
	if err1 != nil || err2 != nil {
		return false
	}
	return cx.TreeHash == cy.TreeHash && len(cx.ParentHashes) == 1 && len(cy.ParentHashes) == 1 && cx.ParentHashes[0] == cy.ParentHashes[0]
}

// advance moves the snapshot to the base branch's new head after a merge,
// so the next stage is regenerated from it. The plan stays: each action
// touches only its own workload's files.
func (b *Bot) advance(s *Snapshot) error {
	base, err := b.repo.Resolve(plumbing.NewBranchReferenceName(b.opts.Base).String())
	if err != nil || base == s.Base {
		return err
	}
	fsys, err := b.repo.FS(base)
	if err != nil {
		return err
	}
	s.Base, s.Repo = base, s.Repo.At(fsys)
	return nil
}

// hold turns auto-merge off on each open pull request whose head ferry
// did not write, so the forge never merges it by itself, and closes each
// of ferry's that another merge of its stage superseded.
func (b *Bot) hold(ctx context.Context, s *Snapshot) error {
	if b.opts.DryRun {
		return nil
	}
	for _, pr := range s.superseded {
		if err := b.opts.Forge.Close(ctx, &pr, "ferry: this stage has landed through another pull request (two ferry runs at once), so this one is closed unmerged."); err != nil {
			return err
		}
	}
	if !b.opts.Forge.Capabilities().AutoMerge {
		return nil
	}
	for _, pr := range s.foreign {
		if !pr.AutoMerge {
			continue
		}
		if err := b.opts.Forge.Hold(ctx, &pr, holdComment(pr)); err != nil {
			return err
		}
	}
	return nil
}

// explainWaits comments on each pull request that pauses its workload (it
// was closed unmerged, or its head is a commit ferry did not write), once,
// saying how to resume.
func (b *Bot) explainWaits(ctx context.Context, s *Snapshot) error {
	if !b.opts.Forge.Capabilities().Comments || b.opts.DryRun {
		return nil
	}
	for _, e := range s.Plan.Entries {
		pr := e.BlockedBy
		if pr == nil {
			continue
		}
		n := pr.Number
		why := pauseComment(e, pr)
		if why == "" {
			continue // held by a label a person put there: nothing to explain
		}
		comments, err := b.opts.Forge.Comments(ctx, n)
		if err != nil {
			return err
		}
		if len(comments) > 0 && strings.Contains(comments[len(comments)-1], pauseMarker) {
			continue // said already, and nobody spoke since
		}
		if err := b.opts.Forge.Comment(ctx, n, why); err != nil {
			return err
		}
	}
	return nil
}
