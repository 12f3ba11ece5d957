package check_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot/check"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
)

// BenchmarkCheckOneFile checks a one-line weight change in a repo of 2,000
// workloads over 6 clusters (about 30,000 files). load is the floor every
// check pays, reading the base and head trees with gitops.Load; change is
// the whole check, which also reads every kustomization (and, when a
// directory goes, every registration) of the head tree to find what reads
// the changed file. Compare the two as a ratio.
func BenchmarkCheckOneFile(b *testing.B) {
	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: 2000, Clusters: 6})
	if err != nil {
		b.Fatal(err)
	}
	repo := newRepo(b, files)
	var traffic string
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if len(p) > 8 && p[:8] == "traffic/" {
			traffic = p
			break
		}
	}
	base, head := commit(b, repo, "Touch the weights\n", edit(b, repo, traffic, "weight: ", "weight:  "))
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			for _, h := range []plumbing.Hash{base, head} {
				fsys, err := repo.FS(h)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := gitops.Load(fsys); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("change", func(b *testing.B) {
		for b.Loop() {
			if _, err := check.Change(b.Context(), repo, base, head, render.New()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
