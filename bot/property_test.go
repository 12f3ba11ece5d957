package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/bot/check"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
)

// TestPropertyRandomSteps drives the bot over generated repos with random
// sequences of steps: a bot run, a human edit on main, a health flip, time
// passing, the forge holding or merging pull requests, a reviewer merging
// ferry's open pull requests, and a pull request closed unmerged. After
// every step each new commit ferry wrote on main must pass check.Change.
// Then, with health good and time passing, every workload must reach the
// end of the Migration, or stop for a reason the random steps explain.
//
// Two kinds of human edit stay off until the bugs the skipped tests below
// show are fixed: see propBreakRule1 and propOddWeights.
func TestPropertyRandomSteps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		shape     string
		workloads int
		seed      int64
	}{
		{fixtures.AppSetHTTPRoute, 6, 1},
		{fixtures.AppSetHTTPRoute, 6, 4},
		{fixtures.FluxExternalDNS, 5, 2},
		{fixtures.FluxExternalDNS, 5, 5},
		{fixtures.ApplicationIstio, 6, 3},
		{fixtures.ApplicationIstio, 4, 6},
	}
	steps := 60
	if testing.Short() {
		steps = 25
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/seed=%d", c.shape, c.seed), func(t *testing.T) {
			t.Parallel()
			p := newPropRun(t, fixtures.GenerateOptions{Shape: c.shape, Workloads: c.workloads, Clusters: 3, Seed: c.seed}, uint64(c.seed)*7919+1)
			start := time.Now()
			for i := 0; i < steps; i++ {
				p.step(i)
			}
			random := time.Since(start)
			p.settle()
			settle := time.Since(start) - random
			p.history()
			t.Logf("random steps %v, settle %v, history %v", random.Round(time.Millisecond), settle.Round(time.Millisecond), (time.Since(start) - random - settle).Round(time.Millisecond))
		})
	}
}

// propHealth is a health provider whose answers the test sets, per workload
// and cluster; Healthy by default, at any commit.
type propHealth struct {
	state map[[2]string]planner.Health
}

func (h *propHealth) Observe(_ context.Context, workload, cluster string, _ plumbing.Hash) (planner.Health, error) {
	if s, ok := h.state[[2]string{workload, cluster}]; ok {
		return s, nil
	}
	return planner.Healthy, nil
}

// propForge is the local forge with pull request numbers, a switch that
// leaves pull requests open instead of merging them, and closing.
type propForge struct {
	*bot.Local
	// hold leaves every pull request open: Merge does nothing.
	hold   bool
	next   int
	number map[string]int // open pull requests by branch
	closed []bot.PullRequest
}

func (f *propForge) num(branch string) int {
	if n, ok := f.number[branch]; ok {
		return n
	}
	f.next++
	f.number[branch] = f.next
	return f.next
}

// PullRequests lists the closed pull requests first, then the open ones,
// as the GitHub forge does.
func (f *propForge) PullRequests(ctx context.Context, before bot.Before) ([]bot.PullRequest, error) {
	open, err := f.Local.PullRequests(ctx, before)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(f.closed)
	live := map[string]bool{}
	for _, pr := range open {
		pr.Number = f.num(pr.Branch)
		live[pr.Branch] = true
		out = append(out, pr)
	}
	for b := range f.number {
		if !live[b] {
			delete(f.number, b) // merged: the next one gets a new number
		}
	}
	return out, nil
}

func (f *propForge) Propose(ctx context.Context, p bot.Proposal) (*bot.PullRequest, error) {
	pr, err := f.Local.Propose(ctx, p)
	if err != nil {
		return nil, err
	}
	pr.Number = f.num(p.Branch)
	return pr, nil
}

func (f *propForge) Merge(ctx context.Context, pr *bot.PullRequest, head plumbing.Hash, msg bot.Message) (bool, error) {
	if f.hold {
		return false, nil
	}
	return f.Local.Merge(ctx, pr, head, msg)
}

// close closes the open pull request of branch without merging it: the
// branch is deleted and the pull request is listed as closed from now on.
func (f *propForge) close(branch string, head plumbing.Hash) error {
	if err := f.Repo.DeleteRef(plumbing.NewBranchReferenceName(branch), head); err != nil {
		return err
	}
	f.closed = append(f.closed, bot.PullRequest{Number: f.num(branch), Branch: branch, Head: head, State: planner.PRClosed})
	delete(f.number, branch)
	return nil
}

