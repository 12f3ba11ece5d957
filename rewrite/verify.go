package rewrite

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// verify re-parses the output and requires it to equal the intended tree.
func (p *planner) verify(out []byte) error {
	if p.verifyScan(out) {
		return nil
	}
	// The slow way, which also says where and how the output differs.
	g, err := parse(p.f.name, out)
	if err != nil {
		return &EditError{File: p.f.name, Err: fmt.Errorf("%w: the result does not parse: %v", ErrVerify, err)}
	}
	want, sets := p.intendedTree()
	if len(g.docs) != len(want) {
		return &EditError{File: p.f.name, Err: fmt.Errorf("%w: %d documents instead of %d", ErrVerify, len(g.docs), len(want))}
	}
	for i := range want {
		if where, diff := compareSets(want[i], g.docs[i], "", sets); diff != "" {
			return &EditError{File: p.f.name, Path: fmt.Sprintf("%d:%s", i, where), Err: fmt.Errorf("%w: %s", ErrVerify, diff)}
		}
	}
	return nil
}

// intendedTree is the tree the output must parse to: the copy a structural
// edit made, or else the input with the scalars in sets standing for their
// intended values.
func (p *planner) intendedTree() ([]*yaml.Node, map[*yaml.Node]scalar) {
	if p.copies != nil {
		return p.docs, nil
	}
	return p.f.docs, p.sets
}

// verifyScan re-parses the output with scan, checking each node against the
// intended tree as it is read, without building the output's tree. False
// means a difference, or a stream scan does not take; verify then parses
// the output whole, with yaml.v3 where scan does not take it.
func (p *planner) verifyScan(out []byte) bool {
	if !p.f.scanned {
		// An input scan left to yaml.v3 (a tab, an anchor) leaves its
		// output to it too: scanning it would only be done twice.
		return false
	}
	want, sets := p.intendedTree()
	if p.copies != nil {
		// Equal trees have the same keys: the output has a duplicate key
		// exactly when the intended tree has one.
		for _, d := range want {
			if checkDuplicates(p.f.name, d) != nil {
				return false
			}
		}
	}
	if bytes.HasPrefix(out, bom) {
		return false
	}
	return matches(out, want, sets)
}

// matches reports whether scan takes src and reads exactly the documents
// want, with the scalars in sets standing for their intended values.
func matches(src []byte, want []*yaml.Node, sets map[*yaml.Node]scalar) bool {
	s := scanner{src: src, lines: lineIndex(src, 0), ascii: true, want: &preorder{docs: want, sets: sets}}
	docs, ok := s.run()
	return ok && !s.differ && len(docs) == len(want) && s.want.next() == nil
}

// compare returns where and how two trees differ in content: kinds, tags,
// values, anchors and structure; not style, comments or positions.
func compare(want, got *yaml.Node, at string) (string, string) {
	return compareSets(want, got, at, nil)
}

// compareSets is compare with the scalars of want in sets replaced.
func compareSets(want, got *yaml.Node, at string, sets map[*yaml.Node]scalar) (string, string) {
	where, diff := differ(want, got, sets)
	for i := len(where) - 1; i >= 0; i-- {
		at += where[i]
	}
	return at, diff
}

// differ finds the first difference; where holds the path to it, innermost
// step first, built only when there is a difference.
func differ(want, got *yaml.Node, sets map[*yaml.Node]scalar) (where []string, diff string) {
	if want.Kind != got.Kind {
		return nil, fmt.Sprintf("kind %v, want %v", got.Kind, want.Kind)
	}
	if want.Anchor != got.Anchor {
		return nil, fmt.Sprintf("anchor %q, want %q", got.Anchor, want.Anchor)
	}
	switch want.Kind {
	case yaml.ScalarNode:
		tag, value := want.ShortTag(), want.Value
		if s, ok := sets[want]; ok {
			tag, value = s.tag, s.value
		}
		if value != got.Value || tag != got.ShortTag() {
			return nil, fmt.Sprintf("%s %q, want %s %q", got.ShortTag(), got.Value, tag, value)
		}
	case yaml.AliasNode:
		if want.Value != got.Value {
			return nil, fmt.Sprintf("alias *%s, want *%s", got.Value, want.Value)
		}
	}
	if len(want.Content) != len(got.Content) {
		return nil, fmt.Sprintf("%d children, want %d", len(got.Content), len(want.Content))
	}
	for i := range want.Content {
		if w, d := differ(want.Content[i], got.Content[i], sets); d != "" {
			step := fmt.Sprintf("[%d]", i)
			if want.Kind == yaml.MappingNode && i%2 == 1 {
				step = "." + want.Content[i-1].Value
			}
			return append(w, step), d
		}
	}
	return nil, ""
}
