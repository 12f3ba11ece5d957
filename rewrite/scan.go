package rewrite

import (
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// scan is the fast path of parse. Deployment-repo YAML keeps to a small part
// of the language: block mappings and sequences, one-line scalars, literal
// and folded block scalars, one-line flow collections, comments and document
// markers. For such a stream scan builds the documents yaml.v3 builds (kind,
// tag, style, value and position of every node; comments are not kept, as
// parse does not keep them) in a quarter of the time, or an eighth with an
// arena (BenchmarkScan against BenchmarkParseFloor: 4.3 and 2.3 µs to 19). It reports false for
// anything else (tabs, anchors, aliases, tags, multi-line flow, plain or
// quoted scalars, escapes it does not know, directives, a document that is a
// bare scalar, anything yaml.v3 would refuse) and the caller parses with
// yaml.v3, which stays the reference: TestScanCases, TestScanGolden,
// TestCorpusScan and FuzzScan require both to agree wherever scan takes a
// stream.
//
// scan never fails with an error: every error message comes from yaml.v3.
func scan(src []byte, lines []int, a *arena) ([]*yaml.Node, bool) {
	s := scanner{src: src, lines: lines, ascii: true, stack: make([]*yaml.Node, 0, 32), arena: a}
	return s.run()
}

// An arena hands out the nodes of one Apply's input tree and takes them all
// back when Apply returns: nothing Apply returns (bytes, Results, errors)
// points into the tree, and allocating the nodes one by one was a fifth of
// Apply's time. Parse does not use one: its caller keeps the nodes.
type arena struct {
	nodes []yaml.Node
	used  int
}

var arenas = sync.Pool{New: func() any { return &arena{nodes: make([]yaml.Node, 256)} }}

func getArena() *arena { return arenas.Get().(*arena) }

// release zeroes the nodes handed out, so a node kept by mistake reads as
// empty rather than as another file's, and returns the arena to the pool.
func (a *arena) release() {
	clear(a.nodes[:a.used])
	a.used = 0
	arenas.Put(a)
}

func (s *scanner) run() ([]*yaml.Node, bool) {
	if !s.chars() {
		return nil, false
	}
	s.n = len(s.lines)
	if s.lines[len(s.lines)-1] == len(s.src) {
		s.n--
	}
	s.info = make([]lineInfo, s.n)
	for l := range s.info {
		s.info[l] = s.classify(l)
	}
	return s.stream()
}

// lineInfo is what the scanner asks of a line again and again.
type lineInfo struct {
	end     int // the offset of the line break, or of the end of the file
	content int // the offset of the first byte that is not a space
	kind    lineKind
}

type lineKind uint8

const (
	lineNode      lineKind = iota
	lineEmpty              // blank, or a comment
	lineStart              // ---
	lineEnd                // ...
	lineBadMarker          // a marker with more than a comment after it
)

func (s *scanner) classify(l int) lineInfo {
	src, start := s.src, s.lines[l]
	e := len(src)
	if l+1 < len(s.lines) {
		e = s.lines[l+1] - 1
		if e > start && src[e-1] == '\r' {
			e--
		}
	}
	c := skipSpaces(src[:e], start)
	info := lineInfo{end: e, content: c}
	b := src[start:e]
	switch {
	case c == e || src[c] == '#':
		info.kind = lineEmpty
	case len(b) < 3 || (string(b[:3]) != "---" && string(b[:3]) != "...") || (len(b) > 3 && b[3] != ' '):
	case skipSpaces(b, 3) < len(b) && b[skipSpaces(b, 3)] != '#':
		info.kind = lineBadMarker
	case b[0] == '-':
		info.kind = lineStart
	default:
		info.kind = lineEnd
	}
	return info
}

type scanner struct {
	src   []byte
	lines []int // start offsets, as in file
	n     int   // number of lines
	ascii bool
	arena *arena // nil: nodes are allocated one by one
	info  []lineInfo
	ptrs  []*yaml.Node // the children of collections are cut from here
	stack []*yaml.Node // children of the collections being read

	// When want is set the scanner checks instead of building: each node
	// it reads must be the next of the intended tree in pre-order, and it
	// allocates nothing.
	want    *preorder
	differ  bool
	scratch yaml.Node
}

// preorder walks the intended tree: the documents, with the scalars in sets
// standing for their intended values.
type preorder struct {
	docs  []*yaml.Node
	sets  map[*yaml.Node]scalar
	doc   int
	stack []struct {
		n *yaml.Node
		i int
	}
}

func (w *preorder) next() *yaml.Node {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if top.i < len(top.n.Content) {
			c := top.n.Content[top.i]
			top.i++
			return w.push(c)
		}
		w.stack = w.stack[:len(w.stack)-1]
	}
	if w.doc < len(w.docs) {
		w.doc++
		return w.push(w.docs[w.doc-1])
	}
	return nil
}

