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
	if len(g.docs) != len(p.docs) {
		return &EditError{File: p.f.name, Err: fmt.Errorf("%w: %d documents instead of %d", ErrVerify, len(g.docs), len(p.docs))}
	}
	for i := range p.docs {
		if where, diff := compare(p.docs[i], g.docs[i], ""); diff != "" {
			return &EditError{File: p.f.name, Path: fmt.Sprintf("%d:%s", i, where), Err: fmt.Errorf("%w: %s", ErrVerify, diff)}
		}
	}
	return nil
}

// compare returns where and how two trees differ in content: kinds, tags,
// values, anchors and structure; not style, comments or positions.
func compare(want, got *yaml.Node, at string) (string, string) {
	if want.Kind != got.Kind {
		return at, fmt.Sprintf("kind %v, want %v", got.Kind, want.Kind)
	}
	if want.Anchor != got.Anchor {
		return at, fmt.Sprintf("anchor %q, want %q", got.Anchor, want.Anchor)
	}
	switch want.Kind {
	case yaml.ScalarNode:
		if want.ShortTag() != got.ShortTag() || want.Value != got.Value {
			return at, fmt.Sprintf("%s %q, want %s %q", got.ShortTag(), got.Value, want.ShortTag(), want.Value)
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
		if w, d := compare(want.Content[i], got.Content[i], sub); d != "" {
			return w, d
		}
	}
	return "", ""
}
