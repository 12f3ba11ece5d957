package gitops_test

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/traffic"
)

const (
	migration = "eu-1-to-eu-2"
	from      = "gke-eu-1"
	to        = "gke-eu-2"
)

// stageDiff is the line diff of every file an edit changes, one txtar
// file per changed file, named stage/path.
func stageDiff(t *testing.T, stage string, before fs.FS, e *gitops.Edit) []txtar.File {
	t.Helper()
	var out []txtar.File
	for _, c := range e.Changes {
		if c.Delete {
			var gone []string
			fs.WalkDir(before, c.Path, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					gone = append(gone, p)
				}
				return err
			})
			out = append(out, txtar.File{Name: stage + "/" + c.Path, Data: []byte("deleted: " + strings.Join(gone, " ") + "\n")})
			continue
		}
		old, err := fs.ReadFile(before, c.Path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		diff := lineDiff(string(old), string(c.Data))
		if diff == nil {
			t.Errorf("%s: %s is in the changes but unchanged", stage, c.Path)
		}
		out = append(out, txtar.File{Name: stage + "/" + c.Path, Data: []byte(strings.Join(diff, "\n") + "\n")})
	}
	return out
}

// changedLines returns the text of the changed lines of a stageDiff file.
func changedLines(f txtar.File) []string {
	var out []string
	for _, l := range splitLines(string(f.Data)) {
		if _, text, ok := strings.Cut(l, ": "); ok && (l[0] == '+' || l[0] == '-') {
			out = append(out, text)
		}
	}
	return out
}

// migrator walks one workload through the stages of a migration, each
// edit applied over the previous ones.
type migrator struct {
	t     *testing.T
	name  string
	fsys  fs.FS
	repo  *gitops.Repo
	w     *gitops.Workload
	state *gitops.State
	diffs []txtar.File
}

func newMigrator(t *testing.T, fsys fs.FS, name string) *migrator {
	m := &migrator{t: t, name: name, fsys: fsys}
	m.reload()
	return m
}

func (m *migrator) reload() {
	m.t.Helper()
	repo, err := gitops.Load(m.fsys)
	if err != nil {
		m.t.Fatal(err)
	}
	w, ok := repo.Workload(m.name)
	if !ok {
		m.t.Fatalf("no workload %s", m.name)
	}
	st, err := repo.ReadState(w)
	if err != nil {
		m.t.Fatal(err)
	}
	m.repo, m.w, m.state = repo, w, st
}

// registrationLines ignores the lines of ApplicationSet elements, which
// move when an element is added or removed; checkRegistrations checks them.
var registrationLines = cmpopts.IgnoreFields(gitops.Registration{}, "Line")

// apply applies e, reloads and compares the state with want.
func (m *migrator) apply(stage string, e *gitops.Edit, want *gitops.State) []txtar.File {
	m.t.Helper()
	diff := stageDiff(m.t, stage, m.fsys, e)
	m.diffs = append(m.diffs, diff...)
	m.fsys = gitops.Overlay(m.fsys, e.Changes)
	m.reload()
	if d := cmp.Diff(want, m.state, registrationLines); d != "" {
		m.t.Errorf("state after %s of %s mismatch (-want +got):\n%s", stage, m.name, d)
	}
	m.checkRegistrations(stage)
	return diff
}

// checkRegistrations checks that a registration's line names its cluster.
func (m *migrator) checkRegistrations(stage string) {
	m.t.Helper()
	for c, r := range m.state.Registrations {
		if r.Line == 0 {
			continue
		}
		data, err := fs.ReadFile(m.fsys, r.File)
		if err != nil {
			m.t.Fatal(err)
		}
		lines := splitLines(string(data))
		// An element names its cluster; a document in a cluster's file,
		// its workload; a git generator's pattern, the directories.
		if r.Line > len(lines) || !strings.Contains(lines[r.Line-1], c) && !strings.Contains(lines[r.Line-1], m.w.Name) && !strings.Contains(lines[r.Line-1], "path:") {
			m.t.Errorf("after %s: registration of %s at %s:%d does not name it", stage, c, r.File, r.Line)
		}
	}
}

