package rewrite

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// An Edit is one change to a YAML file: [Set], [Delete], [Insert],
// [AddComment] or [RemoveComment].
type Edit interface {
	plan(p *planner) error
}

// Set sets the scalar at Path to Value. The node keeps its quoting style,
// and its type unless Tag says otherwise; a string that would read as
// another type when written plain (yes, on, 010, 1e3) is quoted. A value
// that is a substitution variable or template (${VAR}, {{ .x }}) is
// refused with ErrTemplated: its real value lives elsewhere.
type Set struct {
	Path  Path
	Value string
	// Tag is the YAML tag of the new value, such as "!!int" or "!!str".
	// Empty keeps the node's tag.
	Tag string
	// AllAliases allows editing a node that aliases share, so that every
	// alias sees the edit.
	AllAliases bool
}

// Delete removes the mapping entry or sequence item at Path, with the
// comment lines attached to it and the blank line that separated it.
type Delete struct {
	Path       Path
	AllAliases bool
}

// Insert adds an entry to the mapping at Path, or an item to the sequence at
// Path. Mapping keys missing on the way to Path are created.
//
// The value is either Value, rendered in block style like its siblings, or
// Raw, YAML text written as at the top of a document, kept as written
// (comments included) and indented to fit.
type Insert struct {
	Path Path
	// Key is the new key when Path is a mapping.
	Key string
	// Before is the child the new one goes in front of; the zero Step
	// appends.
	Before     Step
	Value      *yaml.Node
	Raw        string
	AllAliases bool
}

// AddComment adds a whole comment line such as "# ferry: pinned-by=m" at the
// top of the file, after a leading yaml-language-server modeline. It renders
// to nothing, so the documents do not change. Comment edits alone do not
// parse the file: only its top comment block is read and changed.
type AddComment struct {
	Text string
}

// RemoveComment removes the comment line Text from the comment block at the
// top of the file, restoring the file as it was before AddComment. A file
// without the line is left as it is, as AddComment leaves a file that has
// it.
type RemoveComment struct {
	Text string
}

// A Result reports one change Apply made.
type Result struct {
	File string
	Path string
	Line int    // the first line of the change, in the input
	Old  string // the value before; empty for an insert
	New  string // the value after; empty for a delete
}

// Apply plans every edit against src, the content of the file name, and
// returns the edited bytes and one Result per change. Paths refer to src, not
// to the result of earlier edits. Edits that change nothing return src and
// no Results. On error nothing is changed and the error names the file, the
// line and the reason; it wraps one of the Err values or is a *ParseError.
// Sets in a file of 64 KB or more whose paths start at top-level keys of its
// first document read only the file's head, up to the top-level entry
// after the last one they edit; a syntax error or a duplicate key deeper in
// the rest is not reported (see applyHead).
func Apply(name string, src []byte, edits ...Edit) ([]byte, []Result, error) {
	a := getArena()
	defer a.release()
	out, p, err := applyIn(name, src, edits, a)
	if err != nil {
		return nil, nil, err
	}
	return out, p.results, nil
}

// apply is Apply, also returning the planner with the splices it made; its
// nodes are its own.
func apply(name string, src []byte, edits []Edit) ([]byte, *planner, error) {
	return applyIn(name, src, edits, nil)
}

func applyIn(name string, src []byte, edits []Edit, a *arena) ([]byte, *planner, error) {
	if commentsOnly(edits) {
		return applyComments(name, src, edits)
	}
	if len(src) >= headMin {
		if out, p, ok := applyHead(name, src, edits, a); ok {
			return out, p, nil
		}
	}
	return applyParsed(name, src, edits, a)
}

// applyParsed is applyIn by the general way: parse, plan, splice, and
// parse the output again to require the intended tree.
func applyParsed(name string, src []byte, edits []Edit, a *arena) ([]byte, *planner, error) {
	f, err := parseIn(name, src, a)
	if err != nil {
		return nil, nil, err
	}
	p := newPlanner(f)
	for _, e := range edits {
		if err := e.plan(p); err != nil {
			return nil, nil, err
		}
	}
	if len(p.splices) == 0 && len(p.dirty) == 0 {
		return src, p, nil
	}
	if err := p.renderFlows(); err != nil {
		return nil, nil, err
	}
	out, err := p.apply()
	if err != nil {
		return nil, nil, err
	}
	if err := p.verify(out); err != nil {
		return nil, nil, err
	}
	return out, p, nil
}