var propHealthNames = map[planner.Health]string{planner.Unknown: "unknown", planner.Progressing: "progressing", planner.Healthy: "healthy", planner.Degraded: "degraded"}

var propHuman = object.Signature{Name: "Dana Operator", Email: "dana@music.example.com"}

// propBreakRule1 turns on the human edit that sets every weight of an
// unpinned workload to 0. It is off while TestPropertyPinOfZeroWeights
// is skipped: ferry then pins the workload, and check rejects the pin.
const propBreakRule1 = true

// propOddWeights lets human edits set any weight from 0 to 100. It is off
// while TestPropertyShiftBelowStep is skipped: with a pool that is not a
// multiple of 10 ferry then repeats a shift that changes nothing, and the
// run fails. Off, weights are multiples of 10.
const propOddWeights = true

// weight is a weight a person might set.
func (p *propRun) weight() int {
	if propOddWeights {
		return p.rng.IntN(101)
	}
	return 10 * p.rng.IntN(11)
}

// propRun is one random run over one generated repo.
type propRun struct {
	t      *testing.T
	ctx    context.Context
	seed   uint64
	rng    *rand.Rand
	repo   *gitstore.Store
	clk    *clock
	health *propHealth
	forge  *propForge
	render *render.Renderer
	// workloads as Describe tells, and the clusters.
	workloads []fixtures.GeneratedWorkload
	clusters  []string
	// checked is main's head up to which ferry's commits were checked.
	checked plumbing.Hash
	// excused holds, per workload, why it may end Unexplained: a human edit
	// that broke it or changed it while pinned.
	excused map[string]string
	// degraded holds the workloads that were ever reported Degraded; they
	// may end RolledBack.
	degraded map[string]bool
	// closedPR holds the workloads with a pull request closed unmerged.
	closedPR map[string]bool
	// maxInFlight is the Migration's.
	maxInFlight int
	log         []string
}

func newPropRun(t *testing.T, o fixtures.GenerateOptions, seed uint64) *propRun {
	files, err := fixtures.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := fixtures.Describe(o)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, files)
	clk := &clock{t: epoch}
	p := &propRun{
		t: t, ctx: t.Context(), seed: seed, rng: rand.New(rand.NewPCG(seed, 0xfe77)),
		repo: repo, clk: clk, health: &propHealth{state: map[[2]string]planner.Health{}},
		forge: &propForge{
			Local:  &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now},
			number: map[string]int{},
		},
		render: render.New(), workloads: ws, clusters: []string{"gke-eu-1", "gke-eu-2", "gke-us-1"},
		excused: map[string]string{}, degraded: map[string]bool{}, closedPR: map[string]bool{},
		maxInFlight: 5, // generatedMigration's
	}
	p.checked = p.head()
	return p
}

func (p *propRun) logf(format string, args ...any) {
	p.log = append(p.log, fmt.Sprintf("%s "+format, append([]any{p.clk.t.Sub(epoch).Truncate(time.Minute)}, args...)...))
}

// fatalf stops the run with the seed and the steps that led here.
func (p *propRun) fatalf(format string, args ...any) {
	p.t.Helper()
	log := p.log
	if len(log) > 120 {
		log = log[len(log)-120:]
	}
	p.t.Fatalf("rng seed %d: %s\nlast %d of %d steps:\n  %s", p.seed, fmt.Sprintf(format, args...), len(log), len(p.log), strings.Join(log, "\n  "))
}

func (p *propRun) head() plumbing.Hash {
	p.t.Helper()
	h, err := p.repo.Resolve(plumbing.NewBranchReferenceName("main").String())
	if err != nil {
		p.t.Fatal(err)
	}
	return h
}

// step takes one random step, then checks ferry's new commits on main.
func (p *propRun) step(i int) {
	p.t.Helper()
	switch r := p.rng.IntN(100); {
	case r < 35:
		p.run(i)
	case r < 50:
		p.humanEdit(i)
	case r < 65:
		w := p.workloads[p.rng.IntN(len(p.workloads))].Name
		c := p.clusters[p.rng.IntN(len(p.clusters))]
		s := []planner.Health{planner.Healthy, planner.Healthy, planner.Progressing, planner.Degraded}[p.rng.IntN(4)]
		p.health.state[[2]string{w, c}] = s
		if s == planner.Degraded {
			p.degraded[w] = true
		}
		p.logf("health: %s on %s is %s", w, c, propHealthNames[s])
	case r < 87:
		d := time.Duration(1+p.rng.IntN(40)) * time.Minute
		p.clk.t = p.clk.t.Add(d)
		p.logf("time: +%v", d)
	case r < 92:
		p.forge.hold = !p.forge.hold
		p.logf("forge: hold %v", p.forge.hold)
	case r < 97:
		p.review()
	default:
		p.closePR()
	}
	p.checkNew()
}

