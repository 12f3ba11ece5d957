package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Make derives the Plan for in: one Entry per (Migration, workload) that a
// Migration selects or pins, sorted by Migration then workload, and one
// Entry per workload pinned by a Migration that does not exist.
//
// (The function cannot be called Plan: that name is the type it returns.)
//
// The phase of each workload is derived from the tree (Input.Workloads);
// History is only used for the times and commits that gate soak and health,
// and to tell a workload that is being, or was, rolled back from one that
// never started. Make is deterministic: it never iterates a map unsorted,
// and it does not depend on the order of Migrations, Workloads, Health or
// PRs (History is ordered by definition: oldest first).
//
// Decisions where the contract leaves room:
//
//   - Traffic shares are computed over the pool of the source and the
//     targets only. Other clusters that serve the workload keep their
//     weights; a shift of N% gives the targets round(N% of the pool) and
//     the source the rest. A pool of 0 or 1 cannot express a fraction and
//     is taken as 100. For 0 < N < 100 the targets get at least 1 and the
//     source keeps at least 1, so every shift makes progress.
//   - Share is rounded half up, but is 100 only when the source weight is
//     0 and 0 only when the targets' weights are 0.
//   - The targets' part is split evenly; the remainder goes one each to the
//     first targets in Migration.To order (11 over 3 targets: 4, 4, 3).
//   - A stage made by hand has no ferry commit in History: soak then counts
//     as satisfied, and the health gate accepts a Healthy observation at any
//     commit.
//   - Slots are handed out in this order: rollback-path actions (exempt from
//     maxOpen and maxInFlight, but they still take a maxOpen slot from the
//     forward actions), then actions of workloads already pinned, then pins;
//     pins that already have an open PR come first, the others in workload
//     name order. Within each group, Migration then workload name order.
//   - In-flight counts every workload whose pin names the Migration,
//     including an unexplained one.
//   - Consistency (an overlay without registration, weight on a cluster
//     without both, a backend without the workload or the reverse) is
//     checked for the source, the targets and every cluster with weight;
//     an unregistered overlay on an unrelated cluster with no weight is not
//     this Migration's business. While rolling back only the source is
//     checked, so that an abort can repair a broken target.
//   - A workload that finished the Migration (a cleanup and an unpin in
//     History after its last pin) or was rolled back stays Done or
//     RolledBack whatever later Migrations do to it.
func Make(in Input) *Plan {
	pl := newPlanning(in)
	for i := range pl.migs {
		m := &pl.migs[i]
		for _, name := range pl.names(m) {
			pl.entries = append(pl.entries, pl.entry(m, name))
		}
	}
	pl.orphans()
	pl.allocate()
	p := &Plan{Now: in.Now, Entries: make([]Entry, 0, len(pl.entries))}
	for _, e := range pl.entries {
		p.Entries = append(p.Entries, e.Entry)
	}
	sort.SliceStable(p.Entries, func(i, j int) bool {
		a, b := p.Entries[i], p.Entries[j]
		if a.Migration != b.Migration {
			return a.Migration < b.Migration
		}
		return a.Workload < b.Workload
	})
	return p
}

// planning is the state of one call of Make.
type planning struct {
	in        Input
	migs      []Migration
	byName    map[string]*Migration
	workloads map[string]*WorkloadState
	wnames    []string
	health    []Observation
	prs       []PR
	entries   []*entry
}

// entry is an Entry being planned, with what the allocation of slots needs.
type entry struct {
	Entry
	m *Migration
	// candidate is the action whose gates passed, before maxInFlight and
	// maxOpen; nil when the entry waits or is finished.
	candidate *Action
	exempt    bool // rollback path: exempt from maxOpen and maxInFlight
	pin       bool
}