// commentsOnly reports whether every edit is an AddComment or a
// RemoveComment.
func commentsOnly(edits []Edit) bool {
	for _, e := range edits {
		switch e.(type) {
		case AddComment, RemoveComment:
		default:
			return false
		}
	}
	return len(edits) > 0
}

// applyComments is applyIn for edits of the comment block at the top of
// the file only. They change whole comment lines before the first content,
// which renders to nothing whatever the rest of the file holds, so the
// file is not parsed: only its head is read, and the proof is that the
// output is the input with comment lines added or removed there and every
// byte from the first content on unchanged, shown from where the splices
// fall rather than by comparing the rest byte for byte. What is left of
// the cost is one copy of the file (BenchmarkLargeFile: a pin marker on an
// 800 KB CRD costs about what its copy-800k does, against 13 ms parsed
// twice).
func applyComments(name string, src []byte, edits []Edit) ([]byte, *planner, error) {
	f, start, err := newFile(name, src, headIndex)
	if err != nil {
		return nil, nil, err
	}
	p := newPlanner(f)
	for _, e := range edits {
		if err := e.plan(p); err != nil {
			return nil, nil, err
		}
	}
	if len(p.splices) == 0 {
		return src, p, nil
	}
	// The proof: every splice lies inside the input's comment block, so
	// apply copies the bytes before it and everything from the first
	// content on unchanged (it joins them around the splices, untouched);
	// and the output's comment block ends exactly where that copy begins,
	// so no content line was made part of it or cut from it.
	inHead := headLen(src[start:])
	for _, s := range p.splices {
		if s.start < start || s.end > start+inHead {
			return nil, nil, changedMore(name)
		}
	}
	out, err := p.apply()
	if err != nil {
		return nil, nil, err
	}
	outHead := len(out) - len(src) + inHead
	if headLen(out[start:]) != outHead || !utf8.Valid(out[start:start+outHead]) {
		return nil, nil, changedMore(name)
	}
	return out, p, nil
}

// changedMore is the error of a comment edit that would change more than
// the comment block at the top of the file.
func changedMore(name string) error {
	return &EditError{File: name, Path: "#", Err: fmt.Errorf("%w: a comment edit changed more than the comment block at the top", ErrVerify)}
}

// headIndex is lineIndex for the comment block at the top of src and the
// line after it: what a comment edit reads.
func headIndex(src []byte, start int) []int {
	lines := []int{start}
	for i := start; i < len(src); {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		line := bytes.TrimSpace(src[i : i+j])
		i += j + 1
		lines = append(lines, i)
		if len(line) > 0 && line[0] != '#' {
			break // the first content line, and where the next starts
		}
	}
	return lines
}

// headLen is the length of the comment and blank lines at the start of
// src, each with its line break.
func headLen(src []byte) int {
	n := 0
	for n < len(src) {
		j := bytes.IndexByte(src[n:], '\n')
		end := len(src)
		if j >= 0 {
			end = n + j + 1
		}
		if line := bytes.TrimSpace(src[n:end]); len(line) > 0 && line[0] != '#' {
			break
		}
		n = end
	}
	return n
}

// A splice replaces src[start:end] with text. first and last are the lines
// of the input it was planned to change.
type splice struct {
	start, end  int
	text        string
	first, last int
}

type planner struct {
	f           *file
	docs        []*yaml.Node              // the intended tree, once a structural edit needs it
	copies      map[*yaml.Node]*yaml.Node // input node -> intended node
	sets        map[*yaml.Node]scalar     // until then: input scalar -> its intended value
	aliased     map[*yaml.Node]bool       // input nodes an alias points to
	dirty       map[*yaml.Node]bool       // flow collections to re-render
	splices     []splice
	results     []Result
	layout      layout // see fileLayout
	layoutFound bool
}

// A scalar is the intended tag and value of a scalar node.
type scalar struct{ tag, value string }

func newPlanner(f *file) *planner {
	p := &planner{f: f} // the maps are made when first written
	if f.scanned {
		return p // scan reads no aliases
	}
	p.aliased = make(map[*yaml.Node]bool)
	var aliases func(n *yaml.Node)
	aliases = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			p.aliased[n.Alias] = true
		}
		for _, c := range n.Content {
			aliases(c)
		}
	}
	for _, d := range f.docs {
		aliases(d)
	}
	return p
}

// fileLayout is the file's layout, found when an edit first needs it.
func (p *planner) fileLayout() layout {
	if !p.layoutFound {
		p.layout, p.layoutFound = p.f.detectLayout(), true
	}
	return p.layout
}

