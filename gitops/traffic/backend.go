package traffic

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// Subst rewrites the source cluster's strings into the target's (the
// cluster name, the cluster's inventory values). It is applied to text.
type Subst func(string) string

// Conditions AddBackend and RemoveBackend refuse on.
var (
	ErrNoBackend   = errors.New("the cluster has no backend in the route")
	ErrHasBackend  = errors.New("the cluster already has a backend in the route")
	ErrNotDrained  = errors.New("the cluster's weight is not 0")
	ErrLastBackend = errors.New("it is the only backend of its rule")
)

// A WeightError reports a backend that still has traffic, so it is not
// removed. It wraps ErrNotDrained.
type WeightError struct {
	File    string
	Line    int
	Cluster string
	Weight  int
}

func (e *WeightError) Error() string {
	return fmt.Sprintf("%s:%d: %s has weight %d; a backend is removed only at weight 0", e.File, e.Line, e.Cluster, e.Weight)
}

func (e *WeightError) Unwrap() error { return ErrNotDrained }

// AddBackend copies the backend of cluster from in every rule that routes
// to it, applies subst to the copied text, sets the copy's weight to 0 and
// inserts it right after the source's entry, in the same indentation and
// dash style, with the comments attached to the copied entry. For a
// VirtualService, each DestinationRule in the same file whose host the
// source's destinations name, and that has a subset for from, gets the
// derived subset too (unless it already has one for to). It refuses when
// to already has a backend (ErrHasBackend) or from has none
// (ErrNoBackend), and when the copy is not named Backend(to).
func (r Route) AddBackend(name string, src []byte, from, to string, subst Subst) ([]byte, []rewrite.Result, error) {
	sp, ok := kinds[r.Kind]
	if !ok {
		return nil, nil, fmt.Errorf("%s: traffic kind %q is not HTTPRoute or VirtualService", name, r.Kind)
	}
	if subst == nil {
		subst = func(s string) string { return s }
	}
	refs, err := r.find(name, src, []string{from, to})
	if err != nil {
		return nil, nil, err
	}
	var sources []ref
	for _, x := range refs {
		if x.cluster == to {
			return nil, nil, fmt.Errorf("%s:%d: %w: %s (%s)", name, x.line, ErrHasBackend, to, r.Backend(to))
		}
		sources = append(sources, x)
	}
	if len(sources) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: %s (no %s backend %s)", name, ErrNoBackend, from, r.Kind, r.Backend(from))
	}
	lines := splitLines(src)
	want := r.Backend(to)
	var edits []rewrite.Edit
	hosts := map[string]bool{}
	for _, x := range sources {
		raw, err := itemText(name, lines, x.node)
		if err != nil {
			return nil, nil, err
		}
		raw, err = zeroWeight(name, x.line, subst(raw))
		if err != nil {
			return nil, nil, err
		}
		if err := named(name, x.line, raw, sp.name, want); err != nil {
			return nil, nil, err
		}
		edits = append(edits, insertAfter(x.path(sp), x.ref, len(x.seq.Content), raw))
		hosts[rewrite.Scalar(rewrite.Get(x.node, "destination", "host"))] = true
	}
	if r.Kind == "VirtualService" {
		subsets, err := destinationSubsets(name, src, hosts)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range subsets {
			if s.has(want) {
				continue
			}
			k := s.index(r.Backend(from))
			if k < 0 {
				continue
			}
			raw, err := itemText(name, lines, s.seq.Content[k])
			if err != nil {
				return nil, nil, err
			}
			raw = subst(raw)
			if err := named(name, s.seq.Content[k].Line, raw, []string{"name"}, want); err != nil {
				return nil, nil, err
			}
			edits = append(edits, insertAfter(s.path.Child(rewrite.Index(k)), k, len(s.seq.Content), raw))
		}
	}
	return rewrite.Apply(name, src, edits...)
}

