package rewrite

import (
	"bytes"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// An extent is the whole lines a block collection child occupies: its
// attached head comments, its key or dash line, and everything nested in it.
type extent struct {
	first, last int // lines, inclusive
	start       int // offset of the key or dash
	col         int // its column in bytes
	inline      bool
}

// childStart is the offset of the key of the mapping entry whose value is
// parent.Content[idx], or of the dash of the sequence item idx.
func (p *planner) childStart(parent *yaml.Node, idx int) (int, bool) {
	if parent.Kind == yaml.MappingNode {
		return p.f.pos(parent.Content[idx-1]), true
	}
	return p.dash(parent.Content[idx])
}

// dash finds the "-" that introduces a block sequence item: the last
// character before the item, across blank and comment-only text.
func (p *planner) dash(item *yaml.Node) (int, bool) {
	f := p.f
	at := f.pos(item)
	l := f.lineOf(at)
	text := f.src[f.lineStart(l):at]
	for {
		text = bytes.TrimRight(text, " \t")
		if len(text) > 0 {
			if text[len(text)-1] != '-' {
				return 0, false
			}
			return f.lineStart(l) + len(text) - 1, true
		}
		l--
		if l < 1 {
			return 0, false
		}
		text = f.line(l)
		if i := commentStart(text); i >= 0 {
			text = text[:i]
		}
	}
}

// commentStart is the offset of a comment in a line with no quoted text, or -1.
func commentStart(b []byte) int {
	for i, c := range b {
		if c == '#' && (i == 0 || b[i-1] == ' ' || b[i-1] == '\t') {
			return i
		}
		if c == '"' || c == '\'' {
			return -1
		}
	}
	return -1
}

// commentedOut matches a comment line that is a disabled sibling, such as
// "# - cluster: x" or "# replicas: 3", rather than documentation.
var commentedOut = regexp.MustCompile(`^\s*#+\s*(-(\s|$)|[\w./"'-]+:(\s|$))`)

func (p *planner) extent(parent *yaml.Node, idx int) (extent, bool) {
	f := p.f
	start, ok := p.childStart(parent, idx)
	if !ok {
		return extent{}, false
	}
	line := f.lineOf(start)
	e := extent{first: line, last: line, start: start, col: start - f.lineStart(line), inline: !f.startsLine(start)}
	mapping := parent.Kind == yaml.MappingNode
	for l := line + 1; l <= f.numLines(); l++ {
		if f.blank(l) {
			continue
		}
		if f.docMarker(l) {
			break
		}
		ind := f.indent(l)
		if f.comment(l) {
			if ind > e.col && l == e.last+1 {
				e.last = l
			}
			continue
		}
		if ind > e.col || mapping && ind == e.col && p.isDash(l, ind) {
			e.last = l
			continue
		}
		break
	}
	if m := maxLine(parent.Content[idx]); m > e.last {
		e.last = min(m, f.numLines())
	}
	if !e.inline {
		for l := line - 1; l >= 1; l-- {
			if !f.comment(l) || f.indent(l) < e.col || commentedOut.Match(f.line(l)) || bytes.Contains(f.line(l), []byte("yaml-language-server:")) {
				break
			}
			e.first = l
		}
	}
	return e, true
}

func (p *planner) isDash(l, col int) bool {
	b := p.f.line(l)
	return col < len(b) && b[col] == '-' && (col+1 == len(b) || b[col+1] == ' ' || b[col+1] == '\t')
}

func maxLine(n *yaml.Node) int {
	m := n.Line
	for _, c := range n.Content {
		if l := maxLine(c); l > m {
			m = l
		}
	}
	return m
}

// blanksBefore is the first of the blank lines just above line l (l itself
// when there are none).
func (p *planner) blanksBefore(l int) int {
	for l > 1 && p.f.blank(l-1) && !p.f.docMarker(l-1) {
		l--
	}
	return l
}

// blanksAfter is the last of the blank lines just below line l.
func (p *planner) blanksAfter(l int) int {
	for l < p.f.numLines() && p.f.blank(l+1) {
		l++
	}
	return l
}

// children is the number of children of a collection.
func children(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode {
		return len(n.Content) / 2
	}
	return len(n.Content)
}

// childIndex is the position in Content of the value of the i-th child.
func childIndex(n *yaml.Node, i int) int {
	if n.Kind == yaml.MappingNode {
		return 2*i + 1
	}
	return i
}
