package gitops

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/render"
)

// kustomizationNames are the file names kustomize reads as a directory's
// kustomization, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// An Inclusion is a kustomization whose build reads a changed path: a
// parent list that names a registration file, an overlay that uses a
// shared component, a cluster folder that lists an overlay. A change must
// leave it building.
type Inclusion struct {
	Dir  string // the kustomization's directory, to build
	File string // its kustomization file
	// Line is the line of the entry that leads to Via; 0 when Via is the
	// kustomization file itself.
	Line int
	// Via is the changed path, or the included directory, that the entry
	// refers to.
	Via string
	// Component is a kustomization of kind Component: it cannot be
	// built alone, only as part of the kustomizations that include it.
	Component bool
}

// A Pointer is a Flux Kustomization or an Argo CD Application that tells
// the cluster to apply a directory of the repo.
type Pointer struct {
	File string
	Line int // the line of the path
	Kind string
	Name string
	Path string // the directory, clean and relative to the repo root
}

// A ref is one local path a kustomization file refers to, with its line.
type ref struct {
	path string
	line int
}

type kustomization struct {
	dir, file string
	refs      []ref
	component bool
}

// Includes finds what a change of some paths reaches beyond the files
// themselves. It reads each kustomization and registration file at most
// once.
type Includes struct {
	fsys  fs.FS
	kusts map[string]*kustomization // by directory; nil for none
	// all lists every kustomization directory and every pointer, once
	// the whole tree has been read.
	all      []string
	pointers []Pointer
	// walked says which of the two the tree has been read for.
	walkedKusts, walkedPointers bool
}

// NewIncludes reads fsys's kustomizations as they are needed.
func NewIncludes(fsys fs.FS) *Includes {
	return &Includes{fsys: fsys, kusts: map[string]*kustomization{}}
}

// Parents returns the kustomizations in the ancestor directories of paths
// (and theirs, in turn) whose build reads one of them: the lists a stage's
// edit must keep building. Only ancestors are read, so it costs a few
// files whatever the size of the repo.
func (in *Includes) Parents(paths []string) ([]Inclusion, error) {
	return in.find(paths, func(p string) ([]string, error) { return ancestors(p), nil })
}

// All returns every kustomization of the repo whose build reads one of
// paths, directly or through another kustomization, reading the whole
// tree once.
func (in *Includes) All(paths []string) ([]Inclusion, error) {
	if err := in.walk(false); err != nil {
		return nil, err
	}
	return in.find(paths, func(string) ([]string, error) { return in.all, nil })
}

// Pointers returns every Flux Kustomization and Argo CD Application of the
// repo, in file order, reading the whole tree once.
func (in *Includes) Pointers() ([]Pointer, error) {
	if err := in.walk(true); err != nil {
		return nil, err
	}
	return in.pointers, nil
}

// find returns the kustomizations among candidates(p), for each path p
// reached, that refer to p; a directory reached is reached in turn.
func (in *Includes) find(paths []string, candidates func(p string) ([]string, error)) ([]Inclusion, error) {
	var out []Inclusion
	seen := map[string]bool{}
	queue := slices.Clone(paths)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		dirs, err := candidates(p)
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			k, err := in.load(d)
			if err != nil {
				return nil, err
			}
			if k == nil {
				continue
			}
			inc, ok := k.includes(p)
			if !ok {
				continue
			}
			seen[d] = true
			out = append(out, inc)
			queue = append(queue, d)
		}
	}
	slices.SortFunc(out, func(a, b Inclusion) int { return strings.Compare(a.Dir, b.Dir) })
	return out, nil
}

// includes reports whether the kustomization reads p: its own file, a
// file it lists, or anything inside a directory it lists.
func (k *kustomization) includes(p string) (Inclusion, bool) {
	if p == k.file {
		return Inclusion{Dir: k.dir, File: k.file, Via: p, Component: k.component}, true
	}
	for _, r := range k.refs {
		if p == r.path || strings.HasPrefix(p, r.path+"/") {
			return Inclusion{Dir: k.dir, File: k.file, Line: r.line, Via: r.path, Component: k.component}, true
		}
	}
	return Inclusion{}, false
}

// ancestors are the directories above p, nearest first, ending with ".".
func ancestors(p string) []string {
	var out []string
	for d := path.Dir(p); ; d = path.Dir(d) {
		out = append(out, d)
		if d == "." {
			return out
		}
	}
}