// RemoveBackend deletes the backend of cluster from every rule that
// routes to it, and for a VirtualService its subset from the
// DestinationRules in the same file. It refuses with a *WeightError when
// the cluster's weight is not 0, with ErrLastBackend when a rule would be
// left without a backend, and with ErrNoBackend when the cluster has none.
func (r Route) RemoveBackend(name string, src []byte, cluster string) ([]byte, []rewrite.Result, error) {
	sp, ok := kinds[r.Kind]
	if !ok {
		return nil, nil, fmt.Errorf("%s: traffic kind %q is not HTTPRoute or VirtualService", name, r.Kind)
	}
	refs, err := r.find(name, src, []string{cluster})
	if err != nil {
		return nil, nil, err
	}
	if len(refs) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: %s (no %s backend %s)", name, ErrNoBackend, cluster, r.Kind, r.Backend(cluster))
	}
	var edits []rewrite.Edit
	hosts := map[string]bool{}
	for _, x := range refs {
		if x.weight != 0 {
			return nil, nil, &WeightError{File: name, Line: x.line, Cluster: cluster, Weight: x.weight}
		}
		if len(x.seq.Content) == 1 {
			return nil, nil, fmt.Errorf("%s:%d: %w: %s is not removed", name, x.line, ErrLastBackend, r.Backend(cluster))
		}
		edits = append(edits, rewrite.Delete{Path: x.path(sp)})
		hosts[rewrite.Scalar(rewrite.Get(x.node, "destination", "host"))] = true
	}
	if r.Kind == "VirtualService" {
		subsets, err := destinationSubsets(name, src, hosts)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range subsets {
			if k := s.index(r.Backend(cluster)); k >= 0 {
				edits = append(edits, rewrite.Delete{Path: s.path.Child(rewrite.Index(k))})
			}
		}
	}
	return rewrite.Apply(name, src, edits...)
}

// insertAfter inserts raw as the item after item i of the n items of the
// sequence that at, the path to item i, ends in.
func insertAfter(at rewrite.Path, i, n int, raw string) rewrite.Insert {
	seq := rewrite.Path{Kind: at.Kind, Name: at.Name, Doc: at.Doc, Steps: at.Steps[:len(at.Steps)-1]}
	ins := rewrite.Insert{Path: seq, Raw: raw}
	if i+1 < n {
		ins.Before = rewrite.Index(i + 1)
	}
	return ins
}

// subsets is the subsets sequence of one DestinationRule.
type subsets struct {
	path rewrite.Path
	seq  *yaml.Node
}

func (s subsets) index(name string) int {
	for i, it := range s.seq.Content {
		if rewrite.Scalar(rewrite.Get(it, "name")) == name {
			return i
		}
	}
	return -1
}

func (s subsets) has(name string) bool { return s.index(name) >= 0 }

// destinationSubsets lists the subsets of the DestinationRules in src
// whose host is one of hosts.
func destinationSubsets(name string, src []byte, hosts map[string]bool) ([]subsets, error) {
	docs, err := roots(name, src)
	if err != nil {
		return nil, err
	}
	var out []subsets
	for doc, root := range docs {
		if rewrite.Scalar(rewrite.Get(root, "kind")) != "DestinationRule" {
			continue
		}
		seq := rewrite.Get(root, "spec", "subsets")
		if seq == nil || seq.Kind != yaml.SequenceNode || !hostIn(rewrite.Scalar(rewrite.Get(root, "spec", "host")), hosts) {
			continue
		}
		out = append(out, subsets{path: rewrite.Path{Doc: doc, Steps: []rewrite.Step{rewrite.Key("spec"), rewrite.Key("subsets")}}, seq: seq})
	}
	return out, nil
}

// hostIn reports whether host is one of hosts, allowing a short name for
// its fully qualified form (web and web.ns.svc.cluster.local).
func hostIn(host string, hosts map[string]bool) bool {
	if host == "" {
		return false
	}
	for h := range hosts {
		if h == host || strings.HasPrefix(h, host+".") || strings.HasPrefix(host, h+".") {
			return true
		}
	}
	return false
}

