package gitops_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops"
)

// goodRepo is a small valid deployment repo.
var goodRepo = map[string]string{
	"ferry.yaml": `apiVersion: ferry.dev/v1alpha1
kind: Config
workloads: apps/{workload}
overlay: apps/{workload}/overlays/{cluster}
pin: apps/{workload}/base/kustomization.yaml
targets:
  kind: argocd-applicationset
  path: argocd/{workload}.yaml
traffic:
  kind: gateway-httproute
  path: traffic/{workload}.yaml
  backend: "{workload}-{cluster}"
health:
  kind: none
`,
	"clusters.yaml": `apiVersion: ferry.dev/v1alpha1
kind: ClusterInventory
clusters:
- name: gke-eu-1
  values: {server: "https://10.0.0.1", region: europe-west1}
- name: gke-eu-2
  values: {server: "https://10.0.0.2", region: europe-west2}
`,
	"migrations/eu.yaml": `apiVersion: ferry.dev/v1alpha1
kind: Migration
metadata:
  name: eu-1-to-eu-2
spec:
  from: gke-eu-1
  to: [gke-eu-2]
  soak: 30m
  maxInFlight: 5
`,
	"apps/web/catalog-info.yaml":                       "kind: Component\nspec:\n  owner: team-web\n",
	"apps/web/overlays/gke-eu-1/kustomization.yaml":    "resources: []\n",
	"apps/worker/overlays/gke-eu-1/kustomization.yaml": "resources: []\n",
	"apps/worker/overlays/gke-eu-2/kustomization.yaml": "resources: []\n",
}

func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, dir string) (*gitops.Repo, error) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	return gitops.Load(root.FS())
}

// snapshot hashes every file and symlink under dir, to show nothing was
// written.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var data []byte
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			data = []byte("link:" + target)
			if err != nil {
				return err
			}
		} else if data, err = os.ReadFile(p); err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%x", sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The planner loads without owners: the catalog files are not read, so a