// intended returns the node of the intended tree for input node n, copying
// the input tree the first time a structural edit needs it. Edits that
// only set scalars compare against the input and p.sets instead.
func (p *planner) intended(n *yaml.Node) *yaml.Node {
	if p.copies == nil {
		p.copies = make(map[*yaml.Node]*yaml.Node)
		for _, d := range p.f.docs {
			p.docs = append(p.docs, p.copyTree(d))
		}
		for orig, c := range p.copies {
			if orig.Kind == yaml.AliasNode && orig.Alias != nil {
				c.Alias = p.copies[orig.Alias]
			}
		}
		for orig, s := range p.sets {
			c := p.copies[orig]
			c.Tag, c.Value = s.tag, s.value
		}
	}
	return p.copies[n]
}

func (p *planner) copyTree(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = p.copyTree(k)
	}
	p.copies[n] = &c
	return &c
}

func (p *planner) fail(path Path, line int, err error) error {
	return &EditError{File: p.f.name, Line: line, Path: path.String(), Err: err}
}

func (p *planner) add(s splice) { p.splices = append(p.splices, s) }

// detectLayout reads the indentation and dash style of the file's block
// collections. Files with none get two spaces and indented dashes, the more
// common style in the corpus of real deployment repos.
func (f *file) detectLayout() layout {
	l := layout{indent: 2}
	var indent, compact *bool
	for _, d := range f.docs {
		scanLayout(d, nil, &l, &indent, &compact)
	}
	return l
}

// scanLayout fills in the parts of l not found yet from the block
// collections under n, skipping the subtree skip.
func scanLayout(n, skip *yaml.Node, l *layout, indent, compact **bool) {
	if n == skip || *indent != nil && *compact != nil {
		return
	}
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v == skip || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || v.Anchor != "" || v.Style&yaml.TaggedStyle != 0 || v.Line <= k.Line {
				continue
			}
			switch {
			case v.Kind == yaml.MappingNode && *indent == nil && v.Column > k.Column:
				l.indent = v.Column - k.Column
				t := true
				*indent = &t
			case v.Kind == yaml.SequenceNode && *compact == nil:
				l.compact = v.Column == k.Column
				*compact = &l.compact
			}
		}
	}
	for _, c := range n.Content {
		scanLayout(c, skip, l, indent, compact)
	}
}

// layoutNear is the layout of the relatives of the collection at the end of
// chain: the nearest ancestor whose other block collections show a style
// wins over the file as a whole.
func (p *planner) layoutNear(chain []*yaml.Node) layout {
	l := p.fileLayout()
	var indent, compact *bool
	target := chain[len(chain)-1]
	for i := len(chain) - 2; i >= 0 && (indent == nil || compact == nil); i-- {
		found := layout{indent: l.indent, compact: l.compact}
		var fi, fc *bool
		scanLayout(chain[i], target, &found, &fi, &fc)
		if indent == nil && fi != nil {
			l.indent, indent = found.indent, fi
		}
		if compact == nil && fc != nil {
			l.compact, compact = found.compact, fc
		}
	}
	return l
}

// A loc is where a path led.
type loc struct {
	node   *yaml.Node
	parent *yaml.Node // the collection holding node; nil for a document root
	idx    int        // node's index in parent.Content
	chain  []*yaml.Node
}

func (l loc) key() *yaml.Node {
	if l.parent != nil && l.parent.Kind == yaml.MappingNode {
		return l.parent.Content[l.idx-1]
	}
	return nil
}

func (l loc) line() int {
	if k := l.key(); k != nil {
		return k.Line
	}
	return l.node.Line
}

