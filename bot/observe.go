package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/gitops/traffic"
	"github.com/ferry-dev/ferry/planner"
)

// HealthProvider reports how a workload runs on a cluster: the state of
// the cluster's copy of the workload, if the cluster runs commit or a later
// one; Unknown or Progressing when it does not yet.
type HealthProvider interface {
	Observe(ctx context.Context, workload, cluster string, commit plumbing.Hash) (planner.Health, error)
}

// Snapshot is what the bot saw at the base branch's head: the deployment
// repo there, the workloads' states, the planner's input and its plan.
type Snapshot struct {
	Base   plumbing.Hash
	Repo   *gitops.Repo
	States map[string]*gitops.State
	Input  planner.Input
	Plan   *planner.Plan
	// PRs are the forge's ferry pull requests, by branch.
	PRs map[string]PullRequest

	validated map[string]bool // the workloads validated for a pin
	// foreign are the open pull requests whose head is not a commit ferry
	// wrote for them.
	foreign []PullRequest
	// superseded are ferry's open pull requests of a stage that has
	// landed through another commit (two runs at once): closed, not
	// planned with.
	superseded []PullRequest
}

// Events reads ferry's stage commits from the first-parent history of
// from, oldest first: those sealed with key (see convention.Seal). A
// commit with ferry's trailers and no valid seal is someone's text, not a
// stage.
func Events(ctx context.Context, repo *gitstore.Store, from plumbing.Hash, key []byte) ([]planner.Event, error) {
	return EventsSince(ctx, repo, from, nil, key)
}

// EventsSince is Events back to where the first of the Migration files
// named appeared: no stage of a Migration comes before its file, so the
// walk costs the Migrations' history, not the repo's. With no file named
// it walks the whole history.
func EventsSince(ctx context.Context, repo *gitstore.Store, from plumbing.Hash, migrations []string, key []byte) ([]planner.Event, error) {
	out, _, err := eventsWindow(ctx, repo, from, migrations, key)
	return out, err
}

// beforeDepth is how many commits before the oldest Migration's a Before
// knows: a pull request merged further back does not end the forge's
// list, which then goes on to an older one or to the end.
const beforeDepth = 100

// eventsWindow is EventsSince, also returning the Before of its window:
// the commit where the oldest Migration file appeared and the first
// parents before it. It is nil when no file is named, or the history (a
// shallow clone's) ends before a commit without every Migration file:
// where they appeared is then not known.
func eventsWindow(ctx context.Context, repo *gitstore.Store, from plumbing.Hash, migrations []string, key []byte) ([]planner.Event, Before, error) {
	var out []planner.Event
	var first, prior *object.Commit // the oldest commit with a Migration file; the one before it
	err := repo.Log(ctx, from, func(c *object.Commit) error {
		if len(migrations) > 0 && !holdsAny(c, migrations) {
			prior = c
			return gitstore.ErrStop // before every Migration there is now
		}
		first = c
		// The stage is c, sealed, or the sealed stage a reviewer's merge
		// brings in; it happened when c did.
		stage, ok := convention.StageOf(repo, c, key)
		if !ok {
			return nil
		}
		es := eventsOf(stage)
		for i := range es {
			es[i].Commit, es[i].Time = c.Hash.String(), c.Committer.When
		}
		slices.Reverse(es) // reversed again below with the whole history
		out = append(out, es...)
		return nil
	})
	slices.Reverse(out)
	if err != nil || prior == nil || first == nil {
		return out, nil, err
	}
	landed := map[plumbing.Hash]bool{first.Hash: true}
	n := 0
	err = repo.Log(ctx, prior.Hash, func(c *object.Commit) error {
		landed[c.Hash] = true
		if n++; n == beforeDepth {
			return gitstore.ErrStop
		}
		return nil
	})
	return out, func(merge plumbing.Hash) bool { return landed[merge] }, err
}

// holdsAny reports whether c's tree has one of the files named.
func holdsAny(c *object.Commit, names []string) bool {
	t, err := c.Tree()
	if err != nil {
		return true // cannot tell: keep walking
	}
	for _, n := range names {
		if _, err := t.FindEntry(n); err == nil {
			return true
		}
	}
	return false
}

// eventsOf returns the stage events a commit records: one per
// Ferry-Workload trailer (a wave's commit has several).
func eventsOf(c *object.Commit) []planner.Event {
	t, ok := convention.ReadTrailers(c.Message)
	if !ok {
		return nil
	}
	st, err := planner.ParseStage(t.Stage)
	if err != nil {
		return nil
	}
	out := make([]planner.Event, len(t.Workloads))
	for i, w := range t.Workloads {
		out[i] = planner.Event{Migration: t.Migration, Workload: w, Stage: st, Commit: c.Hash.String(), Time: c.Committer.When}
	}
	return out
}

