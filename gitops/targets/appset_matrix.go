package targets

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// Matrix is an ApplicationSet whose one generator is a matrix of a list
// (the clusters, one element each) and a git directory generator whose
// paths take the element's parameters (clusters/{{.cluster}}/*): Argo CD
// generates an Application for each listed cluster and each directory
// its paths match there. A workload is on a cluster when the cluster has
// an element and the workload's overlay directory for it matches.
type Matrix struct {
	set  *appset
	dirs *GitDirs
}

// param matches an Argo CD template parameter: {{cluster}}, {{ .values.region }}.
var param = regexp.MustCompile(`\{\{\s*\.?([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}`)

// ReadMatrix returns the file's matrix of a list and git directories, or
// nil when its generator is not a matrix. Another matrix is an
// *UnsupportedError.
func ReadMatrix(name string, src []byte) (*Matrix, error) {
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
		mx := rewrite.Get(gens.Content[0], "matrix")
		if mx == nil {
			return nil, nil
		}
		mg := rewrite.Get(mx, "generators")
		unsupported := &UnsupportedError{File: name, Line: keyOf(gens.Content[0], "matrix").Line, Shape: "a matrix generator other than a list of clusters and git directories that take the list's parameters"}
		if mg == nil || mg.Kind != yaml.SequenceNode || len(mg.Content) != 2 {
			return nil, unsupported
		}
		m := &Matrix{}
		for i, g := range mg.Content {
			steps := []rewrite.Step{rewrite.Key("spec"), rewrite.Key("generators"), rewrite.Index(0), rewrite.Key("matrix"), rewrite.Key("generators"), rewrite.Index(i)}
			switch {
			case rewrite.Get(g, "list") != nil:
				a := &appset{doc: d, steps: append(steps, rewrite.Key("list"))}
				if els := rewrite.Get(g, "list", "elements"); els != nil && els.Kind == yaml.SequenceNode {
					a.elements = els.Content
				} else if els != nil || keyOf(rewrite.Get(g, "list"), "elementsYaml") != nil {
					return nil, unsupported
				}
				m.set = a
			case rewrite.Get(g, "git", "directories") != nil && rewrite.Get(g, "git", "files") == nil:
				gd := &GitDirs{File: name, root: d.root}
				for _, it := range rewrite.Get(g, "git", "directories").Content {
					p := rewrite.Get(it, "path")
					if p == nil || p.Kind != yaml.ScalarNode {
						return nil, unsupported
					}
					pat := Pattern{Path: strings.TrimPrefix(p.Value, "/"), Line: p.Line}
					if isTrue(rewrite.Get(it, "exclude")) {
						gd.Exclude = append(gd.Exclude, pat)
					} else {
						gd.Include = append(gd.Include, pat)
					}
				}
				m.dirs = gd
			default:
				return nil, unsupported
			}
		}
		if m.set == nil || m.dirs == nil || !slices.ContainsFunc(m.dirs.Include, func(p Pattern) bool { return param.MatchString(p.Path) }) {
			return nil, unsupported // without the list's parameters, every directory is on every cluster
		}
		return m, nil
	}
	return nil, nil
}

// expand fills a path's parameters from a list element; ok is false when
// one is not there.
func expand(p string, el *yaml.Node) (string, bool) {
	ok := true
	out := param.ReplaceAllStringFunc(p, func(m string) string {
		keys := strings.Split(param.FindStringSubmatch(m)[1], ".")
		v := rewrite.Get(el, keys...)
		if v == nil || v.Kind != yaml.ScalarNode {
			ok = false
			return m
		}
		return v.Value
	})
	return out, ok && !strings.Contains(out, "{{")
}

// Match returns the line of the pattern that makes Argo CD generate an
// Application for dir on cluster, whose element the list must have.
func (m *Matrix) Match(file string, src []byte, dir, cluster string) (int, bool, error) {
	els, err := ApplicationSet{}.findIn(file, m.set, []string{cluster})
	if err != nil {
		return 0, false, err
	}
	e, ok := els[cluster]
	if !ok {
		return 0, false, nil
	}
	line, ok := m.match(e.node, dir)
	return line, ok, nil
}

func (m *Matrix) match(el *yaml.Node, dir string) (int, bool) {
	for _, p := range m.dirs.Exclude {
		if x, ok := expand(p.Path, el); ok {
			if hit, _ := path.Match(x, dir); hit {
				return 0, false
			}
		}
	}
	for _, p := range m.dirs.Include {
		if x, ok := expand(p.Path, el); ok {
			if hit, _ := path.Match(x, dir); hit {
				return p.Line, true
			}
		}
	}
	return 0, false
}

// AddCluster gives cluster to an element, copied from from's with subst
// applied, unless it has one; and checks that the paths then match dir,
// the workload's overlay directory on to. It returns src unchanged when to
// had an element.
func (m *Matrix) AddCluster(file string, src []byte, from, to, dir string, subst Subst) ([]byte, []rewrite.Result, error) {
	els, err := ApplicationSet{}.findIn(file, m.set, []string{from, to})
	if err != nil {
		return nil, nil, err
	}
	if e, ok := els[to]; ok {
		if _, ok := m.match(e.node, dir); !ok {
			return nil, nil, fmt.Errorf("%s:%d: %w: the git directories of %s do not match %s", file, e.node.Line, ErrSubst, to, dir)
		}
		return src, nil, nil
	}
	e, ok := els[from]
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: no list element names %s", file, ErrNotRegistered, from)
	}
	text, err := elementText(file, src, e.node)
	if err != nil {
		return nil, nil, err
	}
	raw := subst(text)
	var copied yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &copied); err != nil || len(copied.Content) == 0 {
		return nil, nil, fmt.Errorf("%s:%d: %w: the copied element is not YAML: %v", file, e.node.Line, ErrSubst, err)
	}
	if c, _, err := clusterOf(file, copied.Content[0], []string{from, to}); err != nil || c != to {
		return nil, nil, fmt.Errorf("%s:%d: %w: the element of %s, substituted, names %q, not %s", file, e.node.Line, ErrSubst, from, c, to)
	}
	if _, ok := m.match(copied.Content[0], dir); !ok {
		return nil, nil, fmt.Errorf("%s:%d: %w: the git directories, with %s's element, do not match %s", file, e.node.Line, ErrSubst, to, dir)
	}
	at := e.path()
	at.Steps = at.Steps[:len(at.Steps)-1]
	return rewrite.Apply(file, src, rewrite.Insert{Path: at, Raw: raw})
}

// Removal says what removing a directory deletes on its cluster.
func (m *Matrix) Removal() Removal { return m.dirs.Removal() }