func (w *preorder) push(n *yaml.Node) *yaml.Node {
	w.stack = append(w.stack, struct {
		n *yaml.Node
		i int
	}{n, 0})
	return n
}

// expect is the next node of the intended tree, or nil when it is not of
// this kind (or has an anchor, which scan never reads).
func (s *scanner) expect(kind yaml.Kind) *yaml.Node {
	w := s.want.next()
	if w == nil || w.Kind != kind || w.Anchor != "" {
		s.differ = true
		return nil
	}
	return w
}

// collection starts a mapping, sequence or document; close ends it. When
// checking, want is the node of the intended tree it stands for.
func (s *scanner) collection(kind yaml.Kind, tag string, style yaml.Style, l, at int) (n, want *yaml.Node) {
	if s.want != nil {
		return &s.scratch, s.expect(kind)
	}
	n = s.node(kind, tag, l, at)
	n.Style = style
	return n, nil
}

// close gives the collection n the children read since mark.
func (s *scanner) close(n, want *yaml.Node, mark int) {
	if s.want != nil {
		if want == nil || len(want.Content) != len(s.stack)-mark {
			s.differ = true
		}
		s.stack = s.stack[:mark]
		return
	}
	n.Content = s.children(mark)
}

// scalar makes a scalar; tag "" resolves a plain one.
func (s *scanner) scalar(tag string, style yaml.Style, value []byte, l, at int) *yaml.Node {
	if s.want != nil {
		w := s.expect(yaml.ScalarNode)
		if w == nil {
			return &s.scratch
		}
		wtag, wvalue := "", w.Value
		if set, ok := s.want.sets[w]; ok {
			wtag, wvalue = set.tag, set.value
		}
		if string(value) != wvalue {
			s.differ = true
			return &s.scratch
		}
		if tag == "" {
			tag = plainTag(wvalue)
		}
		if wtag == "" {
			wtag = w.ShortTag()
		}
		if tag != wtag {
			s.differ = true
		}
		return &s.scratch
	}
	n := s.node(yaml.ScalarNode, tag, l, at)
	n.Value = string(value)
	if tag == "" {
		n.Tag = plainTag(n.Value)
	}
	n.Style = style
	return n
}

// children moves the children pushed since mark into their own slice.
func (s *scanner) children(mark int) []*yaml.Node {
	n := len(s.stack) - mark
	if len(s.ptrs) < n {
		s.ptrs = make([]*yaml.Node, max(n, 64))
	}
	c := s.ptrs[:n:n]
	s.ptrs = s.ptrs[n:]
	copy(c, s.stack[mark:])
	s.stack = s.stack[:mark]
	return c
}

// chars accepts only what yaml.v3 reads as printable, without tabs, lone
// carriage returns, a byte order mark or the Unicode line breaks (NEL, LS,
// PS), which yaml.v3 counts as lines where the line index does not.
func (s *scanner) chars() bool {
	src := s.src
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c >= 0x20 && c < 0x7f, c == '\n':
		case c == '\r':
			if i+1 >= len(src) || src[i+1] != '\n' {
				return false
			}
		case c < 0x80:
			return false
		default:
			s.ascii = false
			r, size := utf8.DecodeRune(src[i:])
			if r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff || r == utf8.RuneError {
				return false
			}
			i += size - 1
		}
	}
	return true
}

