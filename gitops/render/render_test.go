package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// overlays are the overlays of testdata/repo.
var overlays = []string{
	"apps/playlist-api/overlays/gke-eu-1",
	"apps/playlist-api/overlays/gke-us-1",
	"apps/search/overlays/gke-eu-1",
}

// repoFS loads testdata/repo into memory, so a test may change it.
func repoFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata/repo"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join("testdata/repo", p))
		m[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func goldenPath(overlay string, o Order) string {
	return filepath.Join("testdata", "golden", strings.ReplaceAll(overlay, "/", "_")+"."+o.String()+".yaml")
}

func TestBuildGolden(t *testing.T) {
	for _, o := range []Order{OrderInput, OrderLegacy} {
		r := &Renderer{Order: o}
		for _, overlay := range overlays {
			t.Run(o.String()+"/"+overlay, func(t *testing.T) {
				res, err := r.Build(t.Context(), os.DirFS("testdata/repo"), overlay)
				if err != nil {
					t.Fatalf("Build(%q): %v", overlay, err)
				}
				golden := goldenPath(overlay, o)
				if *update {
					if err := os.WriteFile(golden, res.YAML, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), string(res.YAML)); diff != "" {
					t.Errorf("Build(%q) YAML mismatch (-want +got):\n%s", overlay, diff)
				}
			})
		}
	}
}

func TestBuildObjects(t *testing.T) {
	type id struct{ APIVersion, Kind, Namespace, Name string }
	tests := []struct {
		order Order
		want  []id
	}{
		{OrderInput, []id{
			{"v1", "Namespace", "", "playlist"},
			{"apps/v1", "Deployment", "playlist", "eu1-playlist-api"},
			{"v1", "Service", "playlist", "eu1-playlist-api"},
			{"autoscaling/v2", "HorizontalPodAutoscaler", "playlist", "eu1-playlist-api"},
			{"v1", "ConfigMap", "playlist", "eu1-playlist-config-fc724h5g56"},
			{"monitoring.coreos.com/v1", "PodMonitor", "playlist", "eu1-playlist-api"},
		}},
		{OrderLegacy, []id{
			{"v1", "Namespace", "", "playlist"},
			{"v1", "ConfigMap", "playlist", "eu1-playlist-config-fc724h5g56"},
			{"v1", "Service", "playlist", "eu1-playlist-api"},
			{"apps/v1", "Deployment", "playlist", "eu1-playlist-api"},
			{"autoscaling/v2", "HorizontalPodAutoscaler", "playlist", "eu1-playlist-api"},
			{"monitoring.coreos.com/v1", "PodMonitor", "playlist", "eu1-playlist-api"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.order.String(), func(t *testing.T) {
			r := &Renderer{Order: tt.order}
			res, err := r.Build(t.Context(), repoFS(t), overlays[0])
			if err != nil {
				t.Fatal(err)
			}
			var got []id
			for _, o := range res.Objects {
				got = append(got, id{o.APIVersion, o.Kind, o.Namespace, o.Name})
				if o.Object["kind"] != o.Kind {
					t.Errorf("Object[kind] = %v, want %s", o.Object["kind"], o.Kind)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Build(%q) objects mismatch (-want +got):\n%s", overlays[0], diff)
			}
		})
	}
}

// TestBuildMatchesKubectl compares the rendering with kubectl's embedded
// kustomize, which sorts as `kustomize build` does (OrderLegacy).
func TestBuildMatchesKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH; skipping the comparison with kubectl kustomize")
	}
	r := &Renderer{Order: OrderLegacy}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", filepath.Join("testdata/repo", overlay))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("kubectl kustomize: %v\n%s", err, stderr.Bytes())
			}
			res, err := r.Build(t.Context(), os.DirFS("testdata/repo"), overlay)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(res.YAML)); diff != "" {
				t.Errorf("Build(%q) differs from kubectl kustomize (-kubectl +got):\n%s", overlay, diff)
			}
		})
	}
}

