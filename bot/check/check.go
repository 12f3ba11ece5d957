package check

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/gitops/traffic"
)

// The invariants, numbered as in DESIGN.md section 6.
const (
	RuleWeights      = 1 // weights are whole numbers >= 0 and some serving cluster has traffic
	RuleServes       = 2 // a cluster with traffic has the overlay and the registration
	RuleDeployFirst  = 3 // deploy before traffic
	RuleDrainFirst   = 4 // drain before removal
	RulePin          = 5 // a pinned workload changes only with its migration's trailers
	RuleBuilds       = 6 // every touched overlay still builds
	rulesPerWorkload = 6
)

// Violation is one invariant a change breaks. File and Line point at the
// offending line: in the head tree, or in the base tree for something the
// change removed. Line is 0 when no one line is to blame.
type Violation struct {
	Rule     int
	Workload string
	File     string
	Line     int
	Message  string
}

// String is "file:line: rule N: message", as compilers print errors.
func (v Violation) String() string {
	loc := v.File
	if v.Line > 0 {
		loc = fmt.Sprintf("%s:%d", v.File, v.Line)
	}
	return fmt.Sprintf("%s: rule %d: %s", loc, v.Rule, v.Message)
}

// Note is something a check could not prove and did not count against the
// change: an overlay that needs something outside the repo to build.
type Note struct {
	Workload string
	Overlay  string
	Message  string
}

// Report is what ChangeReport found.
type Report struct {
	// Violations are sorted by file, line, rule, workload and message.
	Violations []Violation
	Notes      []Note
	// Workloads is the number of workloads in the head tree.
	Workloads int
	// Checked are the workloads the change touches, which were checked,
	// sorted.
	Checked []string
	// Invariants is the number of invariants checked (rules times
	// workloads).
	Invariants int
}

// Change checks the change from base's tree to head's tree against the
// invariants (see the package documentation) and returns what it breaks.
// A zero base is an empty tree. Bad input in the head tree is returned as
// the *gitops.InputError.
func Change(ctx context.Context, repo *gitstore.Store, base, head plumbing.Hash, r *render.Renderer) ([]Violation, error) {
	rep, err := ChangeReport(ctx, repo, base, head, r)
	if err != nil {
		return nil, err
	}
	return rep.Violations, nil
}

// ChangeReport is Change with the notes and counts a command prints.
func ChangeReport(ctx context.Context, repo *gitstore.Store, base, head plumbing.Hash, r *render.Renderer) (*Report, error) {
	return Options{Renderer: r}.ChangeReport(ctx, repo, base, head)
}

// Options tune a check. The zero value renders with a new renderer and
// verifies seals with the repository's own key.
type Options struct {
	Renderer *render.Renderer
	// SealKey verifies ferry's seals (convention.Seal): only a sealed
	// commit's trailers count for rule 5. By default the repository's own
	// key, as the local forge seals with; a check of a forge's pull
	// requests needs the key ferry runs with (FERRY_SEAL_KEY).
	SealKey []byte
}

func (o Options) checker(repo *gitstore.Store) (*checker, error) {
	if o.Renderer == nil {
		o.Renderer = render.New()
	}
	if len(o.SealKey) == 0 {
		key, err := repo.SealKey()
		if err != nil && !errors.Is(err, gitstore.ErrNoSealKey) {
			return nil, err
		}
		o.SealKey = key // none for a repository in memory: nothing is sealed
	}
	return &checker{repo: repo, r: o.Renderer, key: o.SealKey, sides: map[plumbing.Hash]*side{}}, nil
}

// ChangeReport is the package's ChangeReport with o.
func (o Options) ChangeReport(ctx context.Context, repo *gitstore.Store, base, head plumbing.Hash) (*Report, error) {
	c, err := o.checker(repo)
	if err != nil {
		return nil, err
	}
	return c.change(ctx, base, head)
}

// checker checks changes of one repository; it keeps the trees it loaded,
// so History loads each commit once.
type checker struct {
	repo  *gitstore.Store
	r     *render.Renderer
	key   []byte // verifies seals
	sides map[plumbing.Hash]*side
}

// side is one end of a change: a commit's tree and what ferry reads in it.
type side struct {
	hash plumbing.Hash
	fsys fs.FS
	tree *object.Tree     // nil for the empty tree
	repo *gitops.Repo     // nil when the tree has no ferry.yaml
	err  error            // the tree's bad input, if any
	msgs []*object.Commit // the sealed stage the commit is, if any: its trailers count
	// unsealed are the trailers of a commit that has ferry's trailers but
	// not its seal: a stage ferry did not make.
	unsealed *convention.Trailers
}