func newPlanning(in Input) *planning {
	pl := &planning{
		in:        in,
		migs:      slices.Clone(in.Migrations),
		byName:    map[string]*Migration{},
		workloads: map[string]*WorkloadState{},
		health:    slices.Clone(in.Health),
		prs:       slices.Clone(in.PRs),
	}
	sort.SliceStable(pl.migs, func(i, j int) bool { return pl.migs[i].Name < pl.migs[j].Name })
	for i := range pl.migs {
		if _, dup := pl.byName[pl.migs[i].Name]; !dup {
			pl.byName[pl.migs[i].Name] = &pl.migs[i]
		}
	}
	for i := range in.Workloads {
		w := &in.Workloads[i]
		if _, dup := pl.workloads[w.Name]; !dup {
			pl.workloads[w.Name] = w
			pl.wnames = append(pl.wnames, w.Name)
		}
	}
	sort.Strings(pl.wnames)
	sort.Slice(pl.health, func(i, j int) bool {
		a, b := pl.health[i], pl.health[j]
		if a.Workload != b.Workload {
			return a.Workload < b.Workload
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		return a.State < b.State
	})
	sort.Slice(pl.prs, func(i, j int) bool { return pl.prs[i].Number < pl.prs[j].Number })
	return pl
}

// names returns the workloads m selects or pins, sorted and unique.
func (pl *planning) names(m *Migration) []string {
	names := slices.Clone(m.Workloads)
	for _, n := range pl.wnames {
		if pl.workloads[n].PinnedBy == m.Name {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// orphans adds an Entry for each workload pinned by a Migration that does
// not exist.
func (pl *planning) orphans() {
	for _, n := range pl.wnames {
		w := pl.workloads[n]
		if w.PinnedBy == "" || pl.byName[w.PinnedBy] != nil {
			continue
		}
		pl.entries = append(pl.entries, &entry{Entry: Entry{
			Migration: w.PinnedBy,
			Workload:  w.Name,
			Phase:     Unexplained,
			Wait:      hold(Gate{Kind: GateUnknownMigration, Migration: w.PinnedBy}),
		}})
	}
}

// view is a workload seen from one Migration.
type view struct {
	m          *Migration
	w          *WorkloadState
	srcPresent bool
	tgtAll     bool
	tgtAny     bool
	traffic    bool
	share      int
	// History of (m, w): the last event, the last rollback or undeploy
	// after the last pin, and whether the workload completed the Migration.
	last      *Event
	rollback  *Event
	completed bool
	// deployed: ferry deployed the targets since the last pin; a pinned
	// workload on its targets without it ran there before (active-active).
	deployed bool
	// shifted is the last shift since the last pin: the workload has
	// traffic, whatever the repo now shows.
	shifted *Event
	// pinned: the history has a pin stage of (m, w).
	pinned bool
}

// Targets are the clusters m moves w to: m.To, or for a Migration that
// retires its source, the clusters that already run w (an overlay, a
// registration or a backend) besides the source, sorted, and m.To when
// none does.
func Targets(m *Migration, w *WorkloadState) []string {
	if !m.Retire {
		return m.To
	}
	var serving []string
	for c := range w.Clusters {
		if c != m.From {
			serving = append(serving, c)
		}
	}
	for c := range w.Weights {
		if c != m.From && !slices.Contains(serving, c) {
			serving = append(serving, c)
		}
	}
	if len(serving) == 0 {
		return m.To
	}
	slices.Sort(serving)
	return serving
}

func (pl *planning) view(m *Migration, w *WorkloadState) *view {
	if to := Targets(m, w); !slices.Equal(to, m.To) {
		mw := *m
		mw.To = to
		m = &mw
	}
	v := &view{m: m, w: w, traffic: w.Weights != nil}
	v.srcPresent = present(w, m.From) || hasBackend(w, m.From)
	v.tgtAll = len(m.To) > 0
	for _, t := range m.To {
		if !complete(w, t) || (v.traffic && !hasBackend(w, t)) {
			v.tgtAll = false
		}
		if present(w, t) || hasBackend(w, t) {
			v.tgtAny = true
		}
	}
	v.share = share(w, m)

	var sinceCleanup, unpinLast bool
	for i := range pl.in.History {
		e := &pl.in.History[i]
		if e.Migration != m.Name || e.Workload != w.Name {
			continue
		}
		v.last = e
		unpinLast = e.Stage.Kind == Unpin
		switch e.Stage.Kind {
		case Pin:
			v.rollback, sinceCleanup, v.deployed, v.shifted = nil, false, false, nil
			v.pinned = true
		case Deploy:
			v.deployed = true
		case Shift:
			v.shifted = e
		case Rollback, Undeploy:
			v.rollback = e
		case Cleanup:
			sinceCleanup = true
		}
	}
	v.completed = sinceCleanup && unpinLast && v.rollback == nil
	return v
}

func present(w *WorkloadState, c string) bool {
	p := w.Clusters[c]
	return p.Overlay || p.Registration
}

func complete(w *WorkloadState, c string) bool {
	p := w.Clusters[c]
	return p.Overlay && p.Registration
}

func hasBackend(w *WorkloadState, c string) bool {
	_, ok := w.Weights[c]
	return ok
}

// pool returns the weight of the source and of the targets. A negative
// weight (unexplained anyway) counts as 0.
func pool(w *WorkloadState, m *Migration) (src, tgt int) {
	src = max(0, w.Weights[m.From])
	for _, t := range m.To {
		tgt += max(0, w.Weights[t])
	}
	return src, tgt
}

// share is the percentage of the pool's traffic on the targets, rounded
// half up, but 100 only when the source has none and 0 only when the
// targets have none.
func share(w *WorkloadState, m *Migration) int {
	src, tgt := pool(w, m)
	total := src + tgt
	if total <= 0 {
		return 0
	}
	s := (200*tgt + total) / (2 * total)
	if tgt > 0 && s == 0 {
		s = 1
	}
	if src > 0 && s == 100 {
		s = 99
	}
	return s
}

// ShiftWeights returns the weights that put percent of the pool (the
// source's and the targets' weights) on the targets of m: every cluster
// with a backend keeps its weight except the source and the targets. A pool
// of 0 or 1 is taken as 100. The targets' part is split evenly, the
// remainder one each to the first targets.
func ShiftWeights(w *WorkloadState, m *Migration, percent int) map[string]int {
	src, tgt := pool(w, m)
	total := src + tgt
	if total <= 1 {
		total = 100
	}
	onTargets := (percent*total + 50) / 100
	if percent > 0 && percent < 100 {
		onTargets = max(1, min(onTargets, total-1))
	}
	out := make(map[string]int, len(w.Weights)+len(m.To)+1)
	for c, wt := range w.Weights {
		out[c] = wt
	}
	out[m.From] = total - onTargets
	if n := len(m.To); n > 0 {
		each, rem := onTargets/n, onTargets%n
		for i, t := range m.To {
			out[t] = each
			if i < rem {
				out[t]++
			}
		}
	}
	return out
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// FormatDuration prints d compactly, truncated to whole minutes ("0m",
// "12m", "1h5m", "2h"), or to whole seconds when unit is less than a
// minute ("30s", "1m30s"). Truncation, not rounding, keeps a wait from
// reading "soak 30m of 30m". A negative d prints as zero.
func FormatDuration(d, unit time.Duration) string {
	if d < 0 {
		d = 0
	}
	step := time.Minute
	if unit < time.Minute {
		step = time.Second
	}
	d = d.Truncate(step)
	h := d / time.Hour
	mn := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if mn > 0 || (step == time.Minute && h == 0) {
		fmt.Fprintf(&b, "%dm", mn)
	}
	if step == time.Second && (s > 0 || d == 0) {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// entry plans workload name in Migration m, before slots are allocated.
func (pl *planning) entry(m *Migration, name string) *entry {
	e := &entry{m: m, Entry: Entry{Migration: m.Name, Workload: name}}
	w := pl.workloads[name]
	if w == nil {
		e.Phase = Unexplained
		e.Wait = unexplained("no workload " + name + " in the repo")
		return e
	}
	if w.Unreadable != "" {
		e.Phase = Unexplained
		e.Wait = hold(Gate{Kind: GateUnreadable, Reason: w.Unreadable})
		return e
	}
	v := pl.view(m, w)
	m = v.m // with its targets for w
	e.Share = v.share
	pinned := w.PinnedBy == m.Name

	// The tail of the Migration: what happens afterwards is not its business.
	if !pinned {
		if v.completed {
			e.Phase = Done
			return e
		}
		if v.rollback != nil && (w.PinnedBy != "" || (v.srcPresent && !v.tgtAny)) {
			e.Phase = RolledBack
			e.Wait = hold(Gate{Kind: GateRolledBack, Commit: v.rollback.Commit})
			return e
		}
		if w.PinnedBy != "" {
			if !v.srcPresent && v.tgtAll {
				e.Phase = Done
				return e
			}
			e.Phase = NotStarted
			e.Wait = hold(Gate{Kind: GatePinnedBy, Migration: w.PinnedBy})
			if m.Abort {
				e.Wait = hold(Gate{Kind: GateAborted})
			}
			return e
		}
	}

	if pinned && pl.in.SealedHistory && !v.pinned {
		// ferry pins in a sealed stage; a marker without one skips
		// validation, the limits and the source's health gate.
		e.Phase = Unexplained
		e.Wait = unexplained("pinned by " + m.Name + ", but no pin stage of ferry's put the marker there (added by hand?): remove it, and ferry pins in its turn")
		return e
	}
	if pinned && v.shifted != nil && !v.traffic {
		// Never taken for a workload without traffic, which cleanup (or a
		// rollback's undeploy) would remove from a cluster that may still
		// serve.
		e.Phase = Unexplained
		e.Wait = unexplained(fmt.Sprintf("its traffic was shifted at %s, and the repo now shows no weights for it (its traffic file moved or went?)", short(v.shifted.Commit)))
		return e
	}
	rollingBack := pinned && (m.Abort || v.rollback != nil)
	if rollingBack {
		pl.planRollback(e, v)
		return e
	}
	if why := inconsistent(v, false); why != "" {
		e.Phase, e.Wait = Unexplained, unexplained(why)
		return e
	}
	if !pinned {
		switch {
		case v.srcPresent && !v.tgtAny:
			e.Phase = NotStarted
			if m.Abort {
				e.Wait = hold(Gate{Kind: GateAborted})
				return e
			}
			if noTarget(e, v) {
				return e
			}
			pl.gatePin(e, v)
		case !v.srcPresent && v.tgtAll:
			e.Phase = Done
		case v.srcPresent && v.tgtAll && !v.deployed:
			// Active-active: the targets run it already, and not by a
			// deploy of this Migration (whose pin someone then removed).
			// Pin, then drain the source in steps and remove it.
			e.Phase = NotStarted
			if m.Abort {
				e.Wait = hold(Gate{Kind: GateAborted})
				return e
			}
			pl.gatePin(e, v)
		case v.tgtAny:
			e.Phase = Unexplained
			e.Wait = unexplained(firstPresentTarget(v) + " has the workload but it is not pinned by " + m.Name)
		default:
			e.Phase = Unexplained
			e.Wait = unexplained("neither " + m.From + " nor a target has the workload")
		}
		return e
	}

	switch {
	case v.srcPresent && !v.tgtAny:
		e.Phase = Pinned
		if noTarget(e, v) {
			return e
		}
		pl.gateForward(e, v, Stage{Kind: Deploy}, []Gate{{Kind: GatePinnedBy, Migration: m.Name}})
	case v.srcPresent && v.tgtAll:
		e.Phase = Deployed
		if v.traffic && v.share > 0 {
			e.Phase = Shifting
			if v.share == 100 {
				e.Phase = Shifted
			}
		}
		if pl.autoRollback(e, v) {
			return e
		}
		if !v.traffic || v.share == 100 {
			pl.gateForward(e, v, Stage{Kind: Cleanup}, nil)
			return e
		}
		pl.gateForward(e, v, Stage{Kind: Shift, Percent: nextStep(v.w, m, v.share)}, nil)
	case !v.srcPresent && v.tgtAll:
		e.Phase = CleanedUp
		pl.gateForward(e, v, Stage{Kind: Unpin}, []Gate{{Kind: GateRemoved, Cluster: m.From}})
	case v.srcPresent:
		e.Phase = Unexplained
		e.Wait = unexplained("deployed to " + firstPresentTarget(v) + " but not to " + firstMissingTarget(v))
	case !v.tgtAny:
		e.Phase = Unexplained
		e.Wait = unexplained("pinned, but neither " + m.From + " nor a target has the workload")
	default:
		e.Phase = Unexplained
		e.Wait = unexplained(m.From + " is removed but " + firstMissingTarget(v) + " has no overlay and registration")
	}
	return e
}

// nextStep is the first step above share whose weights differ from the
// current ones. A small pool rounds: with a pool of 32, shift-10 gives the
// targets 3, which reads back as 9%; that step is made, so the next is the
// one after it.
func nextStep(w *WorkloadState, m *Migration, share int) int {
	for _, s := range m.Steps {
		if s > share && s <= 100 && !maps.Equal(ShiftWeights(w, m, s), w.Weights) {
			return s
		}
	}
	return 100
}

// noTarget holds a workload that a Migration retiring its source would
// move, but that runs nowhere else while the Migration names no target.
func noTarget(e *entry, v *view) bool {
	if len(v.m.To) > 0 {
		return false
	}
	e.Wait = hold(Gate{Kind: GateValidation, Problems: []string{fmt.Sprintf("it runs on %s alone, and %s names no target for such a workload: add one to spec.to", v.m.From, v.m.Name)}})
	return true
}

func firstPresentTarget(v *view) string {
	for _, t := range v.m.To {
		if present(v.w, t) || hasBackend(v.w, t) {
			return t
		}
	}
	return ""
}

func firstMissingTarget(v *view) string {
	for _, t := range v.m.To {
		if !complete(v.w, t) || (v.traffic && !hasBackend(v.w, t)) {
			return t
		}
	}
	return ""
}

// inconsistent names the first fact about v's clusters that no stage
// explains, or returns "". sourceOnly limits the check to the source.
func inconsistent(v *view, sourceOnly bool) string {
	m, w := v.m, v.w
	clusters := []string{m.From}
	if !sourceOnly {
		clusters = append(clusters, m.To...)
		var others []string
		for c, wt := range w.Weights {
			if wt != 0 && c != m.From && !slices.Contains(m.To, c) {
				others = append(others, c)
			}
		}
		sort.Strings(others)
		clusters = append(clusters, others...)
	}
	for _, c := range clusters {
		p := w.Clusters[c]
		wt, backend := w.Weights[c]
		switch {
		case wt < 0:
			return fmt.Sprintf("%s has negative weight %d", c, wt)
		case wt > 0 && !p.Overlay && !p.Registration:
			return fmt.Sprintf("%s has weight %d but no overlay or registration", c, wt)
		case wt > 0 && !p.Overlay:
			return fmt.Sprintf("%s has weight %d but no overlay", c, wt)
		case wt > 0 && !p.Registration:
			return fmt.Sprintf("%s has weight %d but no registration", c, wt)
		case p.Overlay && !p.Registration:
			return c + " has an overlay but no registration"
		case p.Registration && !p.Overlay:
			return c + " has a registration but no overlay"
		case v.traffic && backend && !p.Overlay:
			return c + " has a traffic backend but no overlay or registration"
		case v.traffic && !backend && p.Overlay:
			return c + " has an overlay and registration but no traffic backend"
		}
	}
	if v.traffic && !sourceOnly {
		total := 0
		for _, wt := range w.Weights {
			total += max(wt, 0)
		}
		if total == 0 {
			return "no cluster has a weight above 0: the workload serves no traffic"
		}
	}
	return ""
}

// planRollback plans a workload pinned by its Migration that is aborting
// or rolling back. Paused does not stop it.
func (pl *planning) planRollback(e *entry, v *view) {
	m := v.m
	e.exempt = true
	if !v.srcPresent {
		e.Phase = Unexplained
		e.Wait = hold(Gate{Kind: GateNothingToRollBack})
		return
	}
	if why := inconsistent(v, true); why != "" {
		e.Phase, e.Wait = Unexplained, unexplained(why)
		return
	}
	if v.tgtAll && !v.deployed && v.rollback == nil && pl.ranBefore(v) {
		e.Phase = RollingBack
		e.Wait = hold(Gate{Kind: GateRanBefore})
		return
	}
	e.Phase = RollingBack
	why := Gate{Kind: GateAborted}
	if !m.Abort {
		why = Gate{Kind: GateRollingBack, Commit: v.rollback.Commit}
	}
	switch {
	case v.tgtAny && v.share > 0:
		pl.propose(e, v, Stage{Kind: Rollback}, []Gate{why})
	case v.tgtAny:
		gates := []Gate{why}
		if v.traffic {
			gates = append(gates, Gate{Kind: GateTargetsDrained})
		}
		pl.propose(e, v, Stage{Kind: Undeploy}, gates)
	default:
		pl.propose(e, v, Stage{Kind: Unpin}, []Gate{why, {Kind: GateTargetsRemoved}})
	}
}

// ranBefore reports whether the history shows the workload pinned by v's
// Migration (its pin is in the history ferry could read): only then is the
// absence of a deploy proof that the targets ran it before.
func (pl *planning) ranBefore(v *view) bool {
	for i := range pl.in.History {
		e := &pl.in.History[i]
		if e.Migration == v.m.Name && e.Workload == v.w.Name && e.Stage.Kind == Pin {
			return true
		}
	}
	return false
}

// autoRollback starts a rollback when a target is degraded after a stage.
func (pl *planning) autoRollback(e *entry, v *view) bool {
	if !pl.in.HealthGate {
		return false
	}
	for _, t := range v.m.To {
		if commit, ok := pl.degraded(v, t); ok {
			e.Phase = RollingBack
			e.exempt = true
			gates := []Gate{{Kind: GateDegraded, Cluster: t, Commit: commit}}
			if v.traffic && v.share > 0 {
				pl.propose(e, v, Stage{Kind: Rollback}, gates)
			} else {
				pl.propose(e, v, Stage{Kind: Undeploy}, gates)
			}
			return true
		}
	}
	return false
}

// degraded reports whether the workload is degraded on cluster c: at the
// last stage's commit when there is an observation for it, else at any
// commit.
func (pl *planning) degraded(v *view, c string) (string, bool) {
	var atLast []Observation
	var all []Observation
	for _, o := range pl.health {
		if o.Workload != v.w.Name || o.Cluster != c {
			continue
		}
		all = append(all, o)
		if v.last != nil && o.Commit == v.last.Commit {
			atLast = append(atLast, o)
		}
	}
	if len(atLast) > 0 {
		all = atLast
	}
	for _, o := range all {
		if o.State == Degraded {
			return o.Commit, true
		}
	}
	return "", false
}

// healthy reports whether the workload is healthy on cluster c at commit,
// or at any commit when commit is "".
func (pl *planning) healthy(w, c, commit string) bool {
	for _, o := range pl.health {
		if o.Workload == w && o.Cluster == c && o.State == Healthy && (commit == "" || o.Commit == commit) {
			return true
		}
	}
	return false
}

// unhealthy is the healthy gate of w on c at commit (any commit when ""),
// holding, with the provider's error when it could not say.
func (pl *planning) unhealthy(w, c, commit string) *Gate {
	g := Gate{Kind: GateHealthy, Cluster: c, Commit: commit}
	for _, o := range pl.health {
		if o.Workload == w && o.Cluster == c && o.Err != "" && (commit == "" || o.Commit == commit) {
			g.Reason = o.Err
		}
	}
	return hold(g)
}

// gatePin checks the gates of a pin that do not depend on other entries.
func (pl *planning) gatePin(e *entry, v *view) {
	m, w := v.m, v.w
	if m.Paused {
		e.Wait = hold(Gate{Kind: GatePaused})
		return
	}
	if _, blocking, wait := pl.prGate(v, Stage{Kind: Pin}); wait != nil {
		e.Wait, e.BlockedBy = wait, blocking // a person's word on the pull request comes first
		return
	}
	if len(w.Problems) > 0 {
		e.Wait = hold(Gate{Kind: GateValidation, Clusters: slices.Clone(m.To), Problems: slices.Clone(w.Problems)})
		return
	}
	gates := []Gate{{Kind: GateValidation, Clusters: slices.Clone(m.To)}}
	if pl.in.HealthGate {
		if !pl.healthy(w.Name, m.From, "") {
			e.Wait = pl.unhealthy(w.Name, m.From, "")
			return
		}
		gates = append(gates, Gate{Kind: GateHealthy, Cluster: m.From})
	}
	e.pin = true
	pl.propose(e, v, Stage{Kind: Pin}, gates)
}

// gateForward checks the gates of a forward stage of a pinned workload.
func (pl *planning) gateForward(e *entry, v *view, st Stage, gates []Gate) {
	m, w := v.m, v.w
	if m.Paused {
		e.Wait = hold(Gate{Kind: GatePaused})
		return
	}
	if st.Kind == Shift || st.Kind == Cleanup {
		// Soak. A stage made by hand has no ferry commit: soak counts as
		// satisfied and health is accepted at any commit.
		commit := ""
		if v.last != nil {
			commit = v.last.Commit
			soak := Gate{Kind: GateSoak, Elapsed: pl.in.Now.Sub(v.last.Time), Soak: m.Soak}
			if soak.Elapsed < m.Soak {
				e.Wait = hold(soak)
				return
			}
			gates = append(gates, soak)
		} else {
			gates = append(gates, Gate{Kind: GateSoak, Soak: m.Soak, NoCommit: true})
		}
		if pl.in.HealthGate {
			for _, t := range m.To {
				healthy := Gate{Kind: GateHealthy, Cluster: t, Commit: commit}
				if !pl.healthy(w.Name, t, commit) {
					e.Wait = pl.unhealthy(w.Name, t, commit)
					return
				}
				gates = append(gates, healthy)
			}
		}
		if st.Kind == Cleanup && v.traffic {
			drained := Gate{Kind: GateDrained, Cluster: m.From, Weight: w.Weights[m.From]}
			if drained.Weight != 0 {
				e.Wait = hold(drained)
				return
			}
			gates = append(gates, drained)
		}
	}
	pl.propose(e, v, st, gates)
}

// propose checks the PRs for the stage and, if none stops it, makes the
// action the entry's candidate.
func (pl *planning) propose(e *entry, v *view, st Stage, gates []Gate) {
	m := v.m
	open, blocking, wait := pl.prGate(v, st)
	if wait != nil {
		e.Wait, e.BlockedBy = wait, blocking
		return
	}
	a := &Action{Migration: m.Name, Workload: v.w.Name, Stage: st, From: m.From, To: slices.Clone(m.To), Gates: gates}
	if open != nil {
		a.PR = open.Number
	}
	if v.traffic {
		switch st.Kind {
		case Shift:
			a.Weights = ShiftWeights(v.w, m, st.Percent)
		case Rollback:
			a.Weights = ShiftWeights(v.w, m, 0)
		}
	}
	e.candidate = a
}

// prGate finds the pull request of a stage: the open one the action
// updates, or the one the stage waits on and why (held, a foreign commit,
// closed without merging).
func (pl *planning) prGate(v *view, st Stage) (open, blocking *PR, wait *Gate) {
	var closed, merged *PR
	for i := range pl.prs {
		pr := &pl.prs[i]
		if pr.Migration != v.m.Name || pr.Workload != v.w.Name || pr.Stage != st {
			continue
		}
		switch pr.State {
		case PROpen:
			if open == nil {
				open = pr
			}
		case PRClosed:
			closed = pr
		case PRMerged:
			merged = pr
		}
	}
	switch {
	case open != nil && open.Held:
		return nil, clonePR(open), hold(Gate{Kind: GateHeld, PR: open.Number})
	case open != nil && open.Foreign:
		return nil, clonePR(open), hold(Gate{Kind: GateForeign, PR: open.Number})
	case open != nil:
		return open, nil, nil
	case closed != nil && (merged == nil || merged.Number < closed.Number):
		return nil, clonePR(closed), hold(Gate{Kind: GateClosed, PR: closed.Number})
	}
	return nil, nil, nil
}

// unexplained is the wait of a workload whose tree no stage explains.
func unexplained(why string) *Gate { return hold(Gate{Kind: GateUnexplained, Reason: why}) }

func clonePR(pr *PR) *PR {
	c := *pr
	return &c
}

// allocate hands out maxInFlight and maxOpen slots to the candidates and
// turns each candidate into the entry's Next or a Wait.
func (pl *planning) allocate() {
	planned := 0
	// Open pull requests, not entries: a wave's pull request stands for
	// each of its workloads.
	openPRs := map[int]bool{}
	for i, pr := range pl.prs {
		if pr.State == PROpen {
			n := pr.Number
			if n == 0 {
				n = -1 - i // a pull request without a number is one of its own
			}
			openPRs[n] = true
		}
	}
	open := len(openPRs)
	newPRs := map[string]int{} // the maxOpen slot of each new pull request
	ranks := map[string]map[string]int{}
	// order is each of m's workloads' place in name order (Migration.Wave,
	// once per Migration).
	order := func(m *Migration) map[string]int {
		r, ok := ranks[m.Name]
		if !ok {
			r = map[string]int{}
			for i, w := range slices.Sorted(slices.Values(m.Workloads)) {
				r[w] = i
			}
			ranks[m.Name] = r
		}
		return r
	}
	inFlight := map[string]int{}
	for _, n := range pl.wnames {
		if by := pl.workloads[n].PinnedBy; by != "" {
			inFlight[by]++
		}
	}
	rank := func(e *entry) int {
		switch {
		case e.exempt:
			return 0
		case !e.pin:
			return 1
		case e.candidate.PR != 0:
			return 2
		}
		return 3
	}
	var cands []*entry
	for _, e := range pl.entries {
		if e.candidate != nil {
			cands = append(cands, e)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Migration != b.Migration {
			return a.Migration < b.Migration
		}
		return a.Workload < b.Workload
	})
	for _, e := range cands {
		a := e.candidate
		if e.pin && !e.exempt {
			if lim := e.m.MaxInFlight; lim > 0 {
				if inFlight[e.m.Name] >= lim {
					e.Wait = hold(Gate{Kind: GateMaxInFlight, Count: inFlight[e.m.Name], Limit: lim})
					continue
				}
				a.Gates = append(a.Gates, Gate{Kind: GateMaxInFlight, Count: inFlight[e.m.Name] + 1, Limit: lim})
			}
		}
		if a.PR == 0 {
			// A new pull request, unless a wave's stage already has one
			// planned in this pass.
			key := a.Migration + "/" + a.Workload + "/" + a.Stage.String()
			if pl.in.Waves {
				key = fmt.Sprintf("%s/wave-%d/%s", a.Migration, waveAt(order(e.m)[a.Workload], e.m.MaxInFlight), a.Stage)
			}
			slot, shared := newPRs[key]
			if !shared {
				slot = open + planned + 1
			}
			if lim := pl.in.MaxOpen; lim > 0 && !e.exempt {
				if slot > lim {
					e.Wait = hold(Gate{Kind: GateMaxOpen, Count: slot - 1, Limit: lim})
					continue
				}
				a.Gates = append(a.Gates, Gate{Kind: GateMaxOpen, Count: slot, Limit: lim})
			}
			if !shared {
				newPRs[key] = slot
				planned++
			}
		}
		if e.pin {
			inFlight[e.m.Name]++
		}
		e.Next = a
	}
}
