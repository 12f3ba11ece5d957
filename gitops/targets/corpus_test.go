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
// $FERRY_CORPUS: each Flux Kustomization and Argo CD Application must pass
// Check and Removal, each ApplicationSet Read and Removal or be refused
// with an *UnsupportedError.
func TestCorpus(t *testing.T) {
	root := os.Getenv("FERRY_CORPUS")
	if root == "" {
		t.Skip("FERRY_CORPUS is not set; set it to a folder of real-world deployment repos, such as /work/shared/corpus")
	}
	var files, notYAML, flux, apps, appsets, unsupported int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		files++
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
			notYAML++
			return nil
		}
		if kinds["flux"] > 0 {
			flux += kinds["flux"]
			p := targets.PerPair{Kind: targets.KindFluxKustomization}
			if err := p.Check(name, src); err != nil {
				t.Errorf("Check(): %v", err)
			}
			if _, err := p.Removal(name, src); err != nil {
				t.Errorf("Removal(): %v", err)
			}
		}
		if kinds["app"] > 0 {
			apps += kinds["app"]
			p := targets.PerPair{Kind: targets.KindApplication}
			if err := p.Check(name, src); err != nil {
				t.Errorf("Check(): %v", err)
			}
			if _, err := p.Removal(name, src); err != nil {
				t.Errorf("Removal(): %v", err)
			}
		}
		if kinds["appset"] > 0 {
			appsets += kinds["appset"]
			var a targets.ApplicationSet
			_, err := a.Read(name, src, []string{"in-cluster", "staging", "production"})
			if err == nil {
				_, err = a.Removal(name, src)
			}
			var ue *targets.UnsupportedError
			if errors.As(err, &ue) {
				unsupported++
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
	t.Logf("%d YAML files (%d not YAML, skipped): %d Flux Kustomizations, %d Applications, %d ApplicationSets (%d files unsupported)", files, notYAML, flux, apps, appsets, unsupported)
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