func (c *checker) load(h plumbing.Hash) (*side, error) {
	if s, ok := c.sides[h]; ok {
		return s, nil
	}
	s := &side{hash: h, fsys: fstest.MapFS{}}
	if !h.IsZero() {
		commit, err := c.repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		if s.tree, err = commit.Tree(); err != nil {
			return nil, err
		}
		if s.fsys, err = c.repo.FS(h); err != nil {
			return nil, err
		}
		// The commit's trailers count when ferry sealed it, or when it is
		// a merge (a reviewer's, or GitHub's refs/pull/N/merge for a
		// check) that brings in a commit ferry sealed and nothing else.
		if stage, ok := convention.StageOf(c.repo, commit, c.key); ok {
			s.msgs = []*object.Commit{stage}
		} else if t, ok := convention.ReadTrailers(commit.Message); ok {
			s.unsealed = &t
		}
		if _, err := fs.Stat(s.fsys, gitops.ConfigFile); err == nil {
			s.repo, s.err = gitops.Load(s.fsys)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	// Keep only the last two: History walks forward.
	if len(c.sides) >= 2 {
		clear(c.sides)
	}
	c.sides[h] = s
	return s, nil
}

func (c *checker) change(ctx context.Context, base, head plumbing.Hash) (*Report, error) {
	bs, err := c.load(base)
	if err != nil {
		return nil, err
	}
	hs, err := c.load(head)
	if err != nil {
		return nil, err
	}
	if hs.err != nil {
		return nil, hs.err
	}
	if bs.err != nil {
		return nil, fmt.Errorf("base %s: %w", short(base), bs.err)
	}
	rep := &Report{}
	if hs.repo == nil {
		return rep, nil // not a ferry repo (yet): nothing to prove
	}
	rep.Workloads = len(hs.repo.Workloads)
	changed, err := changedPaths(ctx, bs.tree, hs.tree)
	if err != nil {
		return nil, err
	}
	bootstrap := bs.repo == nil
	// A change of ferry.yaml, the inventory or a Migration may touch
	// every workload.
	global := bootstrap || changed[gitops.ConfigFile] || changed[hs.repo.Config.Clusters] ||
		changed[bs.repo.Config.Clusters] || under(changed, hs.repo.Config.Migrations) || under(changed, bs.repo.Config.Migrations)
	rules := rulesPerWorkload
	if bootstrap {
		rules = 3
	}
	built := map[string]bool{}
	for _, name := range workloadNames(bs.repo, hs.repo) {
		wc := &workloadCheck{c: c, name: name, base: bs, head: hs, bootstrap: bootstrap, built: built}
		wc.owned = wc.ownedPaths(changed)
		if !global && len(wc.owned) == 0 {
			continue
		}
		if err := wc.run(ctx); err != nil {
			return nil, fmt.Errorf("workload %s: %w", name, err)
		}
		rep.Checked = append(rep.Checked, name)
		rep.Invariants += rules
		rep.Violations = append(rep.Violations, wc.violations...)
		rep.Notes = append(rep.Notes, wc.notes...)
	}
	if err := c.includers(ctx, rep, bs, hs, changed, built); err != nil {
		return nil, err
	}
	rep.Violations = append(rep.Violations, strayRoutes(hs, changed)...)
	if t := hs.unsealed; t != nil && len(changed) > 0 {
		// Trailers are text: say so where they would mislead a reader
		// of the history (the planner ignores them).
		f := slices.Sorted(maps.Keys(changed))[0]
		rep.Violations = append(rep.Violations, Violation{Rule: RulePin, Workload: t.Workloads[0], File: f, Line: firstDiff(bs.fsys, hs.fsys, f),
			Message: fmt.Sprintf("%s: the commit carries ferry's trailers (%s: %s, %s: %s) without ferry's seal: it is not a stage of ferry's, whatever it says",
				t.Workloads[0], convention.TrailerMigration, t.Migration, convention.TrailerStage, t.Stage)})
	}
	slices.SortFunc(rep.Violations, func(a, b Violation) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule),
			strings.Compare(a.Workload, b.Workload), strings.Compare(a.Message, b.Message))
	})
	return rep, nil
}

