package targets_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/rewrite"
)

// TestCorpus reads every registration of the real-world repos under
// $FERRY_CORPUS (one folder per repo): each Flux Kustomization and Argo CD
// Application must pass Check and Removal, each ApplicationSet Read (a list
// generator) or ReadGitDirs (a git directory generator) and Removal, or be
// refused with an *UnsupportedError. It logs, per repo, the registration
// files by shape: one registration (a file per pair), several of one kind
// (a file per cluster, read with targets.name), ApplicationSets ferry
// reads, and the unsupported ones.
func TestCorpus(t *testing.T) {
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
		var c corpusCount
		c.walk(t, root, filepath.Join(root, r.Name()))
		t.Logf("%s: %d YAML files (%d not YAML); registration files: %d of one registration, %d of several, %d ApplicationSets read (%d list, %d git directories or files), %d unsupported",
			r.Name(), c.files, c.notYAML, c.single, c.several, c.appsetList+c.appsetGit, c.appsetList, c.appsetGit, c.unsupported)
	}
}

type corpusCount struct {
	files, notYAML, single, several, appsetList, appsetGit, unsupported int
}

func (c *corpusCount) walk(t *testing.T, root, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		c.files++
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(root, path)
		kinds, err := kindsOf(name, src)
		if err != nil {
			var pe *rewrite.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("%s: %v", name, err)
			}
			c.notYAML++
			return nil
		}
		for _, k := range []struct {
			key  string
			kind string
		}{{"flux", targets.KindFluxKustomization}, {"app", targets.KindApplication}} {
			n := kinds[k.key]
			if n == 0 {
				continue
			}
			p := targets.PerPair{Kind: k.kind}
			if err := p.Check(name, src); err != nil {
				t.Errorf("Check(): %v", err)
			}
			if _, err := p.Removal(name, src); err != nil {
				t.Errorf("Removal(): %v", err)
			}
			if n == 1 {
				c.single++
			} else {
				c.several++
			}
		}
		if kinds["appset"] > 0 {
			g, err := targets.ReadGitDirs(name, src)
			var gf *targets.GitFiles
			if err == nil && g == nil {
				gf, err = targets.ReadGitFiles(name, src)
			}
			switch {
			case err == nil && (g != nil || gf != nil):
				c.appsetGit++
			case err == nil:
				var a targets.ApplicationSet
				if _, err = a.Read(name, src, []string{"in-cluster", "staging", "production"}); err == nil {
					_, err = a.Removal(name, src)
				}
				if err == nil {
					c.appsetList++
				}
			}
			var ue *targets.UnsupportedError
			if errors.As(err, &ue) {
				c.unsupported++
				t.Logf("unsupported: %v", err)
			} else if err != nil {
				t.Errorf("ApplicationSet: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// kindsOf counts the registrations of each kind in a file, after the
// same parse check rewrite makes.
func kindsOf(name string, src []byte) (map[string]int, error) {
	if _, _, err := rewrite.Apply(name, src); err != nil {
		return nil, err
	}
	out := map[string]int{}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var d struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			// A document that is not an object (a list, a scalar).
			continue
		}
		switch {
		case d.Kind == "Kustomization" && strings.HasPrefix(d.APIVersion, "kustomize.toolkit.fluxcd.io/"):
			out["flux"]++
		case d.Kind == "Application" && strings.HasPrefix(d.APIVersion, "argoproj.io/"):
			out["app"]++
		case d.Kind == "ApplicationSet" && strings.HasPrefix(d.APIVersion, "argoproj.io/"):
			out["appset"]++
		}
	}
}