// Branch is the branch of a stage: ferry/<migration>/<workload>/<stage>.
func Branch(a *planner.Action) string {
	return convention.Branch(a.Migration, a.Workload, a.Stage)
}

// InShard reports whether workload belongs to shard i of n (0 <= i < n).
func InShard(workload string, i, n int) bool {
	if n <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(workload))
	return int(h.Sum32()%uint32(n)) == i
}

// Observe reads the base branch's head and everything the planner needs,
// and plans.
func (b *Bot) Observe(ctx context.Context) (*Snapshot, error) {
	base, err := b.repo.Resolve(plumbing.NewBranchReferenceName(b.opts.Base).String())
	if err != nil {
		return nil, err
	}
	fsys, err := b.repo.FS(base)
	if err != nil {
		return nil, err
	}
	repo, err := gitops.LoadWith(fsys, gitops.LoadOptions{SkipOwners: true, Renderer: b.renderer})
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Base: base, Repo: repo, States: map[string]*gitops.State{}, PRs: map[string]PullRequest{}}
	in := &s.Input
	in.Now = b.now()
	in.MaxOpen = repo.Config.PullRequests.MaxOpen
	in.Waves = repo.Config.PullRequests.Group == GroupWave
	if b.opts.Forge.Capabilities().MergesAtOnce &&
		(repo.Config.PullRequests.AutoMerge == nil || *repo.Config.PullRequests.AutoMerge) {
		in.MaxOpen = 0 // each pull request is merged as soon as it is made
	}
	in.HealthGate = b.opts.Health != nil && repo.Config.Health.Kind != gitops.HealthNone

	var mine []*gitops.Workload
	for _, w := range repo.Workloads {
		if InShard(w.Name, b.opts.Shard, b.opts.Shards) {
			mine = append(mine, w)
		}
	}
	states, err := repo.ReadStates(mine)
	if err != nil {
		return nil, err
	}
	for i, w := range mine {
		s.States[w.Name] = states[i]
		in.Workloads = append(in.Workloads, WorkloadInput(states[i]))
	}
	in.Migrations = MigrationsInput(repo.Migrations, in.Workloads)
	files := make([]string, len(repo.Migrations))
	for i, m := range repo.Migrations {
		files[i] = m.File
	}
	// Without a Migration no closed pull request matters: each is older
	// than every Migration there will be.
	before := Before(func(plumbing.Hash) bool { return true })
	if len(files) > 0 { // without a Migration, no stage needs its history
		// A shallow clone may end before a pin: then the history is not
		// every stage, and a pin without one proves nothing.
		in.SealedHistory = !b.repo.Shallow()
		if in.History, before, err = eventsWindow(ctx, b.repo, base, files, b.opts.SealKey); err != nil {
			return nil, err
		}
		if in.SealedHistory {
			if err := b.stopHandEdits(ctx, s, in); err != nil {
				return nil, err
			}
		}
	}
	prs, err := b.opts.Forge.PullRequests(ctx, before)
	if err != nil {
		return nil, err
	}
	// A stage merged through a pull request happened when the forge
	// merged it.
	mergedAt := map[string]time.Time{}
	for _, pr := range prs {
		if pr.State == planner.PRMerged && !pr.MergeCommit.IsZero() && !pr.MergedAt.IsZero() {
			mergedAt[pr.MergeCommit.String()] = pr.MergedAt
		}
	}
	for i, e := range in.History {
		if t, ok := mergedAt[e.Commit]; ok {
			in.History[i].Time = t
		}
	}
	landed := map[planner.Event]bool{} // by migration, workload and stage
	for _, e := range in.History {
		landed[planner.Event{Migration: e.Migration, Workload: e.Workload, Stage: e.Stage}] = true
	}
	for _, pr := range prs {
		br, ok := convention.ParseBranch(pr.Branch)
		if !ok {
			continue
		}
		if br.Wave == 0 && pr.State == planner.PROpen && b.ours(pr) && landed[planner.Event{Migration: br.Migration, Workload: br.Workload, Stage: br.Stage}] {
			s.superseded = append(s.superseded, pr)
			continue
		}
		workloads := []string{br.Workload}
		if br.Wave > 0 {
			workloads = nil
			if c, err := b.repo.CommitObject(pr.Head); err == nil {
				t, _ := convention.ReadTrailers(c.Message)
				workloads = t.Workloads
			}
		}
		workloads = slices.DeleteFunc(workloads, func(w string) bool { return !InShard(w, b.opts.Shard, b.opts.Shards) })
		if len(workloads) == 0 {
			continue
		}
		s.PRs[pr.Branch] = pr
		foreign := pr.State == planner.PROpen && !b.ours(pr)
		if foreign {
			s.foreign = append(s.foreign, pr)
		}
		for _, w := range workloads {
			in.PRs = append(in.PRs, planner.PR{Number: pr.Number, Migration: br.Migration, Workload: w, Stage: br.Stage, State: pr.State,
				Held: slices.Contains(pr.Labels, convention.HoldLabel), Foreign: foreign})
		}
	}
	if err := b.validate(ctx, s); err != nil {
		return nil, err
	}
	if in.HealthGate {
		if err := b.observeHealth(ctx, s); err != nil {
			return nil, err
		}
	}
	s.Plan = planner.Make(*in)
	b.explainDeploys(ctx, s)
	return s, nil
}