// selectDoc finds the document a path names.
func (p *planner) selectDoc(path Path) (*yaml.Node, error) {
	if path.Kind == "" && path.Name == "" {
		if path.Doc >= len(p.f.docs) {
			return nil, p.fail(path, 0, fmt.Errorf("%w: the file has %d documents", ErrNotFound, len(p.f.docs)))
		}
		return p.f.docs[path.Doc], nil
	}
	var found *yaml.Node
	for _, d := range p.f.docs {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := d.Content[0]
		kind := lookup(root, "kind")
		meta := lookup(root, "metadata")
		var name *yaml.Node
		if meta != nil {
			name = lookup(meta, "name")
		}
		if kind == nil || name == nil || kind.Value != path.Kind || name.Value != path.Name {
			continue
		}
		if found != nil {
			return nil, p.fail(path, root.Line, fmt.Errorf("%w: two documents are %s/%s", ErrAmbiguous, path.Kind, path.Name))
		}
		found = d
	}
	if found == nil {
		return nil, p.fail(path, 0, fmt.Errorf("%w: no document is %s/%s", ErrNotFound, path.Kind, path.Name))
	}
	return found, nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// walk follows path as far as it goes. It returns the loc reached and the
// number of steps taken; err is set when a step fails, with the loc of the
// last node reached.
func (p *planner) walk(path Path) (loc, int, error) {
	doc, err := p.selectDoc(path)
	if err != nil {
		return loc{}, 0, err
	}
	if len(doc.Content) == 0 {
		return loc{}, 0, p.fail(path, 0, fmt.Errorf("%w: the document is empty", ErrNotFound))
	}
	l := loc{node: doc.Content[0], parent: doc, chain: []*yaml.Node{doc.Content[0]}}
	for i, s := range path.Steps {
		n := l.node
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			l.chain = append(l.chain, n)
		}
		next := -1
		switch s.kind {
		case stepKey:
			if n.Kind != yaml.MappingNode {
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: %s is not a mapping", ErrNotFound, path.prefix(i)))
			}
			for j := 0; j+1 < len(n.Content); j += 2 {
				if k := n.Content[j]; k.Kind == yaml.ScalarNode && k.Value == s.key {
					next = j + 1
					break
				}
			}
			if next < 0 {
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j].Tag == "!!merge" && merged(n.Content[j+1], s.key) {
						return l, i, p.fail(path, n.Content[j].Line, ErrMergeKey)
					}
				}
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: no key %q in %s", ErrNotFound, s.key, path.prefix(i)))
			}
		case stepIndex:
			if n.Kind != yaml.SequenceNode {
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: %s is not a sequence", ErrNotFound, path.prefix(i)))
			}
			if s.index >= len(n.Content) {
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: %s has %d items", ErrNotFound, path.prefix(i), len(n.Content)))
			}
			next = s.index
		case stepMatch:
			if n.Kind != yaml.SequenceNode {
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: %s is not a sequence", ErrNotFound, path.prefix(i)))
			}
			for j, item := range n.Content {
				if v := lookup(item, s.key); v != nil && v.Kind == yaml.ScalarNode && v.Value == s.value {
					if next >= 0 {
						return l, i, p.fail(path, item.Line, fmt.Errorf("%w: two items of %s have %s=%s", ErrAmbiguous, path.prefix(i), s.key, s.value))
					}
					next = j
				}
			}
			if next < 0 {
				return l, i, p.fail(path, n.Line, fmt.Errorf("%w: no item of %s has %s=%s", ErrNotFound, path.prefix(i), s.key, s.value))
			}
		default:
			return l, i, p.fail(path, 0, fmt.Errorf("%w: empty step", ErrNotFound))
		}
		l = loc{node: n.Content[next], parent: n, idx: next, chain: append(l.chain, n.Content[next])}
	}
	return l, len(path.Steps), nil
}

func merged(v *yaml.Node, key string) bool {
	switch v.Kind {
	case yaml.AliasNode:
		return merged(v.Alias, key)
	case yaml.SequenceNode:
		for _, c := range v.Content {
			if merged(c, key) {
				return true
			}
		}
	case yaml.MappingNode:
		return lookup(v, key) != nil
	}
	return false
}

func (p Path) prefix(i int) string {
	q := p
	q.Steps = p.Steps[:i]
	return q.String()
}

func (p *planner) find(path Path) (loc, error) {
	l, _, err := p.walk(path)
	return l, err
}

// shared reports whether an alias sees any node of the chain.
func (p *planner) shared(l loc) bool {
	for _, n := range l.chain {
		if p.aliased[n] || n.Kind == yaml.AliasNode {
			return true
		}
	}
	return false
}

// holdsAnchor reports whether an alias points into the subtree of n.
func (p *planner) holdsAnchor(n *yaml.Node) bool {
	if p.aliased[n] {
		return true
	}
	for _, c := range n.Content {
		if p.holdsAnchor(c) {
			return true
		}
	}
	return false
}

// flowRoot is the outermost flow collection holding n (n included), or nil.
func flowRoot(chain []*yaml.Node) *yaml.Node {
	for _, n := range chain {
		if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle != 0 {
			return n
		}
	}
	return nil
}

func templated(s string) bool {
	return strings.Contains(s, "${") || strings.Contains(s, "{{")
}

