package gitops_test

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/edits")

// lineDiff returns the lines that differ between old and new, a removed
// line as "-N: text" (N its line in old) and an added one as "+N: text" (N
// its line in new), from a longest common subsequence of the lines. Equal
// inputs give nil.
func lineDiff(old, new string) []string {
	if old == new {
		return nil
	}
	a, b := splitLines(old), splitLines(new)
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, fmt.Sprintf("-%d: %s", i+1, a[i]))
			i++
		default:
			out = append(out, fmt.Sprintf("+%d: %s", j+1, b[j]))
			j++
		}
	}
	if len(out) == 0 {
		// Only the final newline differs.
		out = append(out, "(final newline differs)")
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"equal", "a\nb\n", "a\nb\n", nil},
		{"changed", "a\nb\nc\n", "a\nB\nc\n", []string{"-2: b", "+2: B"}},
		{"added", "a\nc\n", "a\nb\nc\n", []string{"+2: b"}},
		{"removed", "a\nb\nc\n", "a\nc\n", []string{"-2: b"}},
		{"new file", "", "x\ny\n", []string{"+1: x", "+2: y"}},
		{"final newline", "a", "a\n", []string{"(final newline differs)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, lineDiff(tt.old, tt.new)); diff != "" {
				t.Errorf("lineDiff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// golden compares a with testdata/edits/name, or writes it there with
// -update.
func golden(t *testing.T, name string, a *txtar.Archive) {
	t.Helper()
	fixtures.Golden(t, filepath.Join("testdata", "edits", name), txtar.Format(a), *update, "go test ./gitops -update")
}

// inventory is a small inventory for substitution tests: a value that is
// a prefix of another (region, zone), a value equal on both clusters
// (network) and two values that swap (primary, secondary).
var inventory = &gitops.Inventory{Clusters: []gitops.Cluster{
	{Name: "gke-eu-1", Values: map[string]string{
		"server":    "https://10.10.0.1",
		"region":    "europe-west1",
		"zone":      "europe-west1-b",
		"network":   "shared-vpc",
		"project":   "music-prod-eu1",
		"primary":   "blue",
		"secondary": "green",
		"empty":     "",
	}},
	{Name: "gke-eu-2", Values: map[string]string{
		"server":    "https://10.20.0.1",
		"region":    "europe-west4",
		"zone":      "europe-west4-a",
		"network":   "shared-vpc",
		"project":   "music-prod-eu2",
		"primary":   "green",
		"secondary": "blue",
		"empty":     "",
	}},
	{Name: "gke-eu-10", Values: map[string]string{
		"server": "https://10.10.0.10", "region": "europe-west9", "zone": "europe-west9-c",
		"network": "other-vpc", "project": "music-prod-eu10", "primary": "red", "secondary": "black", "empty": "",
	}},
}}

func TestSubstitutionReplace(t *testing.T) {
	sub, err := inventory.NewSubstitution("gke-eu-1", "gke-eu-2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"name", "cluster: gke-eu-1", "cluster: gke-eu-2"},
		{"not inside a longer name", "cluster: gke-eu-10", "cluster: gke-eu-10"},
		{"not after a word byte", "xgke-eu-1", "xgke-eu-1"},
		{"not after a non-ASCII byte", "égke-eu-1", "égke-eu-1"},
		{"before a dash", "pool: gke-eu-1-pool", "pool: gke-eu-2-pool"},
		{"server with port", "url: https://10.10.0.1:443", "url: https://10.20.0.1:443"},
		{"server not inside a longer address", "url: https://10.10.0.10", "url: https://10.10.0.10"},
		{"double quotes", `name: "gke-eu-1"`, `name: "gke-eu-2"`},
		{"single quotes", `name: 'gke-eu-1'`, `name: 'gke-eu-2'`},
		{"path", "path: overlays/gke-eu-1/x", "path: overlays/gke-eu-2/x"},
		{"path end", "path: ./apps/a/overlays/gke-eu-1", "path: ./apps/a/overlays/gke-eu-2"},
		{"longest first", "zone: europe-west1-b", "zone: europe-west4-a"},
		{"shorter value alone", "region: europe-west1", "region: europe-west4"},
		{"prefix value before another suffix", "zone: europe-west1-c", "zone: europe-west4-c"},
		{"value in a longer word", "bucket: gs://music-prod-eu1-index", "bucket: gs://music-prod-eu2-index"},
		{"in an email", "sa@music-prod-eu1.iam.gserviceaccount.com", "sa@music-prod-eu2.iam.gserviceaccount.com"},
		{"equal values left alone", "network: shared-vpc", "network: shared-vpc"},
		{"one pass, no chains", "blue green", "green blue"},
		{"several on a line", "gke-eu-1 europe-west1 gke-eu-1", "gke-eu-2 europe-west4 gke-eu-2"},
		{"multi-line", "a: gke-eu-1\nb: gke-eu-10\nc: europe-west1\n", "a: gke-eu-2\nb: gke-eu-10\nc: europe-west4\n"},
		{"empty", "", ""},
		{"at the end", "gke-eu-1", "gke-eu-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sub.Replace(tt.in); got != tt.want {
				t.Errorf("Replace(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSubstitutionUnknownCluster(t *testing.T) {
	for _, tt := range []struct{ from, to string }{
		{"gke-eu-9", "gke-eu-2"},
		{"gke-eu-1", "gke-eu-9"},
	} {
		t.Run(tt.from+"-"+tt.to, func(t *testing.T) {
			_, err := inventory.NewSubstitution(tt.from, tt.to)
			if !errors.Is(err, gitops.ErrUnknownName) {
				t.Errorf("NewSubstitution(%q, %q) error = %v, want ErrUnknownName", tt.from, tt.to, err)
			}
		})
	}
}

func TestSubstitutionLeftovers(t *testing.T) {
	sub, err := inventory.NewSubstitution("gke-eu-1", "gke-eu-2")
	if err != nil {
		t.Fatal(err)
	}
	in := "cluster: gke-eu-1\nnetwork: shared-vpc\nurl: https://10.10.0.10\nnext: gke-eu-10\nregion: europe-west1\n"
	out := sub.Replace(in)
	got := sub.Leftovers("a/b.yaml", []byte(out))
	want := []gitops.Leftover{
		{File: "a/b.yaml", Line: 3, Value: "https://10.10.0.1"},
		{File: "a/b.yaml", Line: 4, Value: "gke-eu-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Leftovers(%q) mismatch (-want +got):\n%s", out, diff)
	}
	if got, want := want[0].String(), `a/b.yaml:3: still mentions "https://10.10.0.1"`; got != want {
		t.Errorf("Leftover.String() = %q, want %q", got, want)
	}
}

// Deriving gke-eu-10 from gke-eu-1 writes gke-eu-10 everywhere gke-eu-1
// was; that is the target's own name, not a leftover.
func TestSubstitutionLeftoversTargetContainsSource(t *testing.T) {
	sub, err := inventory.NewSubstitution("gke-eu-1", "gke-eu-10")
	if err != nil {
		t.Fatal(err)
	}
	out := sub.Replace("cluster: gke-eu-1\nurl: https://10.10.0.1\n")
	if out != "cluster: gke-eu-10\nurl: https://10.10.0.10\n" {
		t.Fatalf("Replace = %q", out)
	}
	if got := sub.Leftovers("a.yaml", []byte(out)); len(got) != 0 {
		t.Errorf("Leftovers of a target whose values contain the source's = %v, want none", got)
	}
}

func TestDeriveOverlay(t *testing.T) {
	for _, fixture := range fixtures.Names() {
		fsys := mapFS(t, fixture)
		repo, err := gitops.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := repo.Inventory.NewSubstitution("gke-eu-1", "gke-eu-2")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range repo.Workloads {
			_, src := w.Overlays["gke-eu-1"]
			_, tgt := w.Overlays["gke-eu-2"]
			if !src || tgt || repo.Config.SharedOverlay() {
				continue // not on the source, on the target already, or one folder for all: nothing to derive
			}
			t.Run(fixture+"/"+w.Name, func(t *testing.T) {
				d, err := repo.DeriveOverlay(w, "gke-eu-1", "gke-eu-2")
				if err != nil {
					t.Fatal(err)
				}
				if want := repo.Config.OverlayDir(w.Name, "gke-eu-2"); d.Dir != want {
					t.Errorf("Dir = %q, want %q", d.Dir, want)
				}
				if len(d.Leftovers) != 0 {
					t.Errorf("Leftovers = %v, want none", d.Leftovers)
				}
				src := w.Overlays["gke-eu-1"]
				var srcFiles []string
				fs.WalkDir(fsys, src, func(p string, e fs.DirEntry, err error) error {
					if err == nil && !e.IsDir() {
						srcFiles = append(srcFiles, p)
					}
					return err
				})
				if len(d.Files) != len(srcFiles) {
					t.Fatalf("derived %d files from %d: %v", len(d.Files), len(srcFiles), d.Files)
				}
				a := &txtar.Archive{Comment: []byte(fmt.Sprintf("DeriveOverlay(%s, gke-eu-1, gke-eu-2) in %s: each derived file's lines against its source's.\n", w.Name, fixture))}
				var changes []gitops.Change
				for i, f := range d.Files {
					// Files are sorted and the substitution keeps the
					// order of these names.
					srcPath := srcFiles[i]
					data, err := fs.ReadFile(fsys, srcPath)
					if err != nil {
						t.Fatal(err)
					}
					if want := d.Dir + strings.TrimPrefix(sub.Replace(srcPath), sub.Replace(src)); f.Path != want {
						t.Errorf("derived file %d is %s, want %s", i, f.Path, want)
					}
					if got, want := string(f.Data), sub.Replace(string(data)); got != want {
						t.Errorf("%s is not %s with the substitution applied (-want +got):\n%s", f.Path, srcPath, cmp.Diff(want, got))
					}
					diff := lineDiff(string(data), string(f.Data))
					if diff == nil {
						diff = []string{"(unchanged)"}
					}
					body := "from " + srcPath + "\n" + strings.Join(diff, "\n")
					a.Files = append(a.Files, txtar.File{Name: f.Path, Data: []byte(strings.TrimSuffix(body, "\n") + "\n")})
					changes = append(changes, gitops.Change{Path: f.Path, Data: f.Data})
				}
				golden(t, "derive-"+fixture+"-"+w.Name+".txtar", a)
				if err := repo.CheckBuild(t.Context(), changes, d.Dir); err != nil {
					t.Errorf("CheckBuild(%s) = %v", d.Dir, err)
				}
			})
		}
	}
}

// A source string the word rule skips is a leftover of the derived file,
// with its 1-based line.
func TestDeriveOverlayLeftovers(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	fsys["apps/playlist-api/overlays/gke-eu-1/peers.yaml"] = &fstest.MapFile{Data: []byte(
		"# peers of gke-eu-1\npeers:\n  - https://10.10.0.1:8443\n  - https://10.10.0.100:8443\n")}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("playlist-api")
	d, err := repo.DeriveOverlay(w, "gke-eu-1", "gke-eu-2")
	if err != nil {
		t.Fatal(err)
	}
	want := []gitops.Leftover{{File: "apps/playlist-api/overlays/gke-eu-2/peers.yaml", Line: 4, Value: "https://10.10.0.1"}}
	if diff := cmp.Diff(want, d.Leftovers); diff != "" {
		t.Errorf("DeriveOverlay(playlist-api).Leftovers mismatch (-want +got):\n%s", diff)
	}
}

// A file whose name mentions the cluster is renamed too.
func TestDeriveOverlayRenamesFiles(t *testing.T) {
	fsys := mapFS(t, "application-istio")
	fsys["apps/transcoder/overlays/gke-eu-1/gke-eu-1-nodes.yaml"] = &fstest.MapFile{Data: []byte("pool: gke-eu-1-pool\n")}
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("transcoder")
	d, err := repo.DeriveOverlay(w, "gke-eu-1", "gke-eu-2")
	if err != nil {
		t.Fatal(err)
	}
	want := []gitops.File{
		{Path: "apps/transcoder/overlays/gke-eu-2/gke-eu-2-nodes.yaml", Data: []byte("pool: gke-eu-2-pool\n")},
		{Path: "apps/transcoder/overlays/gke-eu-2/kustomization.yaml", Data: []byte("namespace: media\nresources:\n  - ../../base\n")},
	}
	if diff := cmp.Diff(want, d.Files); diff != "" {
		t.Errorf("DeriveOverlay(transcoder).Files mismatch (-want +got):\n%s", diff)
	}
}

func TestDeriveOverlayErrors(t *testing.T) {
	fsys := mapFS(t, "appset-httproute")
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Workload("playlist-api")
	tests := []struct {
		name, from, to string
		is             error
	}{
		{"no source overlay", "gke-eu-2", "gke-eu-1", nil},
		{"target overlay exists", "gke-eu-1", "gke-us-1", nil},
		{"unknown target", "gke-eu-1", "gke-eu-9", gitops.ErrUnknownName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := repo.DeriveOverlay(w, tt.from, tt.to)
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("DeriveOverlay(%s, %s) error = %v, want one (is %v)", tt.from, tt.to, err, tt.is)
			}
		})
	}
}