// strayRoutes are rule 2 for the changed routes that are no workload's
// traffic file: a second route sending a workload traffic would keep its
// share through every shift ferry makes, and on a cluster it removes.
func strayRoutes(hs *side, changed map[string]bool) []Violation {
	var out []Violation
	for _, p := range slices.Sorted(maps.Keys(changed)) {
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			continue
		}
		data, err := render.ReadFileAtMost(hs.fsys, p, gitops.MaxFileSize)
		if err != nil {
			continue // deleted, or too large to be read as a route
		}
		for _, s := range hs.repo.StrayRoutes(p, data) {
			out = append(out, Violation{Rule: RuleServes, Workload: s.Workload, File: s.File, Line: s.Line,
				Message: fmt.Sprintf("%s: this route sends it traffic (%s) outside its traffic file %s; ferry shifts and checks only the weights there: put its backends in that file",
					s.Workload, formatWeights(s.Weights), hs.repo.Config.TrafficFile(s.Workload, ""))})
		}
	}
	return out
}

// under reports whether a changed path is inside dir.
func under(changed map[string]bool, dir string) bool {
	for p := range changed {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

// changedPaths returns the files that differ between two trees (either may
// be nil, the empty tree). Unchanged subtrees are skipped by hash.
func changedPaths(ctx context.Context, a, b *object.Tree) (map[string]bool, error) {
	changes, err := object.DiffTreeWithOptions(ctx, a, b, &object.DiffTreeOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, ch := range changes {
		if ch.From.Name != "" {
			out[ch.From.Name] = true
		}
		if ch.To.Name != "" {
			out[ch.To.Name] = true
		}
	}
	return out, nil
}

func workloadNames(repos ...*gitops.Repo) []string {
	set := map[string]bool{}
	for _, r := range repos {
		if r == nil {
			continue
		}
		for _, w := range r.Workloads {
			set[w.Name] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// workloadCheck checks one workload's part of a change.
type workloadCheck struct {
	c          *checker
	name       string
	base, head *side
	bootstrap  bool
	owned      []string        // the workload's files the change touches, sorted
	built      map[string]bool // the overlays built, of every workload

	bw, hw     *gitops.Workload
	bst, hst   *gitops.State
	violations []Violation
	notes      []Note
	regDiff    map[string][2]bool // by cluster: text and data differ (registrationDiff)
}

// workload returns the workload named name in s, or one with no overlays
// where the tree has none (it was added or removed by the change).
func workload(s *side, name string) *gitops.Workload {
	if s.repo == nil {
		return nil
	}
	if w, ok := s.repo.Workload(name); ok {
		return w
	}
	dir := strings.ReplaceAll(s.repo.Config.Workloads, "{workload}", name)
	return &gitops.Workload{Name: name, Dir: dir, Overlays: map[string]string{}}
}

// ownedPaths returns the changed paths that belong to the workload: under
// its directory, its pin file, its registration files and its traffic
// files, by the base's and the head's configuration.
func (wc *workloadCheck) ownedPaths(changed map[string]bool) []string {
	var dirs []string
	files := map[string]bool{}
	for _, s := range []*side{wc.base, wc.head} {
		w := workload(s, wc.name)
		if w == nil {
			continue
		}
		cfg := s.repo.Config
		dirs = append(dirs, w.Dir+"/")
		files[cfg.PinFile(wc.name)] = true
		for _, cl := range s.repo.Inventory.Names() {
			if f := cfg.RegistrationFile(wc.name, cl); changed[f] && !files[f] && wc.registrationChanged(cl) {
				files[f] = true
			}
			if f := cfg.TrafficFile(wc.name, cl); f != "" {
				files[f] = true
			}
		}
	}
	var out []string
	for p := range changed {
		if files[p] || slices.ContainsFunc(dirs, func(d string) bool { return strings.HasPrefix(p, d) }) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// registrationChanged reports whether the workload's registration on
// cluster differs between base and head, in its text or in its data. In a
// file of many workloads' registrations, another workload's document
// changing is not this one's change; text that cannot be read counts as
// changed, for the reads later to report.
func (wc *workloadCheck) registrationChanged(cluster string) bool {
	text, data := wc.registrationDiff(cluster)
	return text || data
}

// registrationMoved reports whether what Argo CD or Flux is told for the
// workload on cluster differs between base and head: its data, not its
// comments (see gitops.Repo.RegistrationData).
func (wc *workloadCheck) registrationMoved(cluster string) bool {
	_, data := wc.registrationDiff(cluster)
	return data
}

// registrationDiff compares the registration on cluster of base and head,
// once: whether the text differs, and whether the data does.
func (wc *workloadCheck) registrationDiff(cluster string) (text, data bool) {
	if d, ok := wc.regDiff[cluster]; ok {
		return d[0], d[1]
	}
	read := func(s *side) ([]byte, []byte, error) {
		if s.repo == nil {
			return nil, nil, nil
		}
		return s.repo.RegistrationData(wc.name, cluster)
	}
	bt, bd, berr := read(wc.base)
	ht, hd, herr := read(wc.head)
	failed := berr != nil || herr != nil
	text, data = failed || !bytes.Equal(bt, ht), failed || !bytes.Equal(bd, hd)
	if wc.regDiff == nil {
		wc.regDiff = map[string][2]bool{}
	}
	wc.regDiff[cluster] = [2]bool{text, data}
	return text, data
}

func emptyState(name string) *gitops.State {
	return &gitops.State{Workload: name, Overlays: map[string]string{}, Registrations: map[string]gitops.Registration{}}
}

func (wc *workloadCheck) run(ctx context.Context) error {
	wc.bst, wc.hst = emptyState(wc.name), emptyState(wc.name)
	if wc.bw = workload(wc.base, wc.name); wc.bw != nil {
		st, err := wc.base.repo.ReadOwnState(wc.bw)
		if err != nil {
			return fmt.Errorf("base %s: %w", short(wc.base.hash), err)
		}
		wc.bst = st
	}
	wc.hw = workload(wc.head, wc.name)
	st, err := wc.head.repo.ReadOwnState(wc.hw)
	if err != nil {
		return err
	}
	wc.hst = st
	wc.weights()
	wc.serves()
	if !wc.bootstrap {
		wc.deployFirst()
		wc.drainFirst()
		wc.pin()
	}
	return wc.builds(ctx)
}

func (wc *workloadCheck) add(rule int, file string, line int, format string, args ...any) {
	wc.violations = append(wc.violations, Violation{Rule: rule, Workload: wc.name, File: file, Line: line,
		Message: wc.name + ": " + fmt.Sprintf(format, args...)})
}

func registered(s *gitops.State, cluster string) bool {
	_, ok := s.Registrations[cluster]
	return ok
}

func (wc *workloadCheck) serving(cluster string) bool {
	return wc.hst.Overlays[cluster] != "" && registered(wc.hst, cluster)
}

// weightAt locates cluster's weight in the head tree.
func (wc *workloadCheck) weightAt(cluster string) (string, int) {
	return weightLine(wc.head, wc.name, cluster)
}

// rule 1.
func (wc *workloadCheck) weights() {
	ws := wc.hst.Weights
	if ws == nil && wc.bst.Weights != nil && !wc.bootstrap && len(wc.hst.Overlays) > 0 {
		// It had weights and still runs: its traffic file went away or
		// moved, and ferry would take it for a worker.
		f := ""
		for _, cl := range slices.Sorted(maps.Keys(wc.bst.Weights)) {
			if f = wc.base.repo.Config.TrafficFile(wc.name, cl); f != "" {
				break
			}
		}
		wc.add(RuleWeights, f, 0, "the change loses track of its traffic: its weights (%s) were here and the head has none for it, while it still runs on %s; ferry would take it for a workload without traffic",
			formatWeights(wc.bst.Weights), strings.Join(slices.Sorted(maps.Keys(wc.hst.Overlays)), ", "))
		return
	}
	if ws == nil {
		return // no traffic: a worker
	}
	clusters := slices.Sorted(maps.Keys(ws))
	served := false
	for _, cl := range clusters {
		if ws[cl] < 0 {
			f, l := wc.weightAt(cl)
			wc.add(RuleWeights, f, l, "the weight of %s is %d; weights are whole numbers >= 0", cl, ws[cl])
		}
		if ws[cl] > 0 && wc.serving(cl) {
			served = true
		}
	}
	if served {
		return
	}
	f, l := wc.head.repo.Config.TrafficFile(wc.name, ""), 0
	if len(clusters) > 0 {
		f, l = wc.weightAt(clusters[0])
	}
	wc.add(RuleWeights, f, l, "no cluster that serves the workload has weight > 0 (%s): all of its traffic would be dropped", formatWeights(ws))
}

// rule 2.
func (wc *workloadCheck) serves() {
	ws := wc.hst.Weights
	for _, cl := range slices.Sorted(maps.Keys(ws)) {
		if ws[cl] <= 0 {
			continue
		}
		var missing []string
		if wc.hst.Overlays[cl] == "" {
			missing = append(missing, "overlay")
		}
		if !registered(wc.hst, cl) {
			missing = append(missing, "registration")
		}
		if len(missing) > 0 {
			f, l := wc.weightAt(cl)
			wc.add(RuleServes, f, l, "%s has weight %d but no %s there", cl, ws[cl], strings.Join(missing, " and no "))
		}
	}
}

// rule 3.
func (wc *workloadCheck) deployFirst() {
	ws := wc.hst.Weights
	for _, cl := range slices.Sorted(maps.Keys(ws)) {
		if ws[cl] > 0 && wc.bst.Weights[cl] <= 0 && !registered(wc.bst, cl) && registered(wc.hst, cl) {
			f, l := wc.weightAt(cl)
			wc.add(RuleDeployFirst, f, l, "%s is registered and given weight %d in the same change; deploy it at weight 0 first, shift traffic in a later change", cl, ws[cl])
		}
	}
}

// rule 4.
func (wc *workloadCheck) drainFirst() {
	for _, cl := range wc.bst.Clusters() {
		w := wc.bst.Weights[cl]
		if w <= 0 {
			continue
		}
		if reg, ok := wc.bst.Registrations[cl]; ok && !registered(wc.hst, cl) {
			wc.add(RuleDrainFirst, reg.File, max(reg.Line, 1), "the registration on %s is removed while its weight was %d; shift its traffic to 0 first", cl, w)
			continue
		}
		if reg, ok := wc.hst.Registrations[cl]; ok && registered(wc.bst, cl) && wc.registrationMoved(cl) && !carries(wc.head.msgs, wc.c.key, "", wc.name) {
			// Its element, the template's destination or path, a merge
			// override: Argo CD or Flux would apply the workload
			// elsewhere, or otherwise, under its traffic.
			l := firstDiff(wc.base.fsys, wc.head.fsys, reg.File)
			wc.add(RuleDrainFirst, reg.File, cmp.Or(l, reg.Line, 1), "the registration on %s changes while its weight is %d, in a commit without ferry's seal; shift its traffic to 0 first", cl, w)
			continue
		}
		if dir := wc.bst.Overlays[cl]; dir != "" && wc.hst.Overlays[cl] == "" {
			f, l := dir, 0
			if _, err := fs.Stat(wc.base.fsys, path.Join(dir, "kustomization.yaml")); err == nil {
				f, l = path.Join(dir, "kustomization.yaml"), 1
			}
			wc.add(RuleDrainFirst, f, l, "the overlay for %s is removed while its weight was %d; shift its traffic to 0 first", cl, w)
		}
	}
}

// rule 5.
func (wc *workloadCheck) pin() {
	// A pin comes and goes only with its migration's pin and unpin
	// stages: one added by hand would skip validation and the limits,
	// one lost (by hand, or by moving pin: in ferry.yaml) would leave the
	// workload half moved.
	if b, h := wc.bst.PinnedBy, wc.hst.PinnedBy; b != h {
		m := cmp.Or(h, b)
		if m != "" && !carries(wc.head.msgs, wc.c.key, m, wc.name) {
			f, l := wc.pinAt()
			verb := "pinned"
			if h == "" {
				verb = "unpinned"
			}
			wc.add(RulePin, f, l, "%s by migration %s in a commit without ferry's seal and the trailers %s: %s and %s: %s", verb, m,
				convention.TrailerMigration, m, convention.TrailerWorkload, wc.name)
			return
		}
	}
	m := wc.bst.PinnedBy
	if m != "" && wc.head.repo != nil && !slices.ContainsFunc(wc.head.repo.Migrations, func(x *gitops.Migration) bool { return x.Metadata.Name == m }) {
		f := ""
		for _, x := range wc.base.repo.Migrations {
			if x.Metadata.Name == m {
				f = x.File
			}
		}
		wc.add(RulePin, f, 0, "migration %s is removed while it pins the workload; abort it (spec.abort) and let it unpin first", m)
		return
	}
	if m == "" || len(wc.owned) == 0 || carries(wc.head.msgs, wc.c.key, m, wc.name) {
		return
	}
	f := wc.owned[0]
	l := firstDiff(wc.base.fsys, wc.head.fsys, f)
	more := ""
	if n := len(wc.owned) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more files)", n)
	}
	wc.add(RulePin, f, l, "pinned by migration %s, changed%s by a commit without ferry's seal and the trailers %s: %s and %s: %s",
		m, more, convention.TrailerMigration, m, convention.TrailerWorkload, wc.name)
}

// pinAt is where a pin changed: the changed pin or registration file that
// carries the marker, or ferry.yaml when the change moved the pin.
func (wc *workloadCheck) pinAt() (string, int) {
	for _, f := range wc.owned {
		if l := firstDiff(wc.base.fsys, wc.head.fsys, f); l > 0 {
			return f, l
		}
	}
	return gitops.ConfigFile, firstDiff(wc.base.fsys, wc.head.fsys, gitops.ConfigFile)
}

// carries reports whether one of the commits is sealed by ferry (see
// convention.Seal) and has the trailers of migration m (any, when m is "")
// and workload w.
// Trailers alone are text anyone can copy. A Ferry-Workload trailer may
// be repeated or list several workloads separated by commas (one commit
// for a wave).
func carries(commits []*object.Commit, key []byte, m, w string) bool {
	for _, c := range commits {
		if len(c.ParentHashes) == 0 || !convention.Sealed(key, c.ParentHashes[0].String(), c.TreeHash.String(), c.Message) {
			continue
		}
		if t, ok := convention.ReadTrailers(c.Message); ok && (m == "" || t.Migration == m) && slices.Contains(t.Workloads, w) {
			return true
		}
	}
	return false
}

// rule 6.
func (wc *workloadCheck) builds(ctx context.Context) error {
	overlays := map[string]bool{}
	for _, st := range []*gitops.State{wc.bst, wc.hst} {
		for _, d := range st.Overlays {
			overlays[d+"/"] = true
		}
	}
	// A changed file of the workload outside every overlay (its base, a
	// component) changes what each of its overlays renders.
	shared := slices.ContainsFunc(wc.owned, func(p string) bool {
		return wc.hw != nil && strings.HasPrefix(p, wc.hw.Dir+"/") &&
			!slices.ContainsFunc(slices.Collect(maps.Keys(overlays)), func(d string) bool { return strings.HasPrefix(p, d) })
	})
	for _, cl := range slices.Sorted(maps.Keys(wc.hst.Overlays)) {
		dir := wc.hst.Overlays[cl]
		i := slices.IndexFunc(wc.owned, func(p string) bool { return strings.HasPrefix(p, dir+"/") })
		if i < 0 && !shared && !wc.bootstrap {
			continue
		}
		wc.built[dir] = true
		_, err := wc.c.r.Build(ctx, wc.head.fsys, dir)
		var be *render.BuildError
		var ue *render.UnverifiableError
		switch {
		case err == nil:
			continue
		case errors.As(err, &ue):
			wc.notes = append(wc.notes, Note{Workload: wc.name, Overlay: dir, Message: ue.Error()})
			continue
		case !errors.As(err, &be):
			return err
		}
		if wc.bst.Overlays[cl] == dir {
			_, berr := wc.c.r.Build(ctx, wc.base.fsys, dir)
			if errors.As(berr, new(*render.BuildError)) {
				wc.notes = append(wc.notes, Note{Workload: wc.name, Overlay: dir, Message: "does not build, as at base: " + be.Error()})
				continue
			}
		}
		f, l := path.Join(dir, "kustomization.yaml"), 1
		if i >= 0 {
			f = wc.owned[i]
			l = firstDiff(wc.base.fsys, wc.head.fsys, f)
		}
		if _, err := fs.Stat(wc.head.fsys, f); err != nil {
			f, l = dir, 0
		}
		wc.add(RuleBuilds, f, l, "the overlay for %s no longer builds: %v", cl, be.Err)
	}
	return nil
}

// firstDiff returns the first line of file name in head that differs from
// base: 1 for a new file, 0 for a removed one.
func firstDiff(base, head fs.FS, name string) int {
	h, err := fs.ReadFile(head, name)
	if err != nil {
		return 0
	}
	b, _ := fs.ReadFile(base, name)
	hl, bl := bytes.SplitAfter(h, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	for i := range hl {
		if i >= len(bl) || !bytes.Equal(hl[i], bl[i]) {
			return i + 1
		}
	}
	return max(len(hl), 1)
}

func formatWeights(ws map[string]int) string { return traffic.Weights(ws).String() }

func short(h plumbing.Hash) string {
	if h.IsZero() {
		return "(empty tree)"
	}
	return h.String()[:7]
}