// clone copies a state deeply enough to edit it.
func clone(s *gitops.State) *gitops.State {
	c := *s
	c.Overlays = maps.Clone(s.Overlays)
	c.Registrations = maps.Clone(s.Registrations)
	c.Weights = maps.Clone(s.Weights)
	return &c
}

// shift returns the weights that put percent of the pool (the source's and
// the target's weights) on the target, every other cluster keeping its own.
func shift(w traffic.Weights, percent int) traffic.Weights {
	out := maps.Clone(w)
	pool := w[from] + w[to]
	out[to] = pool * percent / 100
	out[from] = pool - out[to]
	return out
}

type workloadCase struct{ fixture, workload string }

// parentLists are the kustomizations of each fixture that list the
// registrations on gke-eu-2.
var parentLists = map[string][]string{fixtures.AppOfApps: {"argocd/clusters/gke-eu-2"}}

func allWorkloads(t *testing.T) []workloadCase {
	var out []workloadCase
	for _, f := range fixtures.Names() {
		repo, err := gitops.Load(mapFS(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range repo.Workloads {
			// On the source and not yet on the target (an active-active
			// workload's stages start with a shift).
			_, src := w.Overlays[from]
			_, tgt := w.Overlays[to]
			if src && (!tgt || repo.Config.SharedOverlay()) {
				out = append(out, workloadCase{f, w.Name})
			}
		}
	}
	return out
}

// TestStages walks every workload of every fixture from gke-eu-1 to
// gke-eu-2: pin, deploy, shift-10, shift-100, cleanup, unpin. Each stage's
// line diff is golden in testdata/edits/FIXTURE-WORKLOAD.txtar.
func TestStages(t *testing.T) {
	for _, tc := range allWorkloads(t) {
		t.Run(tc.fixture+"/"+tc.workload, func(t *testing.T) {
			ctx := t.Context()
			m := newMigrator(t, mapFS(t, tc.fixture), tc.workload)
			// Without a pin file, the registration files carry the marker:
			// the source's until cleanup, the target's (derived with it)
			// until unpin.
			pinFile, unpinned := m.repo.Config.PinFile(tc.workload), ""
			if pinFile == "" {
				pinFile, unpinned = m.state.Registrations[from].File, m.repo.Config.RegistrationFile(tc.workload, to)
			}
			original, err := fs.ReadFile(m.fsys, pinFile)
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			problems, err := m.repo.ValidatePair(ctx, m.w, from, to)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				notes = append(notes, "validate: "+p.String())
			}
			want := clone(m.state)
			if want.PinnedBy != "" {
				t.Fatalf("%s is pinned by %s before the migration", tc.workload, want.PinnedBy)
			}
			if _, ok := want.Overlays[to]; ok {
				t.Fatalf("%s already has an overlay on %s", tc.workload, to)
			}

			// pin: one line added at the top of the pin file.
			e, err := m.repo.PinEdit(m.w, migration)
			if err != nil {
				t.Fatal(err)
			}
			want.PinnedBy = migration
			diff := m.apply("pin", e, want)
			pinned := []string{pinFile}
			if unpinned != "" {
				pinned = nil
				for _, reg := range m.state.Registrations {
					pinned = append(pinned, reg.File)
				}
				slices.Sort(pinned)
			}
			var pinDiff []string
			for _, d := range diff {
				if string(d.Data) != "+1: "+gitops.PinMarker(migration)+"\n" {
					t.Errorf("pin diff of %s = %q, want one line added at the top", d.Name, d.Data)
				}
				pinDiff = append(pinDiff, strings.TrimPrefix(d.Name, "pin/"))
			}
			if diff := cmp.Diff(pinned, pinDiff); diff != "" {
				t.Errorf("pinned files mismatch (-want +got):\n%s", diff)
			}

			// deploy: the target's overlay, registration and a backend at 0.
			e, err = m.repo.DeployEdit(ctx, m.w, from, []string{to})
			if err != nil {
				if len(problems) > 0 {
					t.Skipf("deploy of %s, which validation refuses (%v), fails: %v", tc.workload, problems, err)
				}
				t.Fatal(err)
			}
			dir := m.repo.Config.OverlayDir(tc.workload, to)
			built := []string{dir}
			if m.repo.Config.SharedOverlay() {
				built = nil // the folder the source applies: nothing new
			}
			if diff := cmp.Diff(built, e.Built); diff != "" {
				t.Errorf("deploy Built mismatch (-want +got):\n%s", diff)
			}
			// The target cluster's parent list, which now lists the
			// registration, is built too.
			if diff := cmp.Diff(parentLists[tc.fixture], e.Parents); diff != "" {
				t.Errorf("deploy Parents mismatch (-want +got):\n%s", diff)
			}
			if len(e.Leftovers) != 0 {
				t.Errorf("deploy Leftovers = %v, want none", e.Leftovers)
			}
			want.Overlays[to] = dir
			want.Registrations[to] = gitops.Registration{File: m.repo.Config.RegistrationFile(tc.workload, to)}
			if want.Weights != nil {
				want.Weights[to] = 0
			}
			diff = m.apply("deploy", e, want)
			for _, f := range diff {
				if strings.Contains(f.Name, "/overlays/"+to+"/") {
					continue // a new file, shown whole
				}
				for _, l := range splitLines(string(f.Data)) {
					if strings.HasPrefix(l, "-") {
						t.Errorf("deploy removes a line of %s: %s", f.Name, l)
					}
				}
			}

			if want.Weights != nil {
				// shift-10: only weight lines change.
				weights := shift(want.Weights, 10)
				e, err = m.repo.WeightsEdit(m.w, weights)
				if err != nil {
					t.Fatal(err)
				}
				want.Weights = weights
				for _, f := range m.apply("shift-10", e, want) {
					for _, l := range changedLines(f) {
						if !strings.Contains(l, "weight") {
							t.Errorf("shift-10 changes a line of %s without a weight: %s", f.Name, l)
						}
					}
				}
				// shift-100: drains the source.
				weights = shift(want.Weights, 100)
				e, err = m.repo.WeightsEdit(m.w, weights)
				if err != nil {
					t.Fatal(err)
				}
				want.Weights = weights
				for _, f := range m.apply("shift-100", e, want) {
					for _, l := range changedLines(f) {
						if !strings.Contains(l, "weight") {
							t.Errorf("shift-100 changes a line of %s without a weight: %s", f.Name, l)
						}
					}
				}
			}

			// cleanup: nothing of the source is left.
			e, err = m.repo.RemoveEdit(t.Context(), m.w, []string{from})
			if err != nil {
				t.Fatal(err)
			}
			delete(want.Overlays, from)
			delete(want.Registrations, from)
			if want.Weights != nil {
				delete(want.Weights, from)
			}
			for _, r := range e.Removals {
				notes = append(notes, "cleanup removes: "+r)
			}
			m.apply("cleanup", e, want)

			// unpin: the pin file is as it was.
			e, err = m.repo.UnpinEdit(m.w, migration)
			if err != nil {
				t.Fatal(err)
			}
			want.PinnedBy = ""
			m.apply("unpin", e, want)
			if unpinned != "" {
				sub, err := m.repo.Inventory.NewSubstitution(from, to)
				if err != nil {
					t.Fatal(err)
				}
				pinFile, original = unpinned, []byte(sub.Replace(string(original)))
			}
			got, err := fs.ReadFile(m.fsys, pinFile)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(original), string(got)); diff != "" {
				t.Errorf("%s after unpin differs from before pin (-before +after):\n%s", pinFile, diff)
			}

			comment := fmt.Sprintf("%s: %s from %s to %s, one section per stage and changed file (line diff against the file before the stage).\n", tc.fixture, tc.workload, from, to)
			for _, n := range notes {
				comment += n + "\n"
			}
			golden(t, tc.fixture+"-"+tc.workload+".txtar", &txtar.Archive{Comment: []byte(comment), Files: m.diffs})
		})
	}
}