// Lines are 0-based here; yaml.Node lines are 1-based.

func (s *scanner) start(l int) int { return s.lines[l] }

func (s *scanner) end(l int) int { return s.info[l].end }

func (s *scanner) hasEOL(l int) bool { return l+1 < len(s.lines) }

func (s *scanner) indent(l int) int { return s.info[l].content - s.lines[l] }

// content is the offset of line l's first non-space byte.
func (s *scanner) content(l int) int { return s.info[l].content }

// empty reports whether line l is blank or a comment.
func (s *scanner) empty(l int) bool { return s.info[l].kind == lineEmpty }

// marker reports a "---" or "..." line; ok is false when something other
// than a comment follows the marker.
func (s *scanner) marker(l int) (start, end, ok bool) {
	k := s.info[l].kind
	return k == lineStart, k == lineEnd, k != lineBadMarker
}

// next is the first line from l that is not blank or a comment.
func (s *scanner) next(l int) int {
	for l < s.n && s.empty(l) {
		l++
	}
	return l
}

// dash reports whether a block sequence entry starts at offset at.
func (s *scanner) dash(at, end int) bool {
	return s.src[at] == '-' && (at+1 == end || s.src[at+1] == ' ')
}

// ends reports whether a line ends with a node stopping at offset at: only
// spaces follow, and perhaps a comment.
func (s *scanner) ends(at, end int) bool {
	i := skipSpaces(s.src[:end], at)
	return i == end || (s.src[i] == '#' && s.src[i-1] == ' ')
}

func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

func (s *scanner) node(kind yaml.Kind, tag string, l, at int) *yaml.Node {
	var n *yaml.Node
	if a := s.arena; a != nil && a.used < len(a.nodes) {
		n = &a.nodes[a.used]
		a.used++
	} else {
		n = new(yaml.Node)
	}
	n.Kind, n.Tag, n.Line, n.Column = kind, tag, l+1, s.column(l, at)
	return n
}

// column is yaml.v3's column of offset at on line l: 1-based, in runes.
func (s *scanner) column(l, at int) int {
	if s.ascii {
		return at - s.start(l) + 1
	}
	return utf8.RuneCount(s.src[s.start(l):at]) + 1
}

func (s *scanner) stream() ([]*yaml.Node, bool) {
	var docs []*yaml.Node
	l := s.next(0)
	for l < s.n {
		start, end, ok := s.marker(l)
		if !ok || end {
			return nil, false
		}
		var doc, want *yaml.Node
		mark := len(s.stack)
		body := l
		if start {
			doc, want = s.collection(yaml.DocumentNode, "", 0, l, s.start(l))
			body = s.next(l + 1)
			if body == s.n || s.isMarker(body) {
				if body == s.n && (s.n == 0 || !s.hasEOL(s.n-1)) {
					return nil, false
				}
				s.stack = append(s.stack, s.scalar("!!null", 0, nil, body, s.startOr(body)))
				s.close(doc, want, mark)
				docs = append(docs, doc)
				l = body
				continue
			}
		} else {
			doc, want = s.collection(yaml.DocumentNode, "", 0, l, s.content(l))
		}
		root, after, ok := s.block(body, s.content(body), -1)
		if !ok {
			return nil, false
		}
		s.stack = append(s.stack, root)
		s.close(doc, want, mark)
		docs = append(docs, doc)
		l = after
		if l < s.n {
			start, end, ok := s.marker(l)
			switch {
			case !ok || !(start || end):
				return nil, false
			case end:
				l = s.next(l + 1)
				if l < s.n {
					if start, _, ok := s.marker(l); !ok || !start {
						return nil, false
					}
				}
			}
		}
	}
	return docs, true
}