// run runs the bot once.
func (p *propRun) run(i int) *bot.Report {
	p.t.Helper()
	b, err := bot.New(p.repo, bot.Options{Forge: p.forge, Health: p.health, Now: p.clk.Now, Renderer: p.render})
	if err != nil {
		p.t.Fatal(err)
	}
	rep, err := b.Run(p.ctx, true)
	if err != nil {
		p.fatalf("step %d: bot run: %v", i, err)
	}
	var did []string
	for _, o := range rep.Outcomes {
		s := o.Action.Workload + ":" + o.Action.Stage.String()
		switch {
		case o.Skipped != "":
			s += "(skipped)"
		case o.Merged:
			s += "(merged)"
		default:
			s += fmt.Sprintf("(PR #%d open)", o.PR)
		}
		did = append(did, s)
	}
	p.logf("run: %s", strings.Join(did, " "))
	for _, e := range rep.Plan.Entries {
		if e.Phase == planner.Unexplained && p.excused[e.Workload] == "" {
			p.fatalf("step %d: %s is unexplained (%s) though no human edit broke it", i, e.Workload, e.Wait)
		}
	}
	return rep
}

// checkNew checks every commit ferry wrote on main since the last check.
func (p *propRun) checkNew() {
	p.t.Helper()
	head := p.head()
	if head == p.checked {
		return
	}
	hs, err := check.FirstParents(p.ctx, p.repo, p.checked, head)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, h := range hs {
		c, err := p.repo.CommitObject(h)
		if err != nil {
			p.t.Fatal(err)
		}
		if c.Author.Email != bot.DefaultAuthor.Email {
			continue
		}
		vs, err := check.Change(p.ctx, p.repo, c.ParentHashes[0], h, p.render)
		if err != nil {
			p.fatalf("check %s (%s): %v", propShort(h), propSubject(c), err)
		}
		if len(vs) > 0 {
			p.fatalf("ferry's commit %s (%s) breaks invariants:\n%s", propShort(h), propSubject(c), propViolations(vs))
		}
	}
	p.checked = head
}

// tree loads main's tree.
func (p *propRun) tree() (plumbing.Hash, *gitops.Repo, map[string]*gitops.State) {
	p.t.Helper()
	head := p.head()
	fsys, err := p.repo.FS(head)
	if err != nil {
		p.t.Fatal(err)
	}
	g, err := gitops.Load(fsys)
	if err != nil {
		p.fatalf("load main: %v", err)
	}
	states := map[string]*gitops.State{}
	for _, w := range g.Workloads {
		st, err := g.ReadState(w)
		if err != nil {
			p.fatalf("state of %s: %v", w.Name, err)
		}
		states[w.Name] = st
	}
	return head, g, states
}