// RemoveEdit refuses to remove a cluster that still has traffic, naming
// the file that holds its weight.
func TestRemoveEditNotDrained(t *testing.T) {
	for _, tc := range allWorkloads(t) {
		t.Run(tc.fixture+"/"+tc.workload, func(t *testing.T) {
			m := newMigrator(t, mapFS(t, tc.fixture), tc.workload)
			if m.state.Weights[from] == 0 {
				t.Skipf("%s has no traffic on %s", tc.workload, from)
			}
			_, err := m.repo.RemoveEdit(t.Context(), m.w, []string{from})
			if err == nil {
				t.Fatalf("RemoveEdit(%s) of a cluster with weight %d succeeded", from, m.state.Weights[from])
			}
			file := m.repo.Config.TrafficFile(tc.workload, from)
			if !strings.Contains(err.Error(), file) {
				t.Errorf("RemoveEdit(%s) error %q does not name %s", from, err, file)
			}
			if !errors.Is(err, traffic.ErrNotDrained) {
				t.Errorf("RemoveEdit(%s) error = %v, want one wrapping traffic.ErrNotDrained", from, err)
			}
		})
	}
}

// DeployEdit refuses a cluster that already has the workload's overlay.
func TestDeployEditExistingOverlay(t *testing.T) {
	for _, tc := range allWorkloads(t) {
		t.Run(tc.fixture+"/"+tc.workload, func(t *testing.T) {
			m := newMigrator(t, mapFS(t, tc.fixture), tc.workload)
			e, err := m.repo.DeployEdit(t.Context(), m.w, from, []string{to})
			if err != nil {
				t.Skipf("the first deploy fails: %v", err)
			}
			m.fsys = gitops.Overlay(m.fsys, e.Changes)
			m.reload()
			if _, err := m.repo.DeployEdit(t.Context(), m.w, from, []string{to}); err == nil {
				t.Errorf("DeployEdit to %s, which has an overlay already, succeeded", to)
			}
		})
	}
	// A cluster with a fixture overlay of its own.
	m := newMigrator(t, mapFS(t, "appset-httproute"), "playlist-api")
	if _, err := m.repo.DeployEdit(t.Context(), m.w, from, []string{"gke-us-1"}); err == nil {
		t.Errorf("DeployEdit(playlist-api) to gke-us-1, which has an overlay, succeeded")
	}
}