// isMarker reports a document marker line, one scan takes or not: no
// collection goes on past it.
func (s *scanner) isMarker(l int) bool {
	k := s.info[l].kind
	return k == lineStart || k == lineEnd || k == lineBadMarker
}

func (s *scanner) startOr(l int) int {
	if l < s.n {
		return s.start(l)
	}
	return len(s.src)
}

// block reads the node starting at offset at of line l, inside a collection
// whose entries are at column parent (-1 at the top of a document). It
// returns the node and the next line that is not blank or a comment.
func (s *scanner) block(l, at, parent int) (*yaml.Node, int, bool) {
	end := s.end(l)
	if s.dash(at, end) {
		if at != s.content(l) {
			return nil, 0, false
		}
		return s.sequence(l, at)
	}
	if k, ok := s.key(at, end); ok {
		return s.mapping(l, at, k)
	}
	if parent < 0 {
		return nil, 0, false
	}
	return s.value(l, at, parent)
}

func (s *scanner) sequence(l, at int) (*yaml.Node, int, bool) {
	col := at - s.start(l)
	seq, want := s.collection(yaml.SequenceNode, "!!seq", 0, l, at)
	mark := len(s.stack)
	var next int
	for {
		end := s.end(l)
		item := skipSpaces(s.src[:end], at+1)
		var v *yaml.Node
		var ok bool
		switch {
		case item == end || s.src[item] == '#':
			v, next, ok = s.below(l, col, at+1, false)
		case s.dash(item, end):
			return nil, 0, false // - - x
		default:
			v, next, ok = s.block(l, item, col)
		}
		if !ok {
			return nil, 0, false
		}
		s.stack = append(s.stack, v)
		more, ok := s.goesOn(next, col)
		if !ok {
			return nil, 0, false
		}
		if !more || !s.dash(s.content(next), s.end(next)) {
			break // the end, or of a compact sequence whose mapping goes on
		}
		l, at = next, s.content(next)
	}
	s.close(seq, want, mark)
	return seq, next, true
}

// below reads the value of an entry or item whose line ends before it, from
// the lines after l: a node more indented than col, or for a mapping entry
// (compact) a sequence at col; else an empty value at offset at.
func (s *scanner) below(l, col, at int, compact bool) (*yaml.Node, int, bool) {
	next := s.next(l + 1)
	if next < s.n && !s.isMarker(next) && (s.indent(next) > col || compact && s.indent(next) == col && s.dash(s.content(next), s.end(next))) {
		return s.block(next, s.content(next), col)
	}
	return s.scalar("!!null", 0, nil, l, at), next, true
}

// goesOn reports whether the collection at column col goes on at line next:
// not at the end, a marker or a line less indented. ok is false for a line
// more indented, which yaml.v3 reads as more of a multi-line scalar, or
// refuses.
func (s *scanner) goesOn(next, col int) (more, ok bool) {
	if next == s.n || s.isMarker(next) {
		return false, true
	}
	ind := s.indent(next)
	return ind == col, ind <= col
}

// A foundKey is a mapping key found on a line, before its node is made.
type foundKey struct {
	at, colon int
	value     []byte
	style     yaml.Style // 0 for plain
}

func (s *scanner) mapping(l, at int, k foundKey) (*yaml.Node, int, bool) {
	col := at - s.start(l)
	m, want := s.collection(yaml.MappingNode, "!!map", 0, l, at)
	mark := len(s.stack)
	var next int
	for {
		end := s.end(l)
		tag := "!!str"
		if k.style == 0 {
			tag = ""
		}
		key := s.scalar(tag, k.style, k.value, l, k.at)
		v0 := skipSpaces(s.src[:end], k.colon+1)
		var v *yaml.Node
		var ok bool
		if v0 == end || s.src[v0] == '#' {
			v, next, ok = s.below(l, col, k.colon+1, true)
		} else {
			v, next, ok = s.value(l, v0, col)
		}
		if !ok {
			return nil, 0, false
		}
		s.stack = append(s.stack, key, v)
		more, ok := s.goesOn(next, col)
		if !ok {
			return nil, 0, false
		}
		if !more {
			break
		}
		l = next
		if k, ok = s.key(s.content(l), s.end(l)); !ok {
			return nil, 0, false
		}
	}
	s.close(m, want, mark)
	return m, next, true
}