// explainDeploys attaches to each next deploy the replacements that derive
// its targets, from a trial of the edit: the plan shows them before the
// pull request does. A deploy that cannot be made leaves none; making it
// reports why.
func (b *Bot) explainDeploys(ctx context.Context, s *Snapshot) {
	for i := range s.Plan.Entries {
		a := s.Plan.Entries[i].Next
		if a == nil || a.Stage.Kind != planner.Deploy {
			continue
		}
		w, ok := s.Repo.Workload(a.Workload)
		if !ok {
			continue
		}
		e, err := s.Repo.DeployEdit(ctx, w, a.From, a.To)
		if err != nil {
			continue
		}
		for _, r := range e.Derivation {
			a.Derivation = append(a.Derivation, planner.Replacement{File: r.File, Line: r.Line, Key: r.Key, Old: r.Old, New: r.New, Within: r.Within})
		}
	}
}

// WorkloadInput is what the planner needs of a workload's state.
func WorkloadInput(st *gitops.State) planner.WorkloadState {
	pw := planner.WorkloadState{Name: st.Workload, PinnedBy: st.PinnedBy, Clusters: map[string]planner.Presence{}}
	if st.Unreadable != nil {
		pw.Unreadable = st.Unreadable.Error()
		return pw
	}
	for c := range st.Overlays {
		pw.Clusters[c] = planner.Presence{Overlay: true}
	}
	for c := range st.Registrations {
		p := pw.Clusters[c]
		p.Registration = true
		pw.Clusters[c] = p
	}
	if st.Weights != nil {
		pw.Weights = map[string]int(st.Weights)
	}
	return pw
}

// MigrationsInput is what the planner needs of the Migrations, each with
// the workloads it selects.
func MigrationsInput(migs []*gitops.Migration, ws []planner.WorkloadState) []planner.Migration {
	out := make([]planner.Migration, 0, len(migs))
	for _, m := range migs {
		pm := planner.Migration{Name: m.Metadata.Name, From: m.Spec.From, To: m.Spec.To, Retire: m.Spec.Retire, Steps: m.Spec.Steps,
			Soak: m.Spec.Soak.Duration, MaxInFlight: m.Spec.MaxInFlight, Paused: m.Spec.Paused, Abort: m.Spec.Abort}
		for _, w := range ws {
			if m.Selects(w.Name) {
				pm.Workloads = append(pm.Workloads, w.Name)
			}
		}
		out = append(out, pm)
	}
	return out
}

// ours reports whether a pull request's head is a commit ferry wrote for
// its branch: signed by ferry's identity, carrying the branch's trailers.
func (b *Bot) ours(pr PullRequest) bool {
	c, err := b.repo.CommitObject(pr.Head)
	if err != nil || len(c.ParentHashes) != 1 {
		return false
	}
	// Only ferry can seal: an author field and trailers anyone can type.
	if !convention.Sealed(b.opts.SealKey, c.ParentHashes[0].String(), c.TreeHash.String(), c.Message) {
		return false
	}
	br, _ := convention.ParseBranch(pr.Branch)
	t, ok := convention.ReadTrailers(c.Message)
	if !ok || c.Author.Email != b.opts.Author.Email || t.Migration != br.Migration || t.Stage != br.Stage.String() {
		return false
	}
	return br.Wave > 0 || (len(t.Workloads) == 1 && t.Workloads[0] == br.Workload)
}