// humanEdit commits a person's change on main: a README, weights that keep
// the invariants on an unpinned workload, or weights that break them (all
// zero, or any change of a pinned workload).
func (p *propRun) humanEdit(i int) {
	p.t.Helper()
	head, g, states := p.tree()
	kind := p.rng.IntN(4)
	if kind == 2 && !propBreakRule1 {
		kind = 1
	}
	if kind == 0 {
		p.commitHuman(i, head, []gitstore.Change{{Path: "README.md", Data: fmt.Appendf(nil, "# Deployment repo\n\nEdited at step %d.\n", i)}}, "Update README", true)
		return
	}
	var names []string
	for _, name := range slices.Sorted(maps.Keys(states)) {
		st := states[name]
		if st.Weights == nil {
			continue
		}
		if (kind == 3) == (st.PinnedBy != "") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		p.logf("human: nothing to edit")
		return
	}
	name := names[p.rng.IntN(len(names))]
	st := states[name]
	weights := map[string]int{}
	serving := func(c string) bool {
		_, o := st.Overlays[c]
		_, r := st.Registrations[c]
		return o && r
	}
	var keep bool
	switch kind {
	case 1: // any weights on serving clusters, one of them > 0
		var on []string
		for _, c := range slices.Sorted(maps.Keys(st.Weights)) {
			weights[c] = 0
			if serving(c) {
				weights[c] = p.weight()
				on = append(on, c)
			}
		}
		if len(on) == 0 {
			p.logf("human: %s serves nowhere", name)
			return
		}
		for c := on[p.rng.IntN(len(on))]; weights[c] == 0; {
			weights[c] = p.weight()
		}
		keep = true
	case 2: // all zero: breaks rule 1
		for c := range st.Weights {
			weights[c] = 0
		}
		p.excused[name] = "human set every weight to 0"
	case 3: // a pinned workload: breaks rule 5
		for c, v := range st.Weights {
			weights[c] = v
			if serving(c) {
				weights[c] = p.weight()
			}
		}
		p.excused[name] = "human changed its weights while pinned"
	}
	w, _ := g.Workload(name)
	e, err := g.WeightsEdit(w, weights)
	if errors.Is(err, gitops.ErrNoChange) {
		p.logf("human: %s already at %v", name, weights)
		return
	}
	if err != nil {
		p.fatalf("step %d: weights edit of %s to %v: %v", i, name, weights, err)
	}
	p.commitHuman(i, head, e.Changes, fmt.Sprintf("Set the weights of %s to %v", name, weights), keep)
}

// commitHuman commits changes on main as a person would, without trailers.
// A change meant to keep the invariants is checked too.
func (p *propRun) commitHuman(i int, head plumbing.Hash, changes []gitstore.Change, msg string, keep bool) {
	p.t.Helper()
	sig := propHuman
	sig.When = p.clk.t
	h, err := p.repo.Commit(p.ctx, head, changes, gitstore.CommitMeta{Author: sig, Message: msg + "\n"})
	if errors.Is(err, gitstore.ErrEmptyCommit) {
		p.logf("human: %s: no change", msg)
		return
	}
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.repo.UpdateRef(plumbing.NewBranchReferenceName("main"), head, h); err != nil {
		p.t.Fatal(err)
	}
	p.logf("human: %s (%s)", msg, propShort(h))
	if !keep {
		return
	}
	vs, err := check.Change(p.ctx, p.repo, head, h, p.render)
	if err != nil || len(vs) > 0 {
		p.fatalf("step %d: a human edit meant to keep the invariants does not: %v\n%s", i, err, propViolations(vs))
	}
}