// key finds a mapping key at offset at: a plain or quoted scalar on one
// line followed by ": " or ":" at the end of the line. A plain "<<", the
// merge key, is left to yaml.v3.
func (s *scanner) key(at, end int) (foundKey, bool) {
	src := s.src
	k := foundKey{at: at}
	switch src[at] {
	case '"', '\'':
		var after int
		var ok bool
		if k.value, after, ok = s.quote(at, end); !ok {
			return k, false
		}
		k.style = quoteStyle(src[at])
		k.colon = skipSpaces(src[:end], after)
	default:
		if !plainStart(src, at, end) {
			return k, false
		}
		k.colon = -1
		for i := at; i < end; i++ {
			if src[i] == ':' && (i+1 == end || src[i+1] == ' ') {
				k.colon = i
				break
			}
			if src[i] == '#' && src[i-1] == ' ' {
				return k, false
			}
		}
		if k.colon < 0 {
			return k, false
		}
		e := k.colon
		for src[e-1] == ' ' {
			e--
		}
		k.value = src[at:e]
		if string(k.value) == "<<" {
			return k, false
		}
	}
	c := k.colon
	if c >= end || src[c] != ':' || (c+1 < end && src[c+1] != ' ') || c-at > 1000 {
		return k, false
	}
	return k, true
}

