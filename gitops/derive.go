package gitops

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Substitution rewrites the strings of one cluster into another's: the
// cluster's name and each of its inventory values become the target's name
// and value for the same key. A value is replaced only as a whole word (not
// inside gke-eu-10 when replacing gke-eu-1), longest first.
type Substitution struct {
	From, To string
	pairs    []pair
}

type pair struct{ old, new string }

// NewSubstitution returns the substitution from cluster from to cluster to
// of the inventory.
func (inv *Inventory) NewSubstitution(from, to string) (*Substitution, error) {
	src, ok := inv.Cluster(from)
	if !ok {
		return nil, fmt.Errorf("%w: cluster %q is not in the inventory", ErrUnknownName, from)
	}
	dst, ok := inv.Cluster(to)
	if !ok {
		return nil, fmt.Errorf("%w: cluster %q is not in the inventory", ErrUnknownName, to)
	}
	s := &Substitution{From: from, To: to, pairs: []pair{{from, to}}}
	for k, v := range src.Values {
		if v == "" || v == dst.Values[k] {
			continue
		}
		s.pairs = append(s.pairs, pair{v, dst.Values[k]})
	}
	slices.SortFunc(s.pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(len(b.old), len(a.old)), strings.Compare(a.old, b.old))
	})
	s.pairs = slices.CompactFunc(s.pairs, func(a, b pair) bool { return a.old == b.old })
	return s, nil
}

// Replace applies the substitution to s.
func (s *Substitution) Replace(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		matched := false
		for _, p := range s.pairs {
			if i > 0 && isWordByte(text[i-1]) && isWordByte(p.old[0]) {
				continue
			}
			if strings.HasPrefix(text[i:], p.old) {
				end := i + len(p.old)
				if end < len(text) && isWordByte(text[end]) && isWordByte(p.old[len(p.old)-1]) {
					continue
				}
				b.WriteString(text[last:i])
				b.WriteString(p.new)
				i, last, matched = end, end, true
				break
			}
		}
		if !matched {
			i++
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// Leftover is a source-cluster string still present in a derived file: a
// person should look at it, it may be a value the inventory does not know.
type Leftover struct {
	File  string
	Line  int
	Value string
}

func (l Leftover) String() string {
	return fmt.Sprintf("%s:%d: still mentions %q", l.File, l.Line, l.Value)
}

// Leftovers finds every source string of the substitution still in data,
// as a substring (so a value the word rule skipped is found too). Target
// values are masked first, so gke-eu-10 derived from gke-eu-1 is not
// reported as a leftover of gke-eu-1.
func (s *Substitution) Leftovers(name string, data []byte) []Leftover {
	var out []Leftover
	for i, line := range strings.Split(string(data), "\n") {
		masked := line
		for _, p := range s.pairs {
			if p.new != "" && strings.Contains(p.new, p.old) {
				masked = strings.ReplaceAll(masked, p.new, "\x00")
			}
		}
		for _, p := range s.pairs {
			if strings.Contains(masked, p.old) {
				out = append(out, Leftover{File: name, Line: i + 1, Value: p.old})
				break
			}
		}
	}
	return out
}

// File is a file of the repo, by slash path.
type File struct {
	Path string
	Data []byte
}

// Derived is a target overlay derived from a source overlay.
type Derived struct {
	Dir       string
	Files     []File // sorted by path
	Leftovers []Leftover
}

// DeriveOverlay derives workload w's overlay for cluster to from its
// overlay for cluster from: each file copied with the substitution applied
// to its path and content. Relative paths stay valid because the overlay
// template puts every cluster's overlay at the same depth. It does not
// build the result; see CheckBuild.
func (repo *Repo) DeriveOverlay(w *Workload, from, to string) (*Derived, error) {
	fsys := repo.fsys
	src, ok := w.Overlays[from]
	if !ok {
		return nil, fmt.Errorf("workload %s has no overlay for %s", w.Name, from)
	}
	dst := repo.Config.Expand(repo.Config.Overlay, w.Name, to)
	if repo.Config.SharedOverlay() {
		return &Derived{Dir: dst}, nil // the folder every cluster applies: nothing to derive
	}
	if _, ok := w.Overlays[to]; ok {
		return nil, fmt.Errorf("workload %s already has an overlay for %s (%s)", w.Name, to, dst)
	}
	sub, err := repo.Inventory.NewSubstitution(from, to)
	if err != nil {
		return nil, err
	}
	d := &Derived{Dir: dst}
	err = fs.WalkDir(fsys, src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type()&fs.ModeSymlink != 0 {
			return inputErr(p, 0, fmt.Errorf("%w: a symlink in an overlay cannot be derived", ErrMalformed))
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			return inputErr(p, 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, info.Size()))
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, src+"/")
		name := path.Join(dst, sub.Replace(rel))
		out := []byte(sub.Replace(string(data)))
		d.Files = append(d.Files, File{Path: name, Data: out})
		d.Leftovers = append(d.Leftovers, sub.Leftovers(name, out)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(d.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return d, nil
}

// CheckBuild renders overlay dir of the repo with the changes applied,
// and returns the build's error, if any.
func (r *Repo) CheckBuild(ctx context.Context, changes []Change, dir string) error {
	_, err := r.renderer.Build(ctx, Overlay(r.fsys, changes), dir)
	return err
}
