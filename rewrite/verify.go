package rewrite

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// verify re-parses the output and requires it to equal the intended tree.
func (p *planner) verify(out []byte) error {
	g, err := parse(p.f.name, out)
	if err != nil {
		return &EditError{File: p.f.name, Err: fmt.Errorf("%w: the result does not parse: %v", ErrVerify, err)}
	}
	want, sets := p.docs, p.sets
	if p.copies == nil {
		want = p.f.docs
	} else {
		sets = nil
	}
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

// compare returns where and how two trees differ in content: kinds, tags,
// values, anchors and structure; not style, comments or positions.
func compare(want, got *yaml.Node, at string) (string, string) {
	return compareSets(want, got, at, nil)
}

// compareSets is compare with the scalars of want in sets replaced.
func compareSets(want, got *yaml.Node, at string, sets map[*yaml.Node]scalar) (string, string) {
	if want.Kind != got.Kind {
		return at, fmt.Sprintf("kind %v, want %v", got.Kind, want.Kind)
	}
	if want.Anchor != got.Anchor {
		return at, fmt.Sprintf("anchor %q, want %q", got.Anchor, want.Anchor)
	}
	switch want.Kind {
	case yaml.ScalarNode:
		tag, value := want.ShortTag(), want.Value
		if s, ok := sets[want]; ok {
			tag, value = s.tag, s.value
		}
		if tag != got.ShortTag() || value != got.Value {
			return at, fmt.Sprintf("%s %q, want %s %q", got.ShortTag(), got.Value, tag, value)
		}
	case yaml.AliasNode:
		if want.Value != got.Value {
			return at, fmt.Sprintf("alias *%s, want *%s", got.Value, want.Value)
		}
	}
	if len(want.Content) != len(got.Content) {
		return at, fmt.Sprintf("%d children, want %d", len(got.Content), len(want.Content))
	}
	for i := range want.Content {
		sub := fmt.Sprintf("%s[%d]", at, i)
		if want.Kind == yaml.MappingNode && i%2 == 1 {
			sub = at + "." + want.Content[i-1].Value
		}
		if w, d := compareSets(want.Content[i], got.Content[i], sub, sets); d != "" {
			return w, d
		}
	}
	return "", ""
}
