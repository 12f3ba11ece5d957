package render

import (
	"fmt"
	"testing"
	"testing/fstest"
)

// manyOverlays returns a repo of n workloads, each a base and one overlay,
// and the overlays' paths.
func manyOverlays(tb testing.TB, n int) (fstest.MapFS, []string) {
	tb.Helper()
	fsys := repoFS(tb)
	var dirs []string
	for i := range n {
		w := fmt.Sprintf("apps/w%03d", i)
		fsys[w+"/base/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources:\n- ../../playlist-api/base\nnameSuffix: \"-" + fmt.Sprint(i) + "\"\n")}
		fsys[w+"/overlays/gke-eu-1/kustomization.yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
			"namespace: w%03d\nresources:\n- ../../base\nimages:\n- name: gcr.io/music/playlist-api\n  newTag: 1.%d.0\n", i, i))}
		dirs = append(dirs, w+"/overlays/gke-eu-1")
	}
	return fsys, dirs
}

func buildAll(b *testing.B, r *Renderer, fsys fstest.MapFS, dirs []string) {
	for _, d := range dirs {
		if _, err := r.Build(b.Context(), fsys, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild100 builds 100 distinct overlays: cold runs kustomize for
// each, cached re-hashes what each build read.
func BenchmarkBuild100(b *testing.B) {
	fsys, dirs := manyOverlays(b, 100)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			buildAll(b, New(), fsys, dirs)
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := New()
		buildAll(b, r, fsys, dirs)
		for b.Loop() {
			buildAll(b, r, fsys, dirs)
		}
		if s := r.Stats(); s.Runs != int64(len(dirs)) {
			b.Errorf("kustomize ran %d times, want %d", s.Runs, len(dirs))
		}
	})
}
