package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
)

// Options tune a Bot. The zero value of each field means its default.
type Options struct {
	// Forge carries the pull requests. Required.
	Forge Forge
	// Health gates the stages; nil gates on soak time only.
	Health HealthProvider
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
	// SealKey seals the commits ferry writes (the Ferry-Seal trailer), so
	// that a commit on a ferry branch is known to be ferry's whatever its
	// author field says. By default the repository's own key, in its git
	// directory: right for the local forge; a repository in memory gets
	// one for this process alone, so runs on fresh clones must pass one
	// that lasts (ferry run --forge github takes FERRY_SEAL_KEY).
	SealKey []byte
}

// DefaultAuthor is ferry's identity on the commits it writes.
var DefaultAuthor = object.Signature{Name: "ferry[bot]", Email: "ferry-bot@users.noreply.github.com"}

// Bot carries out plans on one repository.
type Bot struct {
	repo     *gitstore.Store
	opts     Options
	renderer *render.Renderer
}

// New returns a Bot for repo.
func New(repo *gitstore.Store, o Options) (*Bot, error) {
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
	if len(o.SealKey) == 0 && repo != nil {
		key, err := repo.SealKey()
		if errors.Is(err, gitstore.ErrNoSealKey) {
			// A repository in memory lives as long as this process, and
			// so does a key made for it.
			key, err = make([]byte, 32), nil
			_, _ = rand.Read(key)
		}
		if err != nil {
			return nil, fmt.Errorf("bot: no key to seal ferry's commits: %w", err)
		}
		o.SealKey = key
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
	// Failed holds the workloads whose edit could not be made, each with
	// why (their files are bad input, a derived overlay does not build):
	// those workloads stop, the others of the run, and of a wave, go on.
	Failed map[string]error
}

// Report is what a run did.
type Report struct {
	Passes   int
	Outcomes []Outcome
	// Plan is the last plan made.
	Plan *planner.Plan
	// Stopped says why the run ended before a pass found nothing more to
	// do (the forge's rate limit), or is empty.
	Stopped string
}

// Failed returns each workload that a stage of the run could not be made
// for, with the last reason.
func (r *Report) Failed() map[string]error {
	out := map[string]error{}
	for _, o := range r.Outcomes {
		maps.Copy(out, o.Failed)
	}
	return out
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
		if errors.Is(err, ErrRateLimited) {
			// Every later write would be refused too: what landed stays,
			// and the next run goes on from the repo.
			rep.Stopped = err.Error()
			return rep, nil
		}
		if err != nil || once || n == 0 || b.opts.DryRun {
			return rep, err
		}
	}
}
