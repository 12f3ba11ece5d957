package gitops_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-dev/ferry/gitops"
)

// TestCorpusParents reads every real-world repo under $FERRY_CORPUS (one
// folder per repo) as rule 6 does: every Flux Kustomization and Argo CD
// Application with the directory it applies, and every kustomization that
// lists one of their files (a parent list ferry now keeps when it adds or
// removes a registration). No repo may make the reading fail.
func TestCorpusParents(t *testing.T) {
	root := os.Getenv("FERRY_CORPUS")
	if root == "" {
		t.Skip("FERRY_CORPUS is not set; set it to a folder of real-world deployment repos, such as /work/shared/corpus")
	}
	repos, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if !r.IsDir() {
			continue
		}
		in := gitops.NewIncludes(os.DirFS(filepath.Join(root, r.Name())))
		ptrs, err := in.Pointers()
		if err != nil {
			t.Errorf("%s: %v", r.Name(), err)
			continue
		}
		files := map[string]bool{}
		for _, p := range ptrs {
			files[p.File] = true
		}
		var paths []string
		for f := range files {
			paths = append(paths, f)
		}
		incs, err := gitops.NewIncludes(os.DirFS(filepath.Join(root, r.Name()))).Parents(paths)
		if err != nil {
			t.Errorf("%s: %v", r.Name(), err)
			continue
		}
		t.Logf("%s: %d registrations in %d files; %d kustomizations above them list them", r.Name(), len(ptrs), len(files), len(incs))
	}
}