func (e Set) plan(p *planner) error {
	l, err := p.find(e.Path)
	if err != nil {
		return err
	}
	n := l.node
	fail := func(err error) error { return p.fail(e.Path, n.Line, err) }
	if n.Kind != yaml.ScalarNode {
		return fail(fmt.Errorf("%w: not a scalar", ErrType))
	}
	if !e.AllAliases && p.shared(l) {
		return fail(ErrAnchored)
	}
	if e.Tag == "" && e.Value == n.Value {
		return nil
	}
	tag := e.Tag
	if tag == "" {
		tag = n.ShortTag()
		if tag == "!!null" {
			// An empty value takes the type its new text reads as.
			// Text that only YAML 1.1 reads as another type (on, yes)
			// stays a string and is quoted.
			if tag = implicitTag(e.Value); tag == "" {
				tag = "!!str"
			}
		}
	}
	if tag == n.ShortTag() && e.Value == n.Value {
		return nil
	}
	if templated(n.Value) {
		return fail(ErrTemplated)
	}
	start, end, err := p.scalarSpan(n)
	if err != nil {
		return fail(err)
	}
	flow := flowRoot(l.chain[:len(l.chain)-1]) != nil
	var text string
	if n.Style&yaml.TaggedStyle != 0 && e.Tag == "" {
		if plainSafe(e.Value, flow) && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			text = e.Value
		} else {
			text, err = renderScalar(e.Value, "!!str", n.Style|yaml.DoubleQuotedStyle, flow)
		}
	} else {
		text, err = renderScalar(e.Value, tag, n.Style, flow)
	}
	if err != nil {
		return fail(err)
	}
	if start == end {
		text = " " + text // an empty value, just after its colon or dash
	}
	p.add(splice{start: start, end: end, text: text, first: p.f.lineOf(start), last: p.f.lineOf(end)})
	if p.copies != nil {
		c := p.intended(n)
		c.Value, c.Tag = e.Value, tag
	} else {
		if p.sets == nil {
			p.sets = make(map[*yaml.Node]scalar)
		}
		p.sets[n] = scalar{tag: tag, value: e.Value}
	}
	p.results = append(p.results, Result{File: p.f.name, Path: e.Path.String(), Line: n.Line, Old: n.Value, New: e.Value})
	return nil
}

// scalarSpan is the byte range of a scalar's text, after its anchor and tag.
func (p *planner) scalarSpan(n *yaml.Node) (int, int, error) {
	src := p.f.src
	start := p.f.pos(n)
	if n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		for start < len(src) && (src[start] == '&' || src[start] == '!') {
			for start < len(src) && src[start] != ' ' && src[start] != '\t' && src[start] != '\n' && src[start] != '\r' {
				start++
			}
			for start < len(src) && (src[start] == ' ' || src[start] == '\t') {
				start++
			}
		}
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for j := start + 1; j < len(src); j++ {
			switch src[j] {
			case '\\':
				j++
			case '"':
				return start, j + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for j := start + 1; j < len(src); j++ {
			if src[j] == '\'' {
				if j+1 < len(src) && src[j+1] == '\'' {
					j++
					continue
				}
				return start, j + 1, nil
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, fmt.Errorf("%w: block scalar", ErrUnsupported)
	case n.Tag == "!!null" && n.Value == "":
		return start, start, nil
	case !strings.ContainsAny(n.Value, "\n") && bytes.HasPrefix(src[start:], []byte(n.Value)):
		return start, start + len(n.Value), nil
	default:
		return 0, 0, fmt.Errorf("%w: multi-line plain scalar", ErrUnsupported)
	}
	return 0, 0, fmt.Errorf("%w: unterminated quoted scalar", ErrUnsupported)
}

// apply sorts the splices, refuses overlaps and writes the output.
func (p *planner) apply() ([]byte, error) {
	slices.SortStableFunc(p.splices, func(a, b splice) int { return a.start - b.start })
	src := p.f.src
	// The output is joined from its parts: bytes.Join allocates it once
	// at its size and, unlike a Buffer, does not zero it first, which on a
	// large file is most of an edit's cost.
	parts := make([][]byte, 0, 2*len(p.splices)+1)
	at := 0
	for _, s := range p.splices {
		if s.start < at {
			return nil, &EditError{File: p.f.name, Line: p.f.lineOf(s.start), Err: fmt.Errorf("%w: two edits change line %d", ErrConflict, p.f.lineOf(s.start))}
		}
		if s.start < p.f.lineStart(s.first) || s.end > p.f.lineNext(s.last) {
			return nil, &EditError{File: p.f.name, Line: s.first, Err: fmt.Errorf("%w: a change falls outside its planned lines %d-%d", ErrVerify, s.first, s.last)}
		}
		parts = append(parts, src[at:s.start], []byte(s.text))
		at = s.end
	}
	return bytes.Join(append(parts, src[at:]), nil), nil
}