// load returns dir's kustomization, or nil when it has none.
func (in *Includes) load(dir string) (*kustomization, error) {
	if k, ok := in.kusts[dir]; ok {
		return k, nil
	}
	var k *kustomization
	for _, n := range kustomizationNames {
		name := path.Join(dir, n)
		data, err := readFile(in.fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var ie *InputError
		if errors.As(err, &ie) {
			break // a directory so named, or too large: the build reports it
		}
		if err != nil {
			return nil, err
		}
		refs, component := kustomizationRefs(dir, data)
		k = &kustomization{dir: dir, file: name, refs: refs, component: component}
		break
	}
	in.kusts[dir] = k
	return k, nil
}

// walk reads every kustomization of the tree, or every pointer: the
// registrations are most of a repo's files, so a walk for the
// kustomizations does not read them. Hidden directories are skipped.
func (in *Includes) walk(pointers bool) error {
	done := &in.walkedKusts
	if pointers {
		done = &in.walkedPointers
	}
	if *done {
		return nil
	}
	*done = true
	return fs.WalkDir(in.fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != "." && strings.HasPrefix(e.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		if slices.Contains(kustomizationNames, e.Name()) {
			if pointers {
				return nil
			}
			d := path.Dir(p)
			if _, done := in.kusts[d]; !done {
				if _, err := in.load(d); err != nil {
					return err
				}
			}
			if k := in.kusts[d]; k != nil && k.file == p {
				in.all = append(in.all, d)
			}
			return nil
		}
		if ext := path.Ext(p); !pointers || ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := readFile(in.fsys, p)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return nil
			}
			return err
		}
		in.pointers = append(in.pointers, pointerDocs(p, data)...)
		return nil
	})
}

// pointerDocs returns the Flux Kustomizations and Argo CD Applications of a
// YAML file, with the directory each applies. A file that does not parse
// is skipped: it is not ferry's to judge here.
func pointerDocs(name string, data []byte) []Pointer {
	if !bytes.Contains(data, []byte("kustomize.toolkit.fluxcd.io")) && !bytes.Contains(data, []byte("argoproj.io")) {
		return nil
	}
	var out []Pointer
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return out // the end, or a document that does not parse
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		api, kind := scalarAt(root, "apiVersion"), scalarAt(root, "kind")
		var paths []*yaml.Node
		switch {
		case strings.HasPrefix(api, "kustomize.toolkit.fluxcd.io/") && kind == "Kustomization":
			paths = append(paths, nodeAt(root, "spec", "path"))
		case strings.HasPrefix(api, "argoproj.io/") && kind == "Application":
			paths = append(paths, nodeAt(root, "spec", "source", "path"))
			if srcs := nodeAt(root, "spec", "sources"); srcs != nil && srcs.Kind == yaml.SequenceNode {
				for _, s := range srcs.Content {
					paths = append(paths, nodeAt(s, "path"))
				}
			}
		}
		for _, n := range paths {
			if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" || strings.Contains(n.Value, "${") {
				continue
			}
			p := path.Clean(strings.TrimPrefix(n.Value, "/"))
			if p == ".." || strings.HasPrefix(p, "../") {
				continue
			}
			out = append(out, Pointer{File: name, Line: n.Line, Kind: kind, Name: scalarAt(root, "metadata", "name"), Path: p})
		}
	}
}

// scalarAt is the scalar value at keys below n, or "".
func scalarAt(n *yaml.Node, keys ...string) string {
	if v := nodeAt(n, keys...); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// kustomizationRefs returns the local paths a kustomization file in dir
// refers to, relative to the repo root: what it lists as resources, bases
// and components, and the files of its patches, generators and other
// fields. Remote references and paths that leave the repo are left out,
// as is a file that does not parse (its build reports it). component
// says the file is a kustomize Component.
func kustomizationRefs(dir string, data []byte) (refs []ref, component bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	root := doc.Content[0]
	var out []ref
	add := func(n *yaml.Node, keyValue bool) {
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" || strings.Contains(n.Value, "\n") {
			return
		}
		v := n.Value
		if keyValue {
			if k, rest, ok := strings.Cut(v, "="); ok && !strings.Contains(k, "/") {
				v = rest // a generator's key=path
			}
		}
		if render.IsRemote(v) || strings.HasPrefix(v, "/") {
			return
		}
		p := path.Join(dir, v)
		if p == ".." || strings.HasPrefix(p, "../") {
			return
		}
		out = append(out, ref{path: p, line: n.Line})
	}
	items := func(key string) []*yaml.Node {
		if n := child(root, key); n != nil && n.Kind == yaml.SequenceNode {
			return n.Content
		}
		return nil
	}
	for _, key := range []string{"resources", "bases", "components", "crds", "configurations", "patchesStrategicMerge", "generators", "transformers", "validators"} {
		for _, it := range items(key) {
			add(it, false)
		}
	}
	for _, key := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, it := range items(key) {
			add(child(it, "path"), false)
		}
	}
	for _, key := range []string{"configMapGenerator", "secretGenerator"} {
		for _, it := range items(key) {
			for _, f := range []string{"files", "envs"} {
				if n := child(it, f); n != nil && n.Kind == yaml.SequenceNode {
					for _, s := range n.Content {
						add(s, true)
					}
				}
			}
			add(child(it, "env"), false)
		}
	}
	if o := child(root, "openapi"); o != nil {
		add(child(o, "path"), false)
	}
	return out, scalarAt(root, "kind") == "Component"
}