// validate checks each workload a Migration would pin next: every target
// cluster has what its manifests use, nothing shifts its weights at
// runtime, and the derived overlays build. It asks the planner (without the
// health gate) which workloads it would pin, validates those, and asks
// again until no new candidate appears, so a workload that fails frees its
// slot for the next one, and one the planner would not pin anyway (rolled
// back, paused) takes none.
func (b *Bot) validate(ctx context.Context, s *Snapshot) error {
	in := &s.Input
	at := map[string]int{}
	for i, w := range in.Workloads {
		at[w.Name] = i
	}
	migs := map[string]planner.Migration{}
	for _, m := range in.Migrations {
		migs[m.Name] = m
	}
	s.validated = map[string]bool{}
	for {
		probe := *in
		probe.HealthGate = false
		var fresh []planner.Entry
		for _, e := range planner.Make(probe).Entries {
			if e.Next != nil && e.Next.Stage.Kind == planner.Pin && !s.validated[e.Workload] {
				fresh = append(fresh, e)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		for _, e := range fresh {
			problems, err := b.validatePair(ctx, s, e.Workload, migs[e.Migration])
			w := &in.Workloads[at[e.Workload]]
			var ie *gitops.InputError
			var be *render.BuildError
			switch {
			case errors.As(err, &ie), errors.As(err, &be):
				// Its own files are broken: it stops, the others go on.
				w.Unreadable = err.Error()
			case err != nil:
				return err
			}
			w.Problems = append(w.Problems, problems...)
			s.validated[e.Workload] = true
		}
	}
}

func (b *Bot) validatePair(ctx context.Context, s *Snapshot, name string, m planner.Migration) ([]string, error) {
	w, _ := s.Repo.Workload(name)
	var owned *traffic.OwnedError
	if err := s.Repo.Owner(w); errors.As(err, &owned) {
		return []string{err.Error()}, nil
	} else if err != nil {
		return nil, err
	}
	for i := range s.Input.Workloads {
		if ws := &s.Input.Workloads[i]; ws.Name == name {
			m.To = planner.Targets(&m, ws) // a retiring Migration's, for this workload
		}
	}
	var out []string
	for _, t := range m.To {
		problems, err := s.Repo.ValidatePair(ctx, w, m.From, t)
		var ue *render.UnverifiableError
		switch {
		case errors.As(err, &ue) && s.Repo.Config.Validate.Unverifiable == gitops.UnverifiableProceed:
			continue // it moves on health and soak alone; the deploy says so
		case errors.As(err, &ue):
			out = append(out, err.Error()+"; validate.unverifiable: proceed in "+gitops.ConfigFile+" lets it move on health and soak alone")
			continue
		case err != nil:
			return nil, err // a *render.BuildError: the source overlay is broken
		}
		for _, p := range problems {
			out = append(out, p.String())
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// A trial deploy to the targets that lack the workload; one already
	// on every target (active-active) is drained, not deployed.
	st, err := s.Repo.ReadState(w)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, t := range m.To {
		if _, ok := st.Overlays[t]; !ok {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if _, err := s.Repo.DeployEdit(ctx, w, m.From, missing); err != nil {
		out = append(out, err.Error()) // bad input in the workload's files stops it alone
	}
	return out, nil
}

// observeHealth asks the health provider about every cluster of each
// workload a Migration pins (at its last stage commit) and about the source
// of each workload it may pin next.
func (b *Bot) observeHealth(ctx context.Context, s *Snapshot) error {
	in := &s.Input
	last := map[string]string{}
	for _, e := range in.History {
		last[e.Migration+"\x00"+e.Workload] = e.Commit
	}
	for _, m := range in.Migrations {
		for _, w := range in.Workloads {
			if !slices.Contains(m.Workloads, w.Name) && w.PinnedBy != m.Name {
				continue
			}
			commit := s.Base.String()
			clusters := []string{m.From}
			if w.PinnedBy == m.Name {
				if c, ok := last[m.Name+"\x00"+w.Name]; ok {
					commit = c
				}
				clusters = append(clusters, planner.Targets(&m, &w)...)
			} else if len(w.Problems) > 0 || w.PinnedBy != "" || !s.validated[w.Name] {
				continue // only the workloads about to be pinned
			}
			for _, c := range clusters {
				if _, ok := w.Clusters[c]; !ok {
					continue
				}
				h, err := b.opts.Health.Observe(ctx, w.Name, c, plumbing.NewHash(commit))
				o := planner.Observation{Workload: w.Name, Cluster: c, Commit: commit, State: h}
				if err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("health of %s on %s: %w", w.Name, c, err)
					}
					// The provider could not say for this workload: it
					// waits, saying why, and the others go on.
					o = planner.Observation{Workload: w.Name, Cluster: c, Commit: commit, State: planner.Unknown, Err: err.Error()}
				}
				in.Health = append(in.Health, o)
			}
		}
	}
	return nil
}