// review merges ferry's open pull requests as a reviewer would.
func (p *propRun) review() {
	p.t.Helper()
	prs, err := p.forge.PullRequests(p.ctx, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	var did []string
	for _, pr := range prs {
		if pr.State != planner.PROpen {
			continue
		}
		c, err := p.repo.CommitObject(pr.Head)
		if err != nil {
			p.t.Fatal(err)
		}
		_, err = p.forge.Local.Merge(p.ctx, &pr, pr.Head, bot.Message{Subject: strings.TrimSuffix(c.Message, "\n")})
		switch {
		case errors.Is(err, gitstore.ErrRefMoved): // behind: ferry regenerates it
			did = append(did, pr.Branch+"(behind)")
		case err != nil:
			p.fatalf("review %s: %v", pr.Branch, err)
		default:
			did = append(did, pr.Branch+"(merged)")
		}
	}
	p.logf("review: %s", strings.Join(did, " "))
}

// closePR closes one of ferry's open pull requests unmerged.
func (p *propRun) closePR() {
	p.t.Helper()
	prs, err := p.forge.PullRequests(p.ctx, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	var open []bot.PullRequest
	for _, pr := range prs {
		if pr.State == planner.PROpen {
			open = append(open, pr)
		}
	}
	if len(open) == 0 {
		p.logf("close: no open pull request")
		return
	}
	pr := open[p.rng.IntN(len(open))]
	if err := p.forge.close(pr.Branch, pr.Head); err != nil {
		p.t.Fatal(err)
	}
	p.closedPR[strings.Split(pr.Branch, "/")[2]] = true
	p.logf("close: PR #%d %s", pr.Number, pr.Branch)
}

// settle makes health good and lets time pass until nothing moves, then
// checks that every workload reached the end or stopped for a reason the
// random steps explain.
func (p *propRun) settle() {
	p.t.Helper()
	clear(p.health.state)
	p.forge.hold = false
	p.logf("settle: all healthy, forge merges")
	var plan *planner.Plan
	for i := 0; i < 60; i++ {
		b, err := bot.New(p.repo, bot.Options{Forge: p.forge, Health: p.health, Now: p.clk.Now, Renderer: p.render})
		if err != nil {
			p.t.Fatal(err)
		}
		rep, err := b.Run(p.ctx, false)
		if err != nil {
			p.fatalf("settle %d: bot run: %v", i, err)
		}
		p.logf("settle %d: merged %d", i, rep.Merged())
		p.checkNew()
		plan = rep.Plan
		if p.stopped(plan) == nil {
			break
		}
		p.clk.t = p.clk.t.Add(31 * time.Minute)
	}
	if bad := p.stopped(plan); bad != nil {
		var sb strings.Builder
		plan.WriteText(&sb)
		p.fatalf("with health good and time passing, %s did not reach the end:\n%s", strings.Join(bad, "; "), sb.String())
	}
	var sb strings.Builder
	plan.WriteText(&sb)
	kinds := map[string]int{}
	for _, l := range p.log {
		k, _, _ := strings.Cut(strings.SplitN(l, " ", 2)[1], ":")
		kinds[k]++
	}
	p.t.Logf("rng seed %d, %d log lines %v, excused %v, final plan:\n%s", p.seed, len(p.log), kinds, p.excused, sb.String())
}

// stopped returns the entries of plan that have not reached an end the
// random steps explain.
// waits reports whether e waits on a gate of kind k.
func waits(e planner.Entry, k planner.GateKind) bool { return e.Wait != nil && e.Wait.Kind == k }

func (p *propRun) stopped(plan *planner.Plan) []string {
	// Workloads that hold an in-flight slot for good (a rolled back one
	// holds none: see TestPropertyRolledBackTakesNoSlot).
	stuck := 0
	for _, e := range plan.Entries {
		if e.Phase == planner.Unexplained || waits(e, planner.GateClosed) {
			stuck++
		}
	}
	var bad []string
	for _, e := range plan.Entries {
		switch {
		case e.Next != nil:
		case e.Phase == planner.Done:
			continue
		case waits(e, planner.GateMaxInFlight):
			if stuck >= p.maxInFlight {
				continue
			}
		case waits(e, planner.GateValidation):
			continue
		case e.Phase == planner.RolledBack && (p.degraded[e.Workload] || p.excused[e.Workload] != ""):
			continue
		case e.Phase == planner.Unexplained && p.excused[e.Workload] != "":
			continue
		case waits(e, planner.GateClosed) && p.closedPR[e.Workload]:
			continue
		}
		s := fmt.Sprintf("%s %v", e.Workload, e.Phase)
		if e.Next != nil {
			s += " next " + e.Next.Stage.String()
		} else {
			s += fmt.Sprint(" wait ", e.Wait)
		}
		if why := p.excused[e.Workload]; why != "" {
			s += " (" + why + ")"
		}
		bad = append(bad, s)
	}
	return bad
}

// history checks main's whole history: every commit ferry wrote passes;
// a person's commit may break an invariant, and the check goes on after it.
func (p *propRun) history() {
	p.t.Helper()
	head := p.head()
	since := plumbing.ZeroHash
	for {
		f, err := check.History(p.ctx, p.repo, since, head, p.render)
		if err != nil {
			p.fatalf("history: %v", err)
		}
		if f == nil {
			return
		}
		c, err := p.repo.CommitObject(f.Commit)
		if err != nil {
			p.t.Fatal(err)
		}
		if c.Author.Email == bot.DefaultAuthor.Email {
			p.fatalf("history: ferry's commit %s (%s) breaks invariants:\n%s", propShort(f.Commit), f.Subject, propViolations(f.Violations))
		}
		since = f.Commit
	}
}

func propShort(h plumbing.Hash) string { return h.String()[:7] }

func propSubject(c *object.Commit) string {
	s, _, _ := strings.Cut(c.Message, "\n")
	return s
}

func propViolations(vs []check.Violation) string {
	var sb strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&sb, "  %s [%s]\n", v, v.Workload)
	}
	return sb.String()
}

