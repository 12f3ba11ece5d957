package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Options tune a Bot. The zero value of each field means its default.
type Options struct {
	// Forge carries the pull requests. Required.
	Forge Forge
	// Health gates the stages; nil gates on soak time only.
	Health Health
	// Base is the base branch; "main" by default.
	Base string
	// Author signs ferry's commits; "ferry[bot]" by default.
	Author object.Signature
	// Now is the clock; time.Now by default. The demo's clock is virtual.
	Now func() time.Time
	// Shard and Shards: take only the workloads whose name hashes to shard
	// Shard of Shards.
	Shard, Shards int
	// DryRun prints what would be done and writes nothing.
	DryRun bool
	// Progress receives one line per action; nil for none.
	Progress io.Writer
	// Renderer renders overlays; a new one by default.
	Renderer *render.Renderer
}

// DefaultAuthor is ferry's identity on the commits it writes.
var DefaultAuthor = object.Signature{Name: "ferry[bot]", Email: "ferry-bot@users.noreply.github.com"}

// Bot carries out plans on one repository.
type Bot struct {
	repo     *gitstore.Repo
	opts     Options
	renderer *render.Renderer
}

// New returns a Bot for repo.
func New(repo *gitstore.Repo, o Options) (*Bot, error) {
	if o.Forge == nil {
		return nil, errors.New("bot: no forge")
	}
	if o.Base == "" {
		o.Base = "main"
	}
	if o.Author.Email == "" {
		o.Author = DefaultAuthor
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Shards > 0 && (o.Shard < 0 || o.Shard >= o.Shards) {
		return nil, fmt.Errorf("bot: shard %d of %d", o.Shard, o.Shards)
	}
	r := o.Renderer
	if r == nil {
		r = render.New()
	}
	return &Bot{repo: repo, opts: o, renderer: r}, nil
}

func (b *Bot) now() time.Time { return b.opts.Now() }

// Outcome is what became of one action.
type Outcome struct {
	Action planner.Action
	Branch string
	Commit plumbing.Hash
	PR     int
	// Merged is set when the stage landed on the base branch now.
	Merged bool
	// Workloads are all the workloads of a wave's pull request.
	Workloads []string
	// Skipped says why nothing was done, e.g. another run moved the branch.
	Skipped string
}

// Report is what a run did.
type Report struct {
	Passes   int
	Outcomes []Outcome
	// Plan is the last plan made.
	Plan *planner.Plan
}

// Merged counts the stages that landed.
func (r *Report) Merged() int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Merged {
			n++
		}
	}
	return n
}

// Run makes passes until a pass does nothing more (or once, with once).
// It never waits for a soak: the schedule runs it again.
func (b *Bot) Run(ctx context.Context, once bool) (*Report, error) {
	rep := &Report{}
	for {
		n, plan, err := b.Pass(ctx, rep)
		rep.Passes++
		rep.Plan = plan
		if err != nil || once || n == 0 || b.opts.DryRun {
			return rep, err
		}
	}
}

