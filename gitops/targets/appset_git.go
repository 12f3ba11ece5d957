package targets

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// GitDirs is an ApplicationSet whose one generator is a git directory
// generator: Argo CD generates an Application for every directory of the
// repo that one of Include matches and none of Exclude does. A
// directory is registered by being there: ferry's overlay for a cluster
// is the directory, its template names the cluster from the path.
type GitDirs struct {
	File             string
	Include, Exclude []Pattern
	root             *yaml.Node
}

// A Pattern is one entry of the generator's directories, a path.Match
// pattern relative to the repo root, as Argo CD matches them.
type Pattern struct {
	Path string
	Line int
}

// ReadGitDirs returns the git directory generator of the file's
// ApplicationSet, or nil when its generator is another kind (Read and Add
// handle a list generator, ReadGitFiles a git files generator).
func ReadGitDirs(name string, src []byte) (*GitDirs, error) {
	docs, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if !isArgo(d.root, "ApplicationSet") {
			continue
		}
		gens := rewrite.Get(d.root, "spec", "generators")
		if gens == nil || gens.Kind != yaml.SequenceNode || len(gens.Content) != 1 {
			return nil, nil
		}
		git := rewrite.Get(gens.Content[0], "git")
		if git == nil {
			return nil, nil
		}
		if keyOf(git, "files") != nil {
			return nil, nil // ReadGitFiles
		}
		dirs := rewrite.Get(git, "directories")
		if dirs == nil || dirs.Kind != yaml.SequenceNode {
			return nil, &UnsupportedError{File: name, Line: git.Line, Shape: "a git generator without directories"}
		}
		g := &GitDirs{File: name, root: d.root}
		for _, it := range dirs.Content {
			p := rewrite.Get(it, "path")
			if p == nil || p.Kind != yaml.ScalarNode || strings.Contains(p.Value, "{{") {
				return nil, &UnsupportedError{File: name, Line: it.Line, Shape: "a git directory without a plain path"}
			}
			if _, err := path.Match(p.Value, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: %w: directory pattern %q: %v", name, p.Line, ErrAmbiguous, p.Value, err)
			}
			pat := Pattern{Path: strings.TrimPrefix(path.Clean(p.Value), "/"), Line: p.Line}
			if isTrue(rewrite.Get(it, "exclude")) {
				g.Exclude = append(g.Exclude, pat)
			} else {
				g.Include = append(g.Include, pat)
			}
		}
		return g, nil
	}
	return nil, nil
}

// Match returns the pattern that makes Argo CD generate an Application
// for dir, or false when none does or one excludes it.
func (g *GitDirs) Match(dir string) (Pattern, bool) {
	for _, p := range g.Exclude {
		if ok, _ := path.Match(p.Path, dir); ok {
			return Pattern{}, false
		}
	}
	for _, p := range g.Include {
		if ok, _ := path.Match(p.Path, dir); ok {
			return p, true
		}
	}
	return Pattern{}, false
}

// Removal says what removing a generated directory deletes on its cluster.
func (g *GitDirs) Removal() Removal {
	r := appsetRemoval(g.File, g.root)
	r.Reason = strings.ReplaceAll(r.Reason, "removing a cluster's element", "removing the cluster's directory")
	return r
}
