package targets

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// GitFiles is an ApplicationSet whose one generator is a git files
// generator: Argo CD generates an Application for every file of the repo
// that one of Include matches and none of Exclude does, with the file's
// keys as parameters. A (workload, cluster) pair is registered by its
// file: the one whose content or path names the cluster.
//
// Patterns are matched with path.Match, one segment per "*", as Argo CD
// does with applicationsetcontroller.enable.new.git.file.globbing; its
// older default lets "*" cross "/" and may match more files than ferry
// sees.
type GitFiles struct {
	GitDirs
}

// ReadGitFiles returns the git files generator of the file's
// ApplicationSet, or nil when its generator is another kind.
func ReadGitFiles(name string, src []byte) (*GitFiles, error) {
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
		files := rewrite.Get(gens.Content[0], "git", "files")
		if files == nil {
			return nil, nil
		}
		if files.Kind != yaml.SequenceNode || rewrite.Get(gens.Content[0], "git", "directories") != nil {
			return nil, &UnsupportedError{File: name, Line: files.Line, Shape: "a git generator of files and directories at once"}
		}
		g := &GitFiles{GitDirs{File: name, root: d.root}}
		for _, it := range files.Content {
			p := rewrite.Get(it, "path")
			if p == nil || p.Kind != yaml.ScalarNode || strings.Contains(p.Value, "{{") {
				return nil, &UnsupportedError{File: name, Line: it.Line, Shape: "a git file without a plain path"}
			}
			if _, err := path.Match(p.Value, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: %w: file pattern %q: %v", name, p.Line, ErrAmbiguous, p.Value, err)
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

// ClusterOf returns the cluster among clusters that a generator file
// registers: the one its values name (cluster: gke-eu-1, or deeper, as in
// cluster.name), or else the one a segment of its path is; "" when none.
// Two clusters named is ErrAmbiguous.
func ClusterOf(name string, data []byte, clusters []string) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	found := map[string]bool{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 4 {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i], depth+1)
			}
		case yaml.ScalarNode:
			if slices.Contains(clusters, n.Value) {
				found[n.Value] = true
			}
		}
	}
	walk(&doc, 0)
	if len(found) == 0 {
		for _, seg := range strings.Split(name, "/") {
			if c := strings.TrimSuffix(seg, path.Ext(seg)); slices.Contains(clusters, c) {
				found[c] = true
			}
		}
	}
	var out []string
	for c := range found {
		out = append(out, c)
	}
	slices.Sort(out)
	switch len(out) {
	case 0:
		return "", nil
	case 1:
		return out[0], nil
	}
	return "", fmt.Errorf("%s: %w: the generator file names %s", name, ErrAmbiguous, strings.Join(out, " and "))
}