// Pass observes, plans, and carries out each action once. It returns how
// many stages it merged.
func (b *Bot) Pass(ctx context.Context, rep *Report) (int, *planner.Plan, error) {
	s, err := b.Observe(ctx)
	if err != nil {
		return 0, nil, err
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

func (b *Bot) progress(o Outcome) {
	if b.opts.Progress == nil {
		return
	}
	a := o.Action
	if len(o.Workloads) > 0 {
		a.Workload = strings.Join(o.Workloads, ", ")
	}
	switch {
	case o.Skipped != "":
		fmt.Fprintf(b.opts.Progress, "%s: %s: skipped: %s\n", a.Workload, a.Stage, o.Skipped)
	case b.opts.DryRun:
		fmt.Fprintf(b.opts.Progress, "%s: %s: would commit on %s\n", a.Workload, a.Stage, o.Branch)
	case o.Merged:
		fmt.Fprintf(b.opts.Progress, "%s: %s: merged %s\n", a.Workload, a.Stage, short(o.Commit))
	default:
		fmt.Fprintf(b.opts.Progress, "%s: %s: pull request %s open at %s\n", a.Workload, a.Stage, o.Branch, short(o.Commit))
	}
}

// Edit computes the change of action a on the snapshot's tree.
func (b *Bot) Edit(ctx context.Context, s *Snapshot, a planner.Action) (*gitops.Edit, error) {
	w, ok := s.Repo.Workload(a.Workload)
	if !ok {
		return nil, fmt.Errorf("workload %s is gone", a.Workload)
	}
	switch a.Stage.Kind {
	case planner.Pin:
		return s.Repo.PinEdit(s.FS, w, a.Migration)
	case planner.Unpin:
		return s.Repo.UnpinEdit(s.FS, w, a.Migration)
	case planner.Deploy:
		return s.Repo.DeployEdit(ctx, s.FS, b.renderer, w, a.From, a.To)
	case planner.Shift, planner.Rollback:
		return s.Repo.WeightsEdit(s.FS, w, a.Weights)
	case planner.Cleanup:
		return s.Repo.RemoveEdit(s.FS, w, []string{a.From})
	case planner.Undeploy:
		return s.Repo.RemoveEdit(s.FS, w, a.To)
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
		return out, err
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
	commit, err := b.repo.Commit(ctx, s.Base, changes, gitstore.CommitMeta{Author: sig, Message: msg.String()})
	if err != nil {
		return out, err
	}
	out.Commit = commit
	var old plumbing.Hash
	if pr, ok := s.PRs[out.Branch]; ok && pr.State == planner.PROpen {
		old = pr.Head
		out.PR = pr.Number
		if b.same(pr.Head, commit) {
			commit, out.Commit = pr.Head, pr.Head // already pushed: keep it
		} else if !b.ours(pr) {
			out.Skipped = fmt.Sprintf("the branch has a commit ferry did not write (%s)", short(pr.Head))
			return out, nil
		}
	}
	if old != commit {
		if err := b.opts.Forge.Publish(ctx, out.Branch, old, commit); err != nil {
			if errors.Is(err, gitstore.ErrRefMoved) {
				out.Skipped = "the branch moved under another run; the next pass regenerates it"
				return out, nil
			}
			return out, err
		}
	}
	pr, err := b.opts.Forge.Propose(ctx, Proposal{
		Branch: out.Branch, Base: b.opts.Base, Head: commit, Title: msg.Subject, Body: body(),
		Labels: s.Repo.Config.PullRequests.Labels, Method: s.Repo.Config.PullRequests.MergeMethod,
	})
	if err != nil {
		return out, err
	}
	out.PR = pr.Number
	if cfg := s.Repo.Config.PullRequests.AutoMerge; cfg != nil && !*cfg {
		return out, nil
	}
	merged, err := b.opts.Forge.Merge(ctx, pr, commit, msg)
	if err != nil {
		if errors.Is(err, gitstore.ErrRefMoved) {
			out.Skipped = "the base moved; the next pass regenerates the stage"
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
	s.Base, s.FS = base, fsys
	return nil
}

// pauseMarker ends every comment in which ferry explains a pause, so it
// says so once.
const pauseMarker = "<!-- ferry: paused -->"

// explainWaits comments on each pull request that pauses its workload (it
// was closed unmerged, or its head is a commit ferry did not write), once,
// saying how to resume.
func (b *Bot) explainWaits(ctx context.Context, s *Snapshot) error {
	c, ok := b.opts.Forge.(Commenter)
	if !ok || b.opts.DryRun {
		return nil
	}
	for _, e := range s.Plan.Entries {
		pr := e.BlockedBy
		if pr == nil {
			continue
		}
		n := pr.Number
		var why string
		switch {
		case pr.State == planner.PRClosed:
			why = fmt.Sprintf("ferry paused `%s` in migration `%s`: this pull request was closed without merging, and ferry never opens it again by itself.\n\n"+
				"To resume, reopen this pull request: ferry regenerates it from the base branch on its next run. "+
				"To stop the migration instead, set `spec.paused: true` (or `spec.abort: true` to roll back) in the Migration.", e.Workload, e.Migration)
		case pr.Foreign:
			why = fmt.Sprintf("ferry paused `%s` in migration `%s`: the head of this pull request is a commit ferry did not write, and ferry merges only its own commits.\n\n"+
				"To resume, close this pull request and delete its branch: ferry opens a new one from the base branch. "+
				"To keep the change, make it in a pull request of its own after the migration.", e.Workload, e.Migration)
		default:
			continue // held by a label a person put there: nothing to explain
		}
		comments, err := c.Comments(ctx, n)
		if err != nil {
			return err
		}
		if len(comments) > 0 && strings.Contains(comments[len(comments)-1], pauseMarker) {
			continue // said already, and nobody spoke since
		}
		if err := c.Comment(ctx, n, why+"\n\n"+pauseMarker); err != nil {
			return err
		}
	}
	return nil
}