// named checks that the copied entry raw is named want at the path of
// keys field.
func named(name string, line int, raw string, field []string, want string) error {
	var d yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &d); err != nil || len(d.Content) == 0 {
		return fmt.Errorf("%s:%d: the copied entry does not parse after substitution: %v", name, line, err)
	}
	if got := rewrite.Scalar(rewrite.Get(d.Content[0], field...)); got != want {
		return fmt.Errorf("%s:%d: the copied entry is named %q after substitution, want %q", name, line, got, want)
	}
	return nil
}

// zeroWeight sets the weight of the copied entry raw to 0, adding the
// field when it is omitted and replacing a variable.
func zeroWeight(name string, line int, raw string) (string, error) {
	file := fmt.Sprintf("%s:%d (the copied backend)", name, line)
	var d yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &d); err != nil || len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
		return "", fmt.Errorf("%s: not a mapping after substitution: %v", file, err)
	}
	zero := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "0"}
	weight := rewrite.Path{Steps: []rewrite.Step{rewrite.Key("weight")}}
	src := []byte(raw)
	w := rewrite.Get(d.Content[0], "weight")
	var err error
	switch {
	case w == nil:
		src, _, err = rewrite.Apply(file, src, rewrite.Insert{Key: "weight", Value: zero})
	case w.ShortTag() == "!!int":
		src, _, err = rewrite.Apply(file, src, rewrite.Set{Path: weight, Value: "0"})
	default:
		// A variable stays with the source: the new backend's weight is
		// written out.
		if src, _, err = rewrite.Apply(file, src, rewrite.Delete{Path: weight}); err == nil {
			src, _, err = rewrite.Apply(file, src, rewrite.Insert{Key: "weight", Value: zero})
		}
	}
	return string(src), err
}

func splitLines(src []byte) []string {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// itemText returns the text of the block sequence item n as Insert's Raw
// takes it: the comment lines attached above it, then its value as if its
// first character were at column 0. The text is proven by parsing it to
// the same value as n.
func itemText(name string, lines []string, n *yaml.Node) (string, error) {
	fail := func(why string) error {
		return fmt.Errorf("%s:%d: %w: cannot copy the entry: %s", name, n.Line, rewrite.ErrUnsupported, why)
	}
	l, c := n.Line-1, n.Column-1
	if l < 0 || l >= len(lines) || c > len(lines[l]) {
		return "", fail("position out of range")
	}
	s := lines[l]
	d := c - 1
	for d >= 0 && s[d] == ' ' {
		d--
	}
	if d < 0 || s[d] != '-' || strings.TrimSpace(s[:d]) != "" {
		return "", fail("not a block sequence item starting on its dash line")
	}
	first := l
	for first > 0 {
		t := lines[first-1]
		if !strings.HasPrefix(strings.TrimSpace(t), "#") || indentOf(t) != d {
			break
		}
		first--
	}
	last := l
	for k := l + 1; k < len(lines); k++ {
		t := lines[k]
		if strings.TrimSpace(t) == "" {
			continue
		}
		if indentOf(t) <= d {
			break
		}
		last = k
	}
	var out []string
	for k := first; k < l; k++ {
		out = append(out, lines[k][d:])
	}
	out = append(out, s[c:])
	for k := l + 1; k <= last; k++ {
		t := lines[k]
		switch {
		case strings.TrimSpace(t) == "":
			out = append(out, "")
		case indentOf(t) >= c:
			out = append(out, t[c:])
		case strings.HasPrefix(strings.TrimSpace(t), "#"):
			out = append(out, strings.TrimLeft(t, " "))
		default:
			return "", fail(fmt.Sprintf("line %d is indented less than the entry", k+1))
		}
	}
	raw := strings.Join(out, "\n") + "\n"
	var got yaml.Node
	var a, b any
	if err := yaml.Unmarshal([]byte(raw), &got); err != nil || len(got.Content) != 1 {
		return "", fail(fmt.Sprintf("its text does not parse alone: %v", err))
	}
	if got.Content[0].Decode(&a) != nil || n.Decode(&b) != nil || !reflect.DeepEqual(a, b) {
		return "", fail("its text does not read as the entry alone")
	}
	return raw, nil
}