// plainStart reports whether a plain scalar may start at offset at.
func plainStart(src []byte, at, end int) bool {
	switch src[at] {
	case '-', '?', ':':
		return at+1 < end && src[at+1] != ' '
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// value reads a scalar or a one-line flow collection that is a value, at
// offset at of line l.
func (s *scanner) value(l, at, parent int) (*yaml.Node, int, bool) {
	src, end := s.src, s.end(l)
	var n *yaml.Node
	var after int
	switch src[at] {
	case '"', '\'':
		var ok bool
		if n, after, ok = s.quoted(l, at, end); !ok {
			return nil, 0, false
		}
	case '|', '>':
		return s.blockScalar(l, at, parent)
	case '[', '{':
		var ok bool
		if n, after, ok = s.flow(l, at, end, 0); !ok {
			return nil, 0, false
		}
	default:
		if !plainStart(src, at, end) {
			return nil, 0, false
		}
		after = end
		for i := at; i < end; i++ {
			if src[i] == ':' && (i+1 == end || src[i+1] == ' ') {
				return nil, 0, false // a mapping where yaml.v3 allows none
			}
			if src[i] == '#' && src[i-1] == ' ' {
				after = i
				break
			}
		}
		e := after
		for src[e-1] == ' ' {
			e--
		}
		n = s.scalar("", 0, src[at:e], l, at)
	}
	if !s.ends(after, end) {
		return nil, 0, false
	}
	return n, s.next(l + 1), true
}

// quote reads a one-line single- or double-quoted scalar at offset at: its
// value, and the offset past the closing quote.
func (s *scanner) quote(at, end int) (value []byte, after int, ok bool) {
	src, q := s.src, s.src[at]
	var buf []byte // the value, once an escape makes it differ from the text
	escaped := false
	i := at + 1
	for ; i < end; i++ {
		c := src[i]
		if c != q && (c != '\\' || q != '"') {
			if escaped {
				buf = append(buf, c)
			}
			continue
		}
		if c == q && (q == '"' || i+1 == end || src[i+1] != '\'') {
			break // the closing quote
		}
		// '' in single quotes, or a backslash escape in double quotes
		if i+1 == end {
			return nil, 0, false
		}
		e, known := c, true
		if c == '\\' {
			e, known = escapes[src[i+1]]
		}
		if !known {
			return nil, 0, false
		}
		if !escaped {
			escaped = true
			buf = append(buf, src[at+1:i]...)
		}
		buf = append(buf, e)
		i++
	}
	if i == end {
		return nil, 0, false
	}
	if !escaped {
		buf = src[at+1 : i]
	}
	return buf, i + 1, true
}

// quoted reads a one-line quoted scalar at offset at of line l.
func (s *scanner) quoted(l, at, end int) (*yaml.Node, int, bool) {
	v, after, ok := s.quote(at, end)
	if !ok {
		return nil, 0, false
	}
	return s.scalar("!!str", quoteStyle(s.src[at]), v, l, at), after, true
}

func quoteStyle(q byte) yaml.Style {
	if q == '"' {
		return yaml.DoubleQuotedStyle
	}
	return yaml.SingleQuotedStyle
}

var escapes = map[byte]byte{'\\': '\\', '"': '"', 'n': '\n', 't': '\t', 'r': '\r', '0': 0}

// flow reads a flow collection or scalar on one line: sequences, mappings
// of plain or quoted keys, quoted scalars, and plain scalars without the
// characters that need more of YAML's flow rules (:, ?, #, brackets).
func (s *scanner) flow(l, i, end, depth int) (*yaml.Node, int, bool) {
	src := s.src
	switch src[i] {
	case '"', '\'':
		return s.quoted(l, i, end)
	case '[', '{':
		if depth > 16 {
			return nil, 0, false
		}
		closer, kind, tag := byte(']'), yaml.SequenceNode, "!!seq"
		if src[i] == '{' {
			closer, kind, tag = '}', yaml.MappingNode, "!!map"
		}
		n, want := s.collection(kind, tag, yaml.FlowStyle, l, i)
		mark := len(s.stack)
		i = skipSpaces(src[:end], i+1)
		for first := true; ; first = false {
			if i == end {
				return nil, 0, false
			}
			if src[i] == closer {
				s.close(n, want, mark)
				return n, i + 1, true
			}
			if !first {
				if src[i] != ',' {
					return nil, 0, false
				}
				i = skipSpaces(src[:end], i+1)
				if i == end || src[i] == closer {
					return nil, 0, false // a trailing comma
				}
			}
			if kind == yaml.MappingNode {
				k, after, ok := s.flowKey(l, i, end)
				if !ok {
					return nil, 0, false
				}
				s.stack = append(s.stack, k)
				i = after
			}
			item, after, ok := s.flow(l, i, end, depth+1)
			if !ok {
				return nil, 0, false
			}
			s.stack = append(s.stack, item)
			i = skipSpaces(src[:end], after)
		}
	}
	if !plainStart(src, i, end) || strings.IndexByte("-?:", src[i]) >= 0 && (i+1 == end || strings.IndexByte(",[]{}", src[i+1]) >= 0) {
		return nil, 0, false
	}
	j := i
	for j < end && src[j] != ',' && src[j] != ']' && src[j] != '}' {
		switch src[j] {
		case '[', '{', '#', ':', '?':
			return nil, 0, false
		}
		j++
	}
	e := j
	for e > i && src[e-1] == ' ' {
		e--
	}
	return s.scalar("", 0, src[i:e], l, i), j, true
}

// flowKey reads a key of a flow mapping and the ": " after it, returning
// the offset of its value.
func (s *scanner) flowKey(l, i, end int) (*yaml.Node, int, bool) {
	src := s.src
	var k *yaml.Node
	var after int
	switch src[i] {
	case '"', '\'':
		var ok bool
		if k, after, ok = s.quoted(l, i, end); !ok {
			return nil, 0, false
		}
	default:
		if !plainStart(src, i, end) {
			return nil, 0, false
		}
		j := i
		for j < end && src[j] != ':' {
			switch src[j] {
			case ',', '[', ']', '{', '}', '#', '?':
				return nil, 0, false
			}
			j++
		}
		e := j
		for e > i && src[e-1] == ' ' {
			e--
		}
		if string(src[i:e]) == "<<" {
			return nil, 0, false
		}
		k, after = s.scalar("", 0, src[i:e], l, i), j
	}
	if after+1 >= end || src[after] != ':' || src[after+1] != ' ' || after-i > 1000 {
		return nil, 0, false // yaml.v3 refuses keys of more than 1,024 characters
	}
	v := skipSpaces(src[:end], after+1)
	if v == end || strings.IndexByte(",]}", src[v]) >= 0 {
		return nil, 0, false // an empty value
	}
	return k, v, true
}

// blockScalar reads a literal or folded scalar whose header is at offset at
// of line l, in a collection at column parent. It takes the common shapes:
// no indentation indicator, content lines that start at one column, and in a
// folded scalar no more-indented lines.
func (s *scanner) blockScalar(l, at, parent int) (*yaml.Node, int, bool) {
	src, end := s.src, s.end(l)
	literal := src[at] == '|'
	chomp := byte(0)
	i := at + 1
	if i < end && (src[i] == '-' || src[i] == '+') {
		chomp = src[i]
		i++
	}
	if i < end && src[i] != ' ' {
		return nil, 0, false
	}
	if !s.ends(i, end) {
		return nil, 0, false
	}
	// The content: lines more indented than parent, and blank lines.
	first, last, indent := -1, -1, 0
	l2 := l + 1
	for ; l2 < s.n; l2++ {
		ind, e := s.indent(l2), s.end(l2)
		if s.start(l2)+ind == e { // spaces only
			if first >= 0 && ind > indent || first < 0 && ind > parent+1 {
				return nil, 0, false // spaces that may be content
			}
			continue
		}
		if first < 0 {
			if ind <= parent {
				return nil, 0, false // an empty scalar
			}
			first, indent = l2, ind
		} else if ind < indent {
			break
		}
		if !literal && ind > indent {
			return nil, 0, false
		}
		last = l2
	}
	if first < 0 || first != l+1 && !literal {
		return nil, 0, false
	}
	if l2 == s.n && chomp == '+' && last != s.n-1 {
		return nil, 0, false
	}
	return s.blockValue(l, at, literal, chomp, first, last, indent, l2)
}

// blockValue builds a block scalar's value from its content lines.
func (s *scanner) blockValue(l, at int, literal bool, chomp byte, first, last, indent, after int) (*yaml.Node, int, bool) {
	src := s.src
	var b []byte
	for j := l + 1; j < first; j++ { // leading blank lines
		b = append(b, '\n')
	}
	blanks := 0
	for j := first; j <= last; j++ {
		line := src[s.start(j):s.end(j)]
		if len(line) <= indent {
			blanks++
			continue
		}
		if j > first {
			switch {
			case literal:
				for range blanks + 1 {
					b = append(b, '\n')
				}
			case blanks == 0:
				b = append(b, ' ')
			default:
				for range blanks {
					b = append(b, '\n')
				}
			}
		}
		blanks = 0
		b = append(b, line[indent:]...)
	}
	if s.hasEOL(last) {
		switch chomp {
		case 0:
			b = append(b, '\n')
		case '+':
			b = append(b, '\n')
			for j := last + 1; j < after; j++ {
				b = append(b, '\n')
			}
		}
	}
	style := yaml.LiteralStyle
	if !literal {
		style = yaml.FoldedStyle
	}
	return s.scalar("!!str", style, b, l, at), s.next(after), true
}

// plainTag is the tag yaml.v3 resolves a plain scalar to (its resolve, in
// short for the common cases): text that starts with a letter is a string
// unless it is one of the bool and null words; digits without a leading
// zero that fit in an int64 are an int. The rest goes through yaml.v3.
func plainTag(s string) string {
	if s == "" {
		return "!!null"
	}
	switch c := s[0]; {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		switch s {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "null", "Null", "NULL":
			return "!!null"
		}
		return "!!str"
	case c >= '1' && c <= '9' && len(s) <= 18:
		i := 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == len(s) {
			return "!!int"
		}
	}
	n := yaml.Node{Kind: yaml.ScalarNode, Value: s}
	return n.ShortTag()
}