// Setting the current weights changes nothing.
func TestWeightsEditNoChange(t *testing.T) {
	for _, tc := range allWorkloads(t) {
		t.Run(tc.fixture+"/"+tc.workload, func(t *testing.T) {
			m := newMigrator(t, mapFS(t, tc.fixture), tc.workload)
			if m.state.Weights == nil {
				t.Skipf("%s has no traffic", tc.workload)
			}
			e, err := m.repo.WeightsEdit(m.w, m.state.Weights)
			if !errors.Is(err, gitops.ErrNoChange) {
				t.Errorf("WeightsEdit(%v) = %v, %v; want ErrNoChange", m.state.Weights, e, err)
			}
		})
	}
}

// Pinning twice and unpinning an unpinned workload change nothing.
func TestPinEditNoChange(t *testing.T) {
	m := newMigrator(t, mapFS(t, "appset-httproute"), "playlist-api")
	if _, err := m.repo.UnpinEdit(m.w, migration); !errors.Is(err, gitops.ErrNoChange) {
		t.Errorf("UnpinEdit of an unpinned workload error = %v, want ErrNoChange", err)
	}
	e, err := m.repo.PinEdit(m.w, migration)
	if err != nil {
		t.Fatal(err)
	}
	m.fsys = gitops.Overlay(m.fsys, e.Changes)
	m.reload()
	if _, err := m.repo.PinEdit(m.w, migration); !errors.Is(err, gitops.ErrNoChange) {
		t.Errorf("PinEdit of a pinned workload error = %v, want ErrNoChange", err)
	}
	if _, err := m.repo.PinEdit(m.w, "other"); !errors.Is(err, gitops.ErrPinnedByOther) {
		t.Errorf("PinEdit by another migration error = %v, want ErrPinnedByOther", err)
	}
}
