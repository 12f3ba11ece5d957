package traffic_test

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

// corpusRepos returns the YAML files of each repo of $FERRY_CORPUS (one
// folder per repo), by repo and path inside it.
func corpusRepos(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	root := os.Getenv("FERRY_CORPUS")
	if root == "" {
		t.Skip("FERRY_CORPUS is not set; set it to a folder of real deployment repos (such as /work/shared/corpus) to run this test")
	}
	repos := map[string]map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		repo, inRepo, ok := strings.Cut(filepath.ToSlash(rel), "/")
		if !ok {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if repos[repo] == nil {
			repos[repo] = map[string][]byte{}
		}
		repos[repo][inRepo] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) == 0 {
		t.Fatalf("FERRY_CORPUS=%s holds no YAML files", root)
	}
	return repos
}

// backendNames lists the backend names of the routes of kind in src: the
// backendRefs names of an HTTPRoute, the destination subsets of a
// VirtualService.
func backendNames(src []byte, kind string) (names []string, docs int) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var d yaml.Node
		if err := dec.Decode(&d); err != nil {
			return names, docs // the end, or not YAML: Read reports it for files with routes
		}
		var v struct {
			Kind string
			Spec struct {
				Rules []struct {
					BackendRefs []struct{ Name string } `yaml:"backendRefs"`
				}
				HTTP []struct {
					Route []struct {
						Destination struct{ Subset string }
					}
				} `yaml:"http"`
			}
		}
		if d.Decode(&v) != nil || v.Kind != kind {
			continue
		}
		docs++
		for _, r := range v.Spec.Rules {
			for _, b := range r.BackendRefs {
				names = append(names, b.Name)
			}
		}
		for _, h := range v.Spec.HTTP {
			for _, r := range h.Route {
				names = append(names, r.Destination.Subset)
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	repos := corpusRepos(t)
	var files, routes, read, refusedRead, owned, ownedFiles int
	for _, repo := range slices.Sorted(maps.Keys(repos)) {
		fs := repos[repo]
		repoRoutes, repoRead, repoRefused := routes, read, refusedRead
		for name, src := range fs {
			files++
			for _, kind := range []string{"HTTPRoute", "VirtualService"} {
				names, docs := backendNames(src, kind)
				if docs == 0 {
					continue
				}
				routes += docs
				// Each backend name is taken as a cluster's.
				r := traffic.Route{Kind: kind, Backend: func(c string) string { return c }}
				w, err := r.Read(repo+"/"+name, src, names)
				switch {
				case errors.Is(err, traffic.ErrInconsistent) || errors.Is(err, traffic.ErrVarUndefined):
					refusedRead++
					t.Logf("refused: %v", err)
				case err != nil:
					t.Errorf("Route{Kind: %s}.Read(%s/%s): %v", kind, repo, name, err)
				default:
					read++
					t.Logf("%s/%s: %s weights %v", repo, name, kind, w)
				}
			}
			var oe *traffic.OwnedError
			if err := traffic.DetectOwner(map[string][]byte{name: src}); errors.As(err, &oe) {
				ownedFiles++
			} else if err != nil {
				t.Errorf("DetectOwner(%s/%s): %v", repo, name, err)
			}
		}
		var oe *traffic.OwnedError
		switch err := traffic.DetectOwner(fs); {
		case errors.As(err, &oe):
			owned++
			t.Logf("%s: %v", repo, err)
		case err != nil:
			t.Errorf("DetectOwner(%s): %v", repo, err)
		}
		t.Logf("%s: %d YAML files, %d HTTPRoute/VirtualService documents, %d read, %d refused", repo, len(fs), routes-repoRoutes, read-repoRead, refusedRead-repoRefused)
	}
	t.Logf("corpus: %d repos, %d YAML files; %d HTTPRoute/VirtualService documents, %d files read, %d refused; %d repos (%d files) with weights owned at runtime",
		len(repos), files, routes, read, refusedRead, owned, ownedFiles)
}

// TestFixtureRoutes reads every traffic file of the sample repos, adds a
// backend copied from the first and removes it again: the file comes back
// byte for byte.
func TestFixtureRoutes(t *testing.T) {
	files, err := filepath.Glob("../../fixtures/repos/*/traffic/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture traffic files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range []string{"HTTPRoute", "VirtualService"} {
				names, docs := backendNames(src, kind)
				if docs == 0 {
					continue
				}
				r := traffic.Route{Kind: kind, Backend: func(c string) string { return c }}
				if _, err := r.Read(file, src, names); err != nil {
					t.Fatalf("Read(): %v", err)
				}
				from, to := names[0], names[0]+"-copy"
				added, _, err := r.AddBackend(file, src, from, to, func(s string) string { return strings.ReplaceAll(s, from, to) })
				if err != nil {
					t.Fatalf("AddBackend(%s, %s): %v", from, to, err)
				}
				back, _, err := r.RemoveBackend(file, added, to)
				if err != nil {
					t.Fatalf("RemoveBackend(%s): %v", to, err)
				}
				if !bytes.Equal(back, src) {
					t.Errorf("AddBackend then RemoveBackend changed the file:\n%s", lineDiff(string(src), string(back)))
				}
			}
		})
	}
}