func TestCache(t *testing.T) {
	r := New()
	base := repoFS(t)
	overlay := overlays[0]
	want, err := r.Build(t.Context(), base, overlay)
	if err != nil {
		t.Fatal(err)
	}

	changedBase := repoFS(t)
	changedBase["apps/playlist-api/base/deployment.yaml"].Data = bytes.Replace(
		changedBase["apps/playlist-api/base/deployment.yaml"].Data, []byte("containerPort: 8080"), []byte("containerPort: 8081"), 1)
	changedReadme := repoFS(t)
	changedReadme["README.md"].Data = []byte("changed")
	changedReadme["apps/playlist-api/overlays/gke-us-1/replicas.yaml"].Data = []byte("changed")
	added := repoFS(t)
	added["apps/playlist-api/overlays/gke-eu-1/kustomization.yml"] = &fstest.MapFile{Data: []byte("resources: []")}

	steps := []struct {
		name     string
		fsys     fs.FS
		want     Stats // cumulative
		sameAs1  bool  // the result is the first build's
		wantFail bool
	}{
		{"same fs again", base, Stats{Hits: 1, Misses: 1, Runs: 1}, true, false},
		{"another fs.FS, same content", os.DirFS("testdata/repo"), Stats{Hits: 2, Misses: 1, Runs: 1}, true, false},
		{"base deployment changed", changedBase, Stats{Hits: 2, Misses: 2, Runs: 2}, false, false},
		{"base deployment changed, again", changedBase, Stats{Hits: 3, Misses: 2, Runs: 2}, false, false},
		{"unrelated files changed", changedReadme, Stats{Hits: 4, Misses: 2, Runs: 2}, true, false},
		{"second kustomization file added", added, Stats{Hits: 4, Misses: 3, Runs: 3}, false, true},
		{"back to the first content", base, Stats{Hits: 5, Misses: 3, Runs: 3}, true, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, err := r.Build(t.Context(), s.fsys, overlay)
			if s.wantFail {
				var be *BuildError
				if !errors.As(err, &be) {
					t.Fatalf("Build(%q) error = %v, want a *BuildError", overlay, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s.want, r.Stats()); diff != "" {
				t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
			}
			if s.wantFail {
				return
			}
			if same := bytes.Equal(got.YAML, want.YAML); same != s.sameAs1 {
				t.Errorf("Build(%q) same as the first build = %v, want %v", overlay, same, s.sameAs1)
			}
		})
	}
}

func TestCacheErrors(t *testing.T) {
	r := New()
	fsys := fstest.MapFS{"a/kustomization.yaml": {Data: []byte("resources: [missing.yaml]\n")}}
	for range 2 {
		_, err := r.Build(t.Context(), fsys, "a")
		var be *BuildError
		if !errors.As(err, &be) {
			t.Fatalf("Build: error = %v, want a *BuildError", err)
		}
	}
	// Adding the missing file the build looked for makes it build.
	fsys["a/missing.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}
	if _, err := r.Build(t.Context(), fsys, "a"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Hits: 1, Misses: 2, Runs: 2}, r.Stats()); diff != "" {
		t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
	}
}

func TestConcurrentBuilds(t *testing.T) {
	fsys := repoFS(t)
	want := map[string][]byte{}
	for _, overlay := range overlays {
		res, err := New().Build(t.Context(), fsys, overlay)
		if err != nil {
			t.Fatal(err)
		}
		want[overlay] = res.YAML
	}

	shared := New()
	const workers = 24
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := range workers {
		wg.Go(func() {
			// Half the workers share a Renderer, half use their own: both
			// must be safe, as kustomize runs are serialized process-wide.
			r := shared
			if i%2 == 1 {
				r = New()
			}
			for j := range 3 * len(overlays) {
				overlay := overlays[(i+j)%len(overlays)]
				res, err := r.Build(t.Context(), fsys, overlay)
				if err != nil {
					t.Errorf("Build(%q): %v", overlay, err)
					failures.Add(1)
					continue
				}
				if diff := cmp.Diff(string(want[overlay]), string(res.YAML)); diff != "" {
					t.Errorf("Build(%q) concurrent mismatch (-want +got):\n%s", overlay, diff)
				}
			}
		})
	}
	wg.Wait()
	s := shared.Stats()
	if s.Runs != int64(len(overlays)) {
		t.Errorf("shared Renderer ran kustomize %d times, want %d (once per overlay); stats %+v", s.Runs, len(overlays), s)
	}
}

func TestUnverifiable(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\n")
	}))
	t.Cleanup(srv.Close)

	kust := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"https base with subdirectory", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- https://github.com/x/y//base\n"),
		}},
		{"github base with ref", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- github.com/x/y/base?ref=v1\n"),
		}},
		{"scp-like git base", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- git@github.com:x/y.git/base\n"),
		}},
		{"remote file served locally", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- " + srv.URL + "/cm.yaml\n"),
		}},
		{"remote patch file", fstest.MapFS{
			"o/kustomization.yaml": kust("patches:\n- path: " + srv.URL + "/patch.yaml\n"),
		}},
		{"remote component in a local base", fstest.MapFS{
			"o/kustomization.yaml":    kust("resources:\n- ../base\n"),
			"base/kustomization.yaml": kust("components:\n- https://example.com/c.git//metrics?ref=v2\n"),
		}},
		{"bases field", fstest.MapFS{
			"o/kustomization.yaml": kust("bases:\n- ssh://git@example.com/x/y.git\n"),
		}},
		{"helmCharts", fstest.MapFS{
			"o/kustomization.yaml": kust("helmCharts:\n- name: redis\n  repo: https://charts.bitnami.com/bitnami\n  version: 17.0.0\n"),
		}},
		{"helm chart inflation generator", fstest.MapFS{
			"o/kustomization.yaml": kust("generators:\n- helm.yaml\n"),
			"o/helm.yaml":          kust("apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: redis\nname: redis\n"),
		}},
		{"exec plugin transformer", fstest.MapFS{
			"o/kustomization.yaml": kust("transformers:\n- sops.yaml\n"),
			"o/sops.yaml":          kust("apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\n"),
		}},
		{"KRM function generator", fstest.MapFS{
			"o/kustomization.yaml": kust("generators:\n- fn.yaml\n"),
			"o/fn.yaml": kust("apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n" +
				"    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n"),
		}},
		{"plugin config in a generators directory", fstest.MapFS{
			"o/kustomization.yaml":      kust("generators:\n- gens\n"),
			"o/gens/kustomization.yaml": kust("resources:\n- fn.yaml\n"),
			"o/gens/fn.yaml":            kust("apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			res, err := r.Build(t.Context(), tt.fsys, "o")
			var ue *UnverifiableError
			if !errors.As(err, &ue) {
				t.Fatalf("Build = %v, %v; want an *UnverifiableError", res, err)
			}
			if ue.Overlay != "o" || ue.Reason == "" {
				t.Errorf("UnverifiableError = %+v, want Overlay %q and a reason", ue, "o")
			}
			if s := r.Stats(); s.Runs != 0 {
				t.Errorf("kustomize ran %d times, want 0: it must be refused before running", s.Runs)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the remote server was asked %d times, want 0", n)
	}
}

// aliasBomb is a ConfigMap whose data nine nested anchors blow up.
func aliasBomb() string {
	b := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nx:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*a%d", i-1)
		b += fmt.Sprintf("  a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
	return b + "data:\n  k: v\n"
}

func TestBuildError(t *testing.T) {
	kust := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		overlay  string
		wantText []string // the message names the overlay and the file
	}{
		{"missing resource", fstest.MapFS{
			"apps/a/overlays/c1/kustomization.yaml": kust("resources:\n- ../../base\n"),
			"apps/a/base/kustomization.yaml":        kust("resources:\n- deployment.yaml\n"),
		}, "apps/a/overlays/c1", []string{"apps/a/overlays/c1", "deployment.yaml"}},
		{"missing patch", fstest.MapFS{
			"o/kustomization.yaml": kust("patches:\n- path: gone.yaml\n"),
		}, "o", []string{"overlay o", "gone.yaml"}},
		{"malformed kustomization", fstest.MapFS{
			"o/kustomization.yaml": kust("resources: [\n"),
		}, "o", []string{"overlay o", "kustomization.yaml"}},
		{"resource outside the repo", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- ../../etc/passwd\n"),
		}, "o", []string{"overlay o", "o/kustomization.yaml", "../../etc/passwd", "outside the repo"}},
		{"generator file outside the repo", fstest.MapFS{
			"apps/a/kustomization.yaml": kust("configMapGenerator:\n- name: x\n  files:\n  - key=../../../secret.txt\n"),
		}, "apps/a", []string{"overlay apps/a", "../../../secret.txt", "outside the repo"}},
		{"no kustomization", fstest.MapFS{
			"o/deployment.yaml": kust("kind: Deployment\n"),
		}, "o", []string{"overlay o"}},
		{"no such overlay", fstest.MapFS{}, "o", []string{"overlay o"}},
		// Nine nested anchors, each aliasing the one before ten times:
		// expanded, 10^9 strings (kustomize decodes into maps). Refused
		// before kustomize reads it.
		{"alias bomb", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- bomb.yaml\n"),
			"o/bomb.yaml":          kust(aliasBomb()),
		}, "o", []string{"overlay o", "o/bomb.yaml", "aliases expand to more than"}},
		{"huge file", fstest.MapFS{
			"o/kustomization.yaml": kust("resources:\n- huge.yaml\n"),
			"o/huge.yaml":          kust("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  x: \"" + strings.Repeat("x", MaxFileSize) + "\"\n"),
		}, "o", []string{"overlay o", "o/huge.yaml", "bytes, more than"}},
		{"overlay escapes the repo", fstest.MapFS{}, "../o", []string{"../o"}},
		{"absolute overlay", fstest.MapFS{}, "/o", []string{"/o"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New().Build(t.Context(), tt.fsys, tt.overlay)
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("Build(%q) error = %v, want a *BuildError", tt.overlay, err)
			}
			t.Log(err)
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Build(%q) error %q does not name %q", tt.overlay, err, s)
				}
			}
		})
	}
}

func TestBuildCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New().Build(ctx, repoFS(t), overlays[0])
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Build with a canceled context: error = %v, want context.Canceled", err)
	}
}

func TestRecordingFSReadOnly(t *testing.T) {
	r := newRecordingFS(fstest.MapFS{"a/f": {Data: []byte("x")}})
	writes := map[string]error{
		"WriteFile": r.WriteFile("/a/f", []byte("y")),
		"Mkdir":     r.Mkdir("/b"),
		"MkdirAll":  r.MkdirAll("/b/c"),
		"RemoveAll": r.RemoveAll("/a"),
	}
	if _, err := r.Create("/a/g"); true {
		writes["Create"] = err
	}
	f, err := r.Open("/a/f")
	if err != nil {
		t.Fatal(err)
	}
	_, writes["File.Write"] = f.Write([]byte("z"))
	for name, err := range writes {
		if !errors.Is(err, errReadOnly) {
			t.Errorf("%s error = %v, want errReadOnly", name, err)
		}
	}
	if b, _ := r.ReadFile("/a/f"); string(b) != "x" {
		t.Errorf("ReadFile after writes = %q, want %q", b, "x")
	}
}
