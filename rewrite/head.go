package rewrite

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// headMin is the size from which a Set reads only the head of a file: the
// top-level entries up to the last one it edits. Below it, reading the
// whole file costs too little to be worth a second way.
const headMin = 64 << 10

// applyHead is applyIn for Sets in a large file whose paths start at
// top-level keys of its first document: it reads the file only up to the
// top-level key line after the last key they name (the cut), plans and
// verifies there, and copies the rest unread. ok is false when any of it
// does not hold; applyParsed then does the edit the general way, and
// reports whatever error there is.
//
// A line at column 0 that reads as a plain key is a top-level key when
// everything before it parses on its own into a block mapping: in a
// top-level mapping every block node (plain scalar, block scalar, nested
// collection) ends before column 0, and what may go on there (a quoted
// scalar, a flow collection) does not parse when cut off. What the rest
// can change about the head is ruled out before anything is planned: a
// second document (the path's document must be the only one with its kind
// and name), a top-level key of the head again, or a quoted or complex
// key that could be one (the file would be refused); an alias needs an
// anchor, and the head has none. What is not read is not checked: an
// error after the cut is the file's own, left for whoever reads the file
// (the render, ferry's loader) to report, as the edit leaves it as it was.
func applyHead(name string, src []byte, edits []Edit, a *arena) ([]byte, *planner, bool) {
	keys := map[string]bool{}
	for _, e := range edits {
		s, ok := e.(Set)
		if !ok || s.Path.Doc != 0 || len(s.Path.Steps) == 0 || s.Path.Steps[0].kind != stepKey {
			return nil, nil, false
		}
		if s.Path.Kind != "" || s.Path.Name != "" {
			keys["kind"], keys["metadata"] = true, true
		}
		keys[s.Path.Steps[0].key] = true
	}
	if bytes.HasPrefix(src, bom) {
		return nil, nil, false
	}
	cut := headCut(src, keys)
	if cut <= 0 {
		return nil, nil, false
	}
	head, rest := src[:cut], src[cut:]
	f, err := parseIn(name, head, a)
	if err != nil || len(f.docs) != 1 || len(f.docs[0].Content) != 1 {
		return nil, nil, false
	}
	root := f.docs[0].Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || root.Column != 1 || !f.scanned && anchored(root) {
		return nil, nil, false
	}
	top := make(map[string]bool, len(root.Content)/2)
	for i := 0; i < len(root.Content); i += 2 {
		top[root.Content[i].Value] = true
	}
	if !restKeeps(rest, top) {
		return nil, nil, false
	}
	p := newPlanner(f)
	for _, e := range edits {
		if e.plan(p) != nil {
			return nil, nil, false
		}
	}
	if len(p.splices) == 0 && len(p.dirty) == 0 {
		return src, p, true
	}
	if p.renderFlows() != nil {
		return nil, nil, false
	}
	out, err := p.apply()
	if err != nil || p.verify(out) != nil || !bytes.HasSuffix(out, []byte("\n")) {
		return nil, nil, false
	}
	return bytes.Join([][]byte{out, rest}, nil), p, true
}

// headCut is the offset of the first top-level key line after the lines
// of every key in keys, or -1 when there is none, a key is not found, or
// a document marker or directive comes first.
func headCut(src []byte, keys map[string]bool) int {
	found := map[string]bool{}
	content := false
	for i := 0; i < len(src); {
		line := src[i:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j+1]
		}
		switch {
		case docMarker(line) || line[0] == '%':
			if content || line[0] == '%' || line[0] == '.' {
				return -1
			}
		case line[0] == ' ' || line[0] == '\t' || line[0] == '\r' || line[0] == '\n' || line[0] == '#':
		default:
			content = true
			if k, ok := plainTopKey(line); ok {
				if len(found) == len(keys) {
					return i
				}
				if keys[k] {
					found[k] = true
				}
			}
		}
		i += len(line)
	}
	return -1
}

// restKeeps reports whether the lines after the cut leave the head's
// meaning alone: no document marker or directive, and no line at column 0
// that is, or might be, a top-level key the head has. Only lines that do
// not start with a space are looked at; unindented finds them.
func restKeeps(rest []byte, top map[string]bool) bool {
	for i := unindented(rest, 0); i < len(rest); {
		line := rest[i:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j+1]
		}
		i = unindented(rest, i+len(line))
		switch line[0] {
		case '\t', '\r', '\n', '#':
			continue
		case '-':
			if docMarker(line) {
				return false
			}
			continue
		case '"', '\'', '?', '{', '[', '%', '.', '&', '!', '*', '|', '>', '@', '`':
			return false // a quoted, complex or odd key, a marker: not worth reading
		}
		if k, ok := plainTopKey(line); ok && top[k] {
			return false
		}
	}
	return true
}

// unindented is the offset of the first line, from the line starting at
// i, that does not start with a space, or len(b).
func unindented(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return len(b)
		}
		i += j + 1
	}
	return i
}

// plainTopKey is the key of a line at column 0 that reads as a plain
// mapping key: text up to the first colon followed by a space or the end
// of the line, with no comment before it.
func plainTopKey(line []byte) (string, bool) {
	switch line[0] {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\t':
		return "", false
	}
	for j := 0; j < len(line); j++ {
		switch line[j] {
		case '#':
			if line[j-1] == ' ' || line[j-1] == '\t' {
				return "", false
			}
		case ':':
			if j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t' || line[j+1] == '\n' || line[j+1] == '\r' {
				return string(bytes.TrimRight(line[:j], " \t")), true
			}
		}
	}
	return "", false
}

// anchored reports whether n or a node under it has an anchor.
func anchored(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if anchored(c) {
			return true
		}
	}
	return false
}