// humanSetsWeights commits, as a person, every weight of the first
// workload with traffic on one cluster and no GPU set to weight (keep as
// commitHuman takes it), and returns the workload.
func (p *propRun) humanSetsWeights(weight int, keep bool) string {
	p.t.Helper()
	head, g, states := p.tree()
	var name string
	for _, w := range p.workloads {
		if w.Traffic && !w.GPU && len(w.Clusters) == 1 {
			name = w.Name
			break
		}
	}
	weights := map[string]int{}
	for c := range states[name].Weights {
		weights[c] = weight
	}
	w, _ := g.Workload(name)
	e, err := g.WeightsEdit(w, weights)
	if err != nil {
		p.t.Fatal(err)
	}
	p.commitHuman(0, head, e.Changes, fmt.Sprintf("Set the weights of %s to %v", name, weights), keep)
	return name
}

// TestPropertyPinOfZeroWeights: a person sets every weight of an unpinned
// workload to 0 (rule 1 broken on main). ferry must not then write a commit
// that check rejects; it pins the workload and check rejects the pin.
func TestPropertyPinOfZeroWeights(t *testing.T) {
	t.Parallel()
	p := newPropRun(t, fixtures.GenerateOptions{Shape: fixtures.AppSetHTTPRoute, Workloads: 4, Clusters: 3, Seed: 1}, 1)
	name := p.humanSetsWeights(0, false)
	p.excused[name] = "human set every weight to 0"
	p.checked = p.head()
	p.run(1)
	p.checkNew()
}

// TestPropertyRolledBackTakesNoSlot: with maxInFlight 1, once the first
// workload is rolled back (unpinned, back on the source) the next one must
// move. bot.validate hands the rolled back workload, which the planner never
// pins again, the one free slot, and the next waits "not validated yet"
// for good.
func TestPropertyRolledBackTakesNoSlot(t *testing.T) {
	t.Parallel()
	p := newPropRun(t, fixtures.GenerateOptions{Shape: fixtures.AppSetHTTPRoute, Workloads: 6, Clusters: 3, Seed: 1}, 2)
	p.maxInFlight = 1
	const name = "migrations/eu-1-to-eu-2.yaml"
	head := p.head()
	fsys, err := p.repo.FS(head)
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "maxInFlight: 5", "maxInFlight: 1", 1))
	p.commitHuman(0, head, []gitstore.Change{{Path: name, Data: data}}, "Move one workload at a time", false)
	var first string
	for _, w := range p.workloads {
		if w.Traffic && !w.GPU {
			first = w.Name
			break
		}
	}
	var plan *planner.Plan
	for i := 0; i < 80; i++ {
		plan = p.run(i).Plan
		p.checkNew()
		for _, e := range plan.Entries {
			if e.Workload == first && e.Phase == planner.Shifting && !p.degraded[first] {
				p.health.state[[2]string{first, "gke-eu-2"}] = planner.Degraded
				p.degraded[first] = true
				p.logf("health: %s on gke-eu-2 is degraded", first)
			}
			if e.Workload == first && e.Phase == planner.RolledBack {
				clear(p.health.state)
			}
		}
		if p.degraded[first] && p.stopped(plan) == nil {
			return
		}
		p.clk.t = p.clk.t.Add(31 * time.Minute)
	}
	var sb strings.Builder
	plan.WriteText(&sb)
	p.fatalf("after %s was rolled back, %s did not reach the end:\n%s", first, strings.Join(p.stopped(plan), "; "), sb.String())
}

// TestPropertyShiftBelowStep: a person sets the only weight of an unpinned
// workload to 32, which keeps every invariant. shift-10 then gives the
// target round(3.2) = 3 of the pool of 32, a share of 9%, so the planner
// proposes shift-10 again with the same weights; the edit changes nothing
// and the run fails, for every workload, at every run.
func TestPropertyShiftBelowStep(t *testing.T) {
	t.Parallel()
	p := newPropRun(t, fixtures.GenerateOptions{Shape: fixtures.AppSetHTTPRoute, Workloads: 4, Clusters: 3, Seed: 1}, 3)
	p.humanSetsWeights(32, true)
	var plan *planner.Plan
	for i := 0; i < 40; i++ {
		plan = p.run(i).Plan
		p.checkNew()
		if p.stopped(plan) == nil {
			return
		}
		p.clk.t = p.clk.t.Add(31 * time.Minute)
	}
	var sb strings.Builder
	plan.WriteText(&sb)
	p.fatalf("%s did not reach the end:\n%s", strings.Join(p.stopped(plan), "; "), sb.String())
}
