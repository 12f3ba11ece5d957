package rewrite

import (
	"fmt"
	"strconv"
	"strings"
)

// A Path addresses a node in a YAML stream: a document, then a walk from its
// root through mapping keys and sequence items.
//
// Its text form, accepted by [ParsePath] and returned by [Path.String], is
// yq-like, with an optional document selector before a colon:
//
//	.spec.replicas
//	HTTPRoute/web:.spec.rules[0].backendRefs[name=web-gke-eu-2].weight
//	2:.metadata.annotations["external-dns.alpha.kubernetes.io/aws-weight"]
type Path struct {
	// Kind and Name select the document whose kind and metadata.name match.
	// When both are empty, Doc selects a document by its index in the stream.
	Kind, Name string
	Doc        int
	Steps      []Step
}

type stepKind uint8

const (
	stepNone stepKind = iota
	stepKey
	stepIndex
	stepMatch
)

// A Step is one move along a [Path]: a mapping key, a sequence index, or the
// sequence item whose field has a given scalar value. The zero Step selects
// nothing.
type Step struct {
	kind  stepKind
	key   string // stepKey: the key; stepMatch: the field
	value string // stepMatch: the field's value
	index int
}

// Key is the step to the value of a mapping key.
func Key(k string) Step { return Step{kind: stepKey, key: k} }

// Index is the step to the i-th item of a sequence.
func Index(i int) Step { return Step{kind: stepIndex, index: i} }

// Match is the step to the sequence item that is a mapping whose field is the
// scalar value, such as the backendRef whose name is X.
func Match(field, value string) Step { return Step{kind: stepMatch, key: field, value: value} }

// IsZero reports whether s is the zero Step.
func (s Step) IsZero() bool { return s.kind == stepNone }

func (s Step) String() string { return string(s.append(nil)) }

func (s Step) append(b []byte) []byte {
	switch s.kind {
	case stepKey:
		if plainKey(s.key) {
			return append(append(b, '.'), s.key...)
		}
		return append(strconv.AppendQuote(append(b, '['), s.key), ']')
	case stepIndex:
		return append(strconv.AppendInt(append(b, '['), int64(s.index), 10), ']')
	case stepMatch:
		b = append(append(append(b, '['), s.key...), '=')
		if plainKey(s.value) {
			b = append(b, s.value...)
		} else {
			b = strconv.AppendQuote(b, s.value)
		}
		return append(b, ']')
	}
	return b
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch r {
		case '.', '[', ']', '"', '=', ' ', ':':
			return false
		}
	}
	return true
}

// String returns the text form of p.
func (p Path) String() string {
	b := make([]byte, 0, 64)
	switch {
	case p.Kind != "" || p.Name != "":
		b = append(append(append(append(b, p.Kind...), '/'), p.Name...), ':')
	case p.Doc != 0:
		b = append(strconv.AppendInt(b, int64(p.Doc), 10), ':')
	}
	if len(p.Steps) == 0 {
		b = append(b, '.')
	}
	for _, s := range p.Steps {
		b = s.append(b)
	}
	return string(b)
}

// Child returns p extended by steps.
func (p Path) Child(steps ...Step) Path {
	q := p
	q.Steps = append(append([]Step(nil), p.Steps...), steps...)
	return q
}

// ParsePath parses the text form of a Path.
func ParsePath(s string) (Path, error) {
	var p Path
	rest := s
	if i := strings.Index(s, ":."); i >= 0 && !strings.ContainsAny(s[:i], ".[\"") {
		sel := s[:i]
		rest = s[i+1:]
		if kind, name, ok := strings.Cut(sel, "/"); ok {
			p.Kind, p.Name = kind, name
		} else if n, err := strconv.Atoi(sel); err == nil && n >= 0 {
			p.Doc = n
		} else {
			return Path{}, fmt.Errorf("path %q: document selector %q is neither KIND/NAME nor an index", s, sel)
		}
	}
	if rest == "." {
		return p, nil
	}
	bad := func(why string) (Path, error) { return Path{}, fmt.Errorf("path %q: %s", s, why) }
	if !strings.HasPrefix(rest, ".") && !strings.HasPrefix(rest, "[") {
		return bad("must start with . or [")
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			if rest != "" && rest[0] == '[' {
				continue
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return bad("empty key")
			}
			p.Steps = append(p.Steps, Key(rest[:end]))
			rest = rest[end:]
		case '[':
			rest = rest[1:]
			if strings.HasPrefix(rest, `"`) {
				k, tail, err := unquotePrefix(rest)
				if err != nil || !strings.HasPrefix(tail, "]") {
					return bad("bad quoted key")
				}
				p.Steps = append(p.Steps, Key(k))
				rest = tail[1:]
				continue
			}
			if field, tail, ok := strings.Cut(rest, "="); ok && !strings.Contains(field, "]") {
				var v string
				if strings.HasPrefix(tail, `"`) {
					var err error
					if v, tail, err = unquotePrefix(tail); err != nil {
						return bad("bad quoted value")
					}
				} else {
					end := strings.IndexByte(tail, ']')
					if end < 0 {
						return bad("missing ]")
					}
					v, tail = tail[:end], tail[end:]
				}
				if !strings.HasPrefix(tail, "]") || field == "" {
					return bad("bad [field=value]")
				}
				p.Steps = append(p.Steps, Match(field, v))
				rest = tail[1:]
				continue
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return bad("missing ]")
			}
			i, err := strconv.Atoi(rest[:end])
			if err != nil || i < 0 {
				return bad(fmt.Sprintf("index %q is not a whole number", rest[:end]))
			}
			p.Steps = append(p.Steps, Index(i))
			rest = rest[end+1:]
		default:
			return bad(fmt.Sprintf("unexpected %q", rest[0]))
		}
	}
	return p, nil
}

func unquotePrefix(s string) (string, string, error) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	v, err := strconv.Unquote(q)
	return v, s[len(q):], err
}

// MustParsePath is like ParsePath but panics on error. It is for paths
// written in code.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}