// broken one does not stop a migration, and Owner stays empty.
func TestLoadSkipOwners(t *testing.T) {
	dir := writeRepo(t, goodRepo)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := os.WriteFile(filepath.Join(dir, "apps", "web", "catalog-info.yaml"), []byte("spec: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gitops.Load(root.FS()); err == nil {
		t.Fatal("Load with a broken catalog-info.yaml: no error, want one")
	}
	repo, err := gitops.LoadWith(root.FS(), gitops.LoadOptions{SkipOwners: true})
	if err != nil {
		t.Fatalf("LoadWith(SkipOwners): %v", err)
	}
	for _, w := range repo.Workloads {
		if w.Owner != "" {
			t.Errorf("LoadWith(SkipOwners): %s has owner %q, want none", w.Name, w.Owner)
		}
	}
}

func TestLoad(t *testing.T) {
	repo, err := load(t, writeRepo(t, goodRepo))
	if err != nil {
		t.Fatal(err)
	}
	type wl struct {
		Name, Owner string
		Clusters    []string
	}
	var got []wl
	for _, w := range repo.Workloads {
		got = append(got, wl{w.Name, w.Owner, w.Clusters(repo.Inventory)})
	}
	want := []wl{
		{"web", "team-web", []string{"gke-eu-1"}},
		{"worker", "", []string{"gke-eu-1", "gke-eu-2"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load workloads mismatch (-want +got):\n%s", diff)
	}
	m := repo.Migrations[0]
	if m.Spec.Soak.Minutes() != 30 || m.Spec.MaxInFlight != 5 || !m.Selects("web") || fmt.Sprint(m.Spec.Steps) != "[10 50 100]" {
		t.Errorf("Migration = %+v, want soak 30m, maxInFlight 5, default steps, selecting every workload", m.Spec)
	}
	if c := repo.Config; c.PullRequests.MergeMethod != "squash" || c.PullRequests.MaxOpen != 10 || !*c.PullRequests.AutoMerge || c.Health.Kind != "none" {
		t.Errorf("Config defaults = %+v %+v", c.PullRequests, c.Health)
	}
}

// With workloads at the root, ferry's own migrations folder is not a
// workload.
// TestLoadValueFolders: overlays in folders named by inventory values,
// {region}/{cluster}, are found per cluster, and the templates expand
// the values.
func TestLoadValueFolders(t *testing.T) {
	files := map[string]string{}
	for k, v := range goodRepo {
		if !strings.HasPrefix(k, "apps/") {
			files[k] = v
		}
	}
	files["ferry.yaml"] = strings.Replace(goodRepo["ferry.yaml"], "overlays/{cluster}", "overlays/{region}/{cluster}", 1)
	files["apps/web/overlays/europe-west1/gke-eu-1/kustomization.yaml"] = "resources: []\n"
	files["apps/web/overlays/europe-west2/gke-eu-2/kustomization.yaml"] = "resources: []\n"
	files["apps/web/overlays/europe-west2/gke-eu-1/kustomization.yaml"] = "resources: []\n" // the wrong region: not gke-eu-1's
	repo, err := load(t, writeRepo(t, files))
	if err != nil {
		t.Fatal(err)
	}
	w, ok := repo.Workload("web")
	if !ok {
		t.Fatal("no workload web")
	}
	want := map[string]string{"gke-eu-1": "apps/web/overlays/europe-west1/gke-eu-1", "gke-eu-2": "apps/web/overlays/europe-west2/gke-eu-2"}
	if diff := cmp.Diff(want, w.Overlays); diff != "" {
		t.Errorf("Overlays mismatch (-want +got):\n%s", diff)
	}
	if got := repo.Config.OverlayDir("web", "gke-eu-2"); got != want["gke-eu-2"] {
		t.Errorf("OverlayDir(web, gke-eu-2) = %q, want %q", got, want["gke-eu-2"])
	}
}

func TestLoadRootWorkloads(t *testing.T) {
	files := map[string]string{}
	for k, v := range goodRepo {
		files[strings.TrimPrefix(k, "apps/")] = v
	}
	files["ferry.yaml"] = strings.NewReplacer(
		"workloads: apps/{workload}\n", "workloads: \"{workload}\"\n",
		"overlay: apps/{workload}/overlays/{cluster}\n", "overlay: \"{workload}/overlays/{cluster}\"\n",
		"pin: apps/{workload}/base/kustomization.yaml\n", "pin: \"{workload}/base/kustomization.yaml\"\n",
	).Replace(goodRepo["ferry.yaml"])
	repo, err := load(t, writeRepo(t, files))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range repo.Workloads {
		names = append(names, w.Name)
	}
	if diff := cmp.Diff([]string{"web", "worker"}, names); diff != "" {
		t.Errorf("workloads at the root mismatch (-want +got):\n%s", diff)
	}
}

// TestLoadBadInput covers each kind of bad input of DESIGN.md section 8: a
// clear error naming the file and line, and nothing written.
func TestLoadBadInput(t *testing.T) {
	// A billion laughs inside known fields: each level aliases the one
	// before it ten times. Typed decoding never expands it (no field of
	// ferry's files takes arbitrary YAML), so it fails at once, at the
	// first nested alias, instead of building 10^10 strings.
	bomb := "apiVersion: ferry.dev/v1alpha1\nkind: ClusterInventory\nclusters:\n- name: c0\n  capabilities:\n    apis: &c0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*c%d", i-1)
		bomb += fmt.Sprintf("- name: c%d\n  capabilities:\n    apis: &c%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
	tests := []struct {
		name    string
		change  map[string]string // files replaced; "" removes
		link    [2]string         // a symlink to make: name, target
		wantErr error
		file    string
		line    int
		msg     string
	}{
		{name: "malformed YAML", change: map[string]string{"clusters.yaml": "clusters:\n- name: a\n  values: [\n"},
			wantErr: gitops.ErrMalformed, file: "clusters.yaml", msg: "malformed YAML"},
		{name: "unknown targets kind", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "argocd-applicationset", "argocd-rollout", 1)},
			wantErr: gitops.ErrUnknownName, file: "ferry.yaml", line: 7, msg: `targets.kind "argocd-rollout" is not one of`},
		{name: "unknown kind of file", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "kind: Migration", "kind: Migraton", 1)},
			wantErr: gitops.ErrMissingField, file: "migrations/eu.yaml", line: 2, msg: "want apiVersion ferry.dev/v1alpha1 and kind Migration"},
		{name: "unknown field", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "  soak: 30m", "  soakTime: 30m", 1)},
			wantErr: gitops.ErrUnknownField, file: "migrations/eu.yaml", line: 8, msg: "field soakTime not found"},
		{name: "missing field", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "overlay: apps/{workload}/overlays/{cluster}\n", "", 1)},
			wantErr: gitops.ErrMissingField, file: "ferry.yaml", msg: "overlay"},
		{name: "workload name with ..", change: map[string]string{"apps/a..b/overlays/gke-eu-1/kustomization.yaml": "resources: []\n"},
			wantErr: gitops.ErrBadName, file: "apps/a..b", msg: `workload "a..b"`},
		{name: "cluster name with /", change: map[string]string{"clusters.yaml": strings.Replace(goodRepo["clusters.yaml"], "name: gke-eu-2", "name: gke/eu-2", 1)},
			wantErr: gitops.ErrBadName, file: "clusters.yaml", line: 6, msg: `cluster "gke/eu-2"`},
		{name: "template leaving the repo", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "overlay: apps/", "overlay: ../apps/", 1)},
			wantErr: gitops.ErrBadName, file: "ferry.yaml", line: 4, msg: "not a clean relative path inside the repo"},
		{name: "symlink out of the tree", change: map[string]string{"clusters.yaml": ""}, link: [2]string{"clusters.yaml", "../../outside.yaml"},
			file: "clusters.yaml", msg: "escapes"},
		{name: "alias bomb", change: map[string]string{"clusters.yaml": bomb},
			wantErr: gitops.ErrMalformed, file: "clusters.yaml", line: 6, msg: "cannot unmarshal !!seq into string"},
		{name: "huge file", change: map[string]string{"migrations/huge.yaml": "# " + strings.Repeat("x", gitops.MaxFileSize) + "\n"},
			wantErr: gitops.ErrTooLarge, file: "migrations/huge.yaml", msg: "file too large"},
		{name: "missing inventory entry", change: map[string]string{"clusters.yaml": strings.Replace(goodRepo["clusters.yaml"], `server: "https://10.0.0.2", `, "", 1)},
			wantErr: gitops.ErrMissingField, file: "clusters.yaml", line: 7, msg: `cluster "gke-eu-2" has no values for server`},
		{name: "migration naming an unknown cluster", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "to: [gke-eu-2]", "to: [gke-eu-2, gke-us-9]", 1)},
			wantErr: gitops.ErrUnknownName, file: "migrations/eu.yaml", line: 7, msg: `cluster "gke-us-9" is not in the inventory`},
		{name: "no health gate", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "health:\n  kind: none\n", "", 1)},
			wantErr: gitops.ErrMissingField, file: "ferry.yaml", line: 1, msg: "health.kind"},
		{name: "statuses from anyone", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "health:\n  kind: none\n", "health:\n  kind: github-status\n  context: \"argocd/{workload}-{cluster}\"\n", 1)},
			wantErr: gitops.ErrMissingField, file: "ferry.yaml", line: 14, msg: "health.reporters"},
		{name: "flux health without a Kustomization", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "health:\n  kind: none\n", "health:\n  kind: flux\n  kubeconfig: kube/{cluster}\n", 1)},
			wantErr: gitops.ErrMissingField, file: "ferry.yaml", line: 14, msg: "health.context: name the Flux Kustomization"},
		{name: "zero maxOpen", change: map[string]string{"ferry.yaml": goodRepo["ferry.yaml"] + "pullRequests:\n  maxOpen: 0\n"},
			wantErr: gitops.ErrBadName, file: "ferry.yaml", line: 16, msg: "pullRequests.maxOpen: 0 is not a positive whole number"},
		{name: "no soak", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "  soak: 30m\n", "", 1)},
			wantErr: gitops.ErrMissingField, file: "migrations/eu.yaml", line: 6, msg: "spec.soak"},
		{name: "fractional step", change: map[string]string{"migrations/eu.yaml": goodRepo["migrations/eu.yaml"] + "  steps: [10.5, 100]\n"},
			wantErr: gitops.ErrBadName, file: "migrations/eu.yaml", line: 10, msg: `steps: "10.5" is not a whole number`},
		{name: "fractional maxInFlight", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "maxInFlight: 5", "maxInFlight: 1.9", 1)},
			wantErr: gitops.ErrBadName, file: "migrations/eu.yaml", line: 9, msg: `maxInFlight: "1.9" is not a whole number`},
		{name: "no target", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "  to: [gke-eu-2]\n", "", 1)},
			wantErr: gitops.ErrMissingField, file: "migrations/eu.yaml", line: 6, msg: "to: no target clusters (a Migration with retire: true may name none)"},
		{name: "zero maxInFlight", change: map[string]string{"migrations/eu.yaml": strings.Replace(goodRepo["migrations/eu.yaml"], "maxInFlight: 5", "maxInFlight: 0", 1)},
			wantErr: gitops.ErrBadName, file: "migrations/eu.yaml", line: 9, msg: "maxInFlight: 0 is not a positive whole number"},
		{name: "unknown placeholder", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "overlays/{cluster}", "overlays/{zone}/{cluster}", 1)},
			wantErr: gitops.ErrUnknownName, file: "ferry.yaml", line: 4, msg: "overlay: {zone} is not {workload}, {cluster} or a key of the values in clusters.yaml"},
		{name: "overlay folder shared by two clusters", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "overlays/{cluster}", "overlays/{server}", 1),
			"clusters.yaml": strings.Replace(goodRepo["clusters.yaml"], "10.0.0.2", "10.0.0.1", 1)},
			wantErr: gitops.ErrDuplicate, file: "ferry.yaml", line: 4, msg: `for both gke-eu-1 and gke-eu-2`},
		{name: "overlay without a cluster", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "overlays/{cluster}", "overlay", 1)},
			wantErr: gitops.ErrMissingField, file: "ferry.yaml", line: 4, msg: "no {cluster} or other cluster value placeholder"},
		{name: "pin per cluster", change: map[string]string{"ferry.yaml": strings.Replace(goodRepo["ferry.yaml"], "base/kustomization.yaml", "{region}/kustomization.yaml", 1)},
			wantErr: gitops.ErrBadName, file: "ferry.yaml", line: 5, msg: "a workload has one pin file"},
		{name: "duplicate cluster", change: map[string]string{"clusters.yaml": strings.Replace(goodRepo["clusters.yaml"], "name: gke-eu-2", "name: gke-eu-1", 1)},
			wantErr: gitops.ErrDuplicate, file: "clusters.yaml", line: 6, msg: `cluster "gke-eu-1" is also entry 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range goodRepo {
				files[k] = v
			}
			for k, v := range tt.change {
				if v == "" {
					delete(files, k)
				} else {
					files[k] = v
				}
			}
			dir := writeRepo(t, files)
			if tt.link[0] != "" {
				if err := os.Symlink(tt.link[1], filepath.Join(dir, tt.link[0])); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, dir)
			_, err := load(t, dir)
			var ie *gitops.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Load() error = %v, want an *InputError", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Load() error = %v, want it to wrap %v", err, tt.wantErr)
			}
			if ie.File != tt.file || tt.line != 0 && ie.Line != tt.line {
				t.Errorf("Load() error at %s:%d, want %s:%d (%v)", ie.File, ie.Line, tt.file, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), tt.file) {
				t.Errorf("Load() error = %q, want it to start with %s and say %q", err, tt.file, tt.msg)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("Load() wrote to the repo (-before +after):\n%s", diff)
			}
		})
	}
}

// A Migration that retires its source may name no target: each workload
// goes to the clusters that already run it.
func TestLoadRetireWithoutTargets(t *testing.T) {
	files := map[string]string{}
	for k, v := range goodRepo {
		files[k] = v
	}
	files["migrations/eu.yaml"] = strings.Replace(goodRepo["migrations/eu.yaml"], "  to: [gke-eu-2]\n", "  retire: true\n", 1)
	r, err := load(t, writeRepo(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Migrations) != 1 || !r.Migrations[0].Spec.Retire || len(r.Migrations[0].Spec.To) != 0 {
		t.Errorf("migrations %+v, want one that retires gke-eu-1 with no target", r.Migrations)
	}
}
