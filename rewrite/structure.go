package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (e Delete) plan(p *planner) error {
	l, err := p.find(e.Path)
	if err != nil {
		return err
	}
	fail := func(err error) error { return p.fail(e.Path, l.line(), err) }
	if l.parent == nil || l.parent.Kind == yaml.DocumentNode || len(l.chain) < 2 {
		return fail(fmt.Errorf("%w: cannot delete a document's root", ErrUnsupported))
	}
	if p.holdsAnchor(l.node) {
		return fail(fmt.Errorf("%w: its anchor is used by an alias elsewhere", ErrAnchored))
	}
	holders := l.chain[:len(l.chain)-1]
	if !e.AllAliases && p.shared(loc{chain: holders}) {
		return fail(ErrAnchored)
	}
	cp := p.intended(l.parent)
	i := slices.Index(cp.Content, p.intended(l.node))
	if l.parent.Kind == yaml.MappingNode {
		cp.Content = slices.Delete(cp.Content, i-1, i+1)
	} else {
		cp.Content = slices.Delete(cp.Content, i, i+1)
	}
	p.results = append(p.results, Result{File: p.f.name, Path: e.Path.String(), Line: l.line(), Old: summary(l.node)})
	if fr := flowRoot(holders); fr != nil {
		p.markDirty(fr)
		return nil
	}
	if err := p.deleteBlock(l); err != nil {
		return fail(err)
	}
	return nil
}

func (p *planner) deleteBlock(l loc) error {
	f := p.f
	parent := l.parent
	ext, ok := p.extent(parent, l.idx)
	if !ok {
		return fmt.Errorf("%w: cannot find where the item starts", ErrUnsupported)
	}
	n := children(parent)
	pos := l.idx
	if parent.Kind == yaml.MappingNode {
		pos = l.idx / 2
	}
	if n == 1 {
		return p.emptied(l, ext)
	}
	if ext.inline {
		// The first child shares its line with the parent's dash: the next
		// sibling moves up into its place.
		next, ok := p.childStart(parent, childIndex(parent, 1))
		if !ok || pos != 0 {
			return fmt.Errorf("%w: cannot find the next item", ErrUnsupported)
		}
		for ln := f.lineOf(ext.start) + 1; ln < f.lineOf(next); ln++ {
			if !f.blank(ln) {
				return fmt.Errorf("%w: lines between the first entry on a dash line and the next", ErrUnsupported)
			}
		}
		p.add(splice{start: ext.start, end: next, first: f.lineOf(ext.start), last: f.lineOf(next)})
		return nil
	}
	from, to := ext.first, ext.last
	before, after := p.blanksBefore(ext.first), p.blanksAfter(ext.last)
	switch {
	case pos == n-1:
		from = before
	case pos == 0:
		to = after
	case before < ext.first:
		to = after
	}
	start, end := f.lineStart(from), f.lineNext(to)
	if end == len(f.src) && !f.hasEOL(to) && from > 1 {
		// Keep a missing final newline missing.
		from--
		start = f.lineEnd(from)
	}
	p.add(splice{start: start, end: end, first: from, last: to})
	return nil
}

// emptied deletes the only child of a block collection, leaving {} or [].
func (p *planner) emptied(l loc, ext extent) error {
	f := p.f
	empty := "[]"
	if l.parent.Kind == yaml.MappingNode {
		empty = "{}"
	}
	if ext.inline {
		p.add(splice{start: ext.start, end: f.lineEnd(ext.last), text: empty, first: f.lineOf(ext.start), last: ext.last})
		return nil
	}
	holder := len(l.chain) - 2 // the parent in the chain
	if holder < 1 {
		return fmt.Errorf("%w: the document would be empty", ErrUnsupported)
	}
	keyLine := l.parent.Line - 1
	gp := l.chain[holder-1]
	if gp.Kind == yaml.AliasNode {
		return fmt.Errorf("%w: emptied collection behind an alias", ErrUnsupported)
	}
	if gp.Kind != yaml.MappingNode {
		return fmt.Errorf("%w: emptied collection is not a mapping value", ErrUnsupported)
	}
	for i := 1; i < len(gp.Content); i += 2 {
		if gp.Content[i] == l.parent {
			keyLine = gp.Content[i-1].Line
		}
	}
	text := f.line(keyLine)
	end := len(text)
	if c := commentStart(text); c >= 0 {
		end = c
	}
	trimmed := bytes.TrimRight(text[:end], " \t")
	if !bytes.HasSuffix(trimmed, []byte(":")) && !bytes.Contains(trimmed, []byte(": &")) {
		return fmt.Errorf("%w: the collection's key line does not end with a colon", ErrUnsupported)
	}
	at := f.lineStart(keyLine) + len(trimmed)
	p.add(splice{start: at, end: at, text: " " + empty, first: keyLine, last: keyLine})
	if ext.first <= keyLine {
		return fmt.Errorf("%w: the only child is on its key's line", ErrUnsupported)
	}
	start, end2, from := f.lineStart(ext.first), f.lineNext(ext.last), ext.first
	if end2 == len(f.src) && !f.hasEOL(ext.last) {
		from--
		start = f.lineEnd(from)
	}
	p.add(splice{start: start, end: end2, first: from, last: ext.last})
	return nil
}

// A frag is a value about to be written as a mapping entry or sequence item.
type frag struct {
	head  []string // comment lines before it
	first string   // text on the key or dash line; empty when the value starts below
	rest  []string // the following lines, relative to the entry's or item's column
	seq   bool     // a block sequence
}

func (p *planner) nodeFrag(n *yaml.Node) (frag, error) {
	fr := frag{head: commentLines(n.HeadComment)}
	if inline(n) {
		s, err := flowText(n)
		fr.first = withLineComment(s, n)
		return fr, err
	}
	lines, err := p.fileLayout().block(n)
	fr.rest, fr.seq = lines, n.Kind == yaml.SequenceNode
	return fr, err
}

func rawFrag(raw string) (frag, error) {
	var fr frag
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(raw, "\r\n", "\n"), "\n"), "\n")
	for len(lines) > 0 && strings.HasPrefix(strings.TrimSpace(lines[0]), "#") {
		fr.head = append(fr.head, strings.TrimRight(lines[0], " \t"))
		lines = lines[1:]
	}
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return fr, fmt.Errorf("%w: the raw value is empty", ErrType)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &doc); err != nil || len(doc.Content) != 1 {
		return fr, fmt.Errorf("%w: the raw value is not one YAML value: %v", ErrType, err)
	}
	n := doc.Content[0]
	switch {
	case n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		fr.first, fr.rest = lines[0], dedent(lines[1:])
	case len(lines) == 1:
		fr.first = lines[0]
	default:
		fr.rest, fr.seq = lines, n.Kind == yaml.SequenceNode
	}
	return fr, nil
}

func dedent(lines []string) []string {
	min := -1
	for _, s := range lines {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if ind := len(s) - len(strings.TrimLeft(s, " ")); min < 0 || ind < min {
			min = ind
		}
	}
	out := make([]string, len(lines))
	for i, s := range lines {
		if len(s) >= min && min > 0 {
			s = s[min:]
		}
		out[i] = s
	}
	return out
}

func indent(lines []string, by int) []string {
	pad := strings.Repeat(" ", by)
	out := make([]string, len(lines))
	for i, s := range lines {
		if s != "" {
			s = pad + s
		}
		out[i] = s
	}
	return out
}

func keyText(k string) string {
	if plainString(k, false) {
		return k
	}
	return doubleQuote(k)
}

// entry writes a mapping entry at column 0.
func (p *planner) entry(key string, fr frag) []string {
	out := slices.Clone(fr.head)
	if fr.first != "" {
		out = append(out, keyText(key)+": "+fr.first)
		return append(out, indent(fr.rest, p.fileLayout().indent)...)
	}
	out = append(out, keyText(key)+":")
	by := p.fileLayout().indent
	if fr.seq && p.fileLayout().compact {
		by = 0
	}
	return append(out, indent(fr.rest, by)...)
}

// item writes a sequence item at column 0, its content pad columns right of
// the dash.
func item(fr frag, pad int) []string {
	out := slices.Clone(fr.head)
	rest := fr.rest
	first := fr.first
	if first == "" {
		for len(rest) > 0 && strings.HasPrefix(rest[0], "#") {
			out = append(out, rest[0])
			rest = rest[1:]
		}
		first, rest = rest[0], rest[1:]
	}
	out = append(out, "-"+strings.Repeat(" ", pad-1)+first)
	return append(out, indent(rest, pad)...)
}

func (e Insert) plan(p *planner) error {
	l, k, err := p.walk(e.Path)
	var missing []string
	if err != nil {
		if !errors.Is(err, ErrNotFound) || l.node == nil || l.node.Kind != yaml.MappingNode {
			return err
		}
		for _, s := range e.Path.Steps[k:] {
			if s.kind != stepKey {
				return err
			}
			missing = append(missing, s.key)
		}
	}
	parent := l.node
	fail := func(err error) error { return p.fail(e.Path, parent.Line, err) }
	if parent.Kind == yaml.AliasNode || !e.AllAliases && p.shared(l) {
		return fail(ErrAnchored)
	}
	var value frag
	switch {
	case e.Raw != "" && e.Value != nil:
		return fail(fmt.Errorf("%w: both Value and Raw are set", ErrType))
	case e.Raw != "":
		value, err = rawFrag(e.Raw)
	case e.Value != nil:
		value, err = p.nodeFrag(e.Value)
	default:
		return fail(fmt.Errorf("%w: no value to insert", ErrType))
	}
	if err != nil {
		return fail(err)
	}
	asMap := parent.Kind == yaml.MappingNode
	if parent.Kind == yaml.ScalarNode && parent.ShortTag() == "!!null" {
		asMap = e.Key != ""
	} else if parent.Kind != yaml.MappingNode && parent.Kind != yaml.SequenceNode {
		return fail(fmt.Errorf("%w: not a collection", ErrType))
	}
	if len(missing) == 0 && asMap && e.Key == "" || !asMap && e.Key != "" && len(missing) == 0 {
		return fail(fmt.Errorf("%w: a mapping takes a Key, a sequence none", ErrType))
	}
	if len(missing) == 0 && asMap && lookup(parent, e.Key) != nil {
		return fail(fmt.Errorf("%w: key %q", ErrExists, e.Key))
	}

	pad := p.itemPad(parent)
	var lines []string
	if e.Key != "" {
		lines = p.entry(e.Key, value)
	} else {
		lines = item(value, pad)
	}
	if len(missing) > 0 {
		fr := frag{rest: lines, seq: e.Key == ""}
		for i := len(missing) - 1; i >= 1; i-- {
			fr = frag{rest: p.entry(missing[i], fr)}
		}
		lines = p.entry(missing[0], fr)
		asMap = true
	}

	// The intended tree: parse the fragment as it will read.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")+"\n"), &doc); err != nil || len(doc.Content) != 1 {
		return fail(fmt.Errorf("%w: the rendered value does not parse: %v", ErrVerify, err))
	}
	newKids := doc.Content[0].Content
	cp := p.intended(parent)
	if cp.Kind == yaml.ScalarNode {
		cp.Kind, cp.Value, cp.Style = yaml.SequenceNode, "", 0
		cp.Tag = "!!seq"
		if asMap {
			cp.Kind, cp.Tag = yaml.MappingNode, "!!map"
		}
	}
	at := len(cp.Content)
	var before *loc // the child the new one goes in front of; nil appends
	if !e.Before.IsZero() {
		bl, err := p.find(e.Path.Child(e.Before))
		if err != nil {
			return err
		}
		before = &bl
		at = slices.Index(cp.Content, p.intended(bl.node))
		if asMap {
			at--
		}
	}
	cp.Content = slices.Insert(cp.Content, at, newKids...)
	newPath := e.Path
	if e.Key != "" {
		newPath = e.Path.Child(Key(e.Key))
	}
	p.results = append(p.results, Result{File: p.f.name, Path: newPath.String(), Line: parent.Line, New: summary(newKids[len(newKids)-1])})

	if fr := flowRoot(l.chain); fr != nil && children(parent) > 0 {
		p.markDirty(fr)
		return nil
	}
	if children(parent) == 0 {
		return p.fill(e.Path, l, lines, !asMap)
	}
	return p.insertBlock(e.Path, l, before, lines)
}

// itemPad is the distance from dash to content in the sequence's items.
func (p *planner) itemPad(seq *yaml.Node) int {
	if seq.Kind == yaml.SequenceNode && seq.Style&yaml.FlowStyle == 0 {
		for _, it := range seq.Content {
			if d, ok := p.dash(it); ok && p.f.lineOf(d) == it.Line && it.Anchor == "" && it.Style&yaml.TaggedStyle == 0 {
				if pad := p.f.pos(it) - d; pad >= 2 {
					return pad
				}
			}
		}
	}
	return 2
}

func (p *planner) insertBlock(path Path, l loc, before *loc, lines []string) error {
	f := p.f
	parent := l.node
	n := children(parent)
	first, ok := p.extent(parent, childIndex(parent, 0))
	if !ok {
		return p.fail(path, parent.Line, fmt.Errorf("%w: cannot find where the items start", ErrUnsupported))
	}
	col := first.col
	if parent.Kind == yaml.MappingNode && first.inline && n > 1 {
		if second, ok := p.extent(parent, childIndex(parent, 1)); ok {
			col = second.col
		}
	}
	lines = indent(lines, col)
	var at, ln int
	if before == nil {
		last, ok := p.extent(parent, childIndex(parent, n-1))
		if !ok {
			return p.fail(path, parent.Line, fmt.Errorf("%w: cannot find where the last item starts", ErrUnsupported))
		}
		at, ln = f.lineNext(last.last), last.last
		if blank, known := p.blankSeparated(parent, -1); blank && known {
			lines = append([]string{""}, lines...)
		}
	} else {
		bl := *before
		ext, ok := p.extent(parent, bl.idx)
		if !ok || ext.inline {
			return p.fail(path, parent.Line, fmt.Errorf("%w: cannot insert before the first entry on a dash line", ErrUnsupported))
		}
		at, ln = f.lineStart(ext.first), ext.first
		pos := bl.idx
		if parent.Kind == yaml.MappingNode {
			pos /= 2
		}
		blank, known := p.blankSeparated(parent, pos)
		switch {
		case pos == 0:
			if blank && known {
				lines = append(lines, "")
			}
		case p.blanksBefore(ext.first) < ext.first:
			if blank || !known {
				lines = append(lines, "")
			} else {
				// The list is tight: the blank line stays where it is,
				// after the new item.
				prev, _ := p.extent(parent, childIndex(parent, pos-1))
				at, ln = f.lineNext(prev.last), prev.last
			}
		}
	}
	p.add(splice{start: at, end: at, text: p.lineText(ln, at, lines), first: ln, last: ln})
	return nil
}

// blankSeparated reports whether most gaps between the children of a block
// collection hold a blank line, leaving out the gap before child skip; known
// is false when there is no other gap.
func (p *planner) blankSeparated(parent *yaml.Node, skip int) (blank, known bool) {
	var blanks, tight int
	for i := 1; i < children(parent); i++ {
		if i == skip {
			continue
		}
		ext, ok := p.extent(parent, childIndex(parent, i))
		if !ok || ext.inline {
			continue
		}
		if p.blanksBefore(ext.first) < ext.first {
			blanks++
		} else {
			tight++
		}
	}
	return blanks > tight, blanks+tight > 0
}

// lineText joins lines for insertion at offset at, next to line ln.
func (p *planner) lineText(ln, at int, lines []string) string {
	f := p.f
	eol := f.eolOf(ln)
	text := strings.Join(lines, eol)
	if at == len(f.src) && len(f.src) > 0 && f.src[len(f.src)-1] != '\n' {
		return eol + text // after a last line without a line break
	}
	return text + eol
}

// fill writes the first child of an empty collection, {} or [] or nothing
// after its key, as a block below the key.
func (p *planner) fill(path Path, l loc, lines []string, seq bool) error {
	f := p.f
	parent := l.node
	fail := func(err error) error { return p.fail(path, parent.Line, err) }
	k := l.key()
	if k == nil || l.parent.Style&yaml.FlowStyle != 0 {
		return fail(fmt.Errorf("%w: an empty collection that is not the value of a block mapping key", ErrUnsupported))
	}
	keyStart := f.pos(k)
	kl := f.lineOf(keyStart)
	col := keyStart - f.lineStart(kl)
	if parent.Line != k.Line {
		return fail(fmt.Errorf("%w: the empty value is not on its key's line", ErrUnsupported))
	}
	start := f.pos(parent)
	var end int
	switch {
	case parent.Kind == yaml.ScalarNode:
		_, e, err := p.scalarSpan(parent)
		if err != nil {
			return fail(err)
		}
		end = e
	default:
		e, ok := flowEnd(f.src, start)
		if !ok {
			return fail(fmt.Errorf("%w: unterminated flow collection", ErrUnsupported))
		}
		end = e
	}
	for start > 0 && (f.src[start-1] == ' ' || f.src[start-1] == '\t') {
		start--
	}
	near := p.layoutNear(l.chain)
	by := col + near.indent
	if seq && near.compact {
		by = col
	}
	if start < end {
		p.add(splice{start: start, end: end, first: kl, last: kl})
	}
	at := f.lineNext(kl)
	p.add(splice{start: at, end: at, text: p.lineText(kl, at, indent(lines, by)), first: kl, last: kl})
	return nil
}

// flowEnd is the offset after the bracket that closes the flow collection
// opening at start (after any anchor or tag).
func flowEnd(src []byte, start int) (int, bool) {
	depth := 0
	for j := start; j < len(src); j++ {
		switch c := src[j]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		case '"':
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
		case '\'':
			for j++; j < len(src); j++ {
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
		case '#':
			if j > 0 && (src[j-1] == ' ' || src[j-1] == '\t') {
				return 0, false
			}
		}
	}
	return 0, false
}

// markDirty notes a flow collection to render again.
func (p *planner) markDirty(n *yaml.Node) {
	if p.dirty == nil {
		p.dirty = make(map[*yaml.Node]bool)
	}
	p.dirty[n] = true
}

// renderFlows re-renders each flow collection a structural edit changed, on
// its one line.
func (p *planner) renderFlows() error {
	f := p.f
	for n := range p.dirty {
		start := f.pos(n)
		open := bytes.IndexAny(f.src[start:], "[{")
		if open < 0 {
			return &EditError{File: f.name, Line: n.Line, Err: fmt.Errorf("%w: cannot find the flow collection", ErrUnsupported)}
		}
		end, ok := flowEnd(f.src, start+open)
		if !ok || f.lineOf(end-1) != f.lineOf(start) {
			return &EditError{File: f.name, Line: n.Line, Err: fmt.Errorf("%w: a flow collection over several lines", ErrUnsupported)}
		}
		text, err := flowText(p.intended(n))
		if err != nil {
			return &EditError{File: f.name, Line: n.Line, Err: err}
		}
		if end-start-open > 2 && f.src[start+open+1] == ' ' && len(text) > 2 {
			text = text[:1] + " " + text[1:len(text)-1] + " " + text[len(text)-1:]
		}
		p.add(splice{start: start, end: end, text: text, first: n.Line, last: n.Line})
	}
	return nil
}

// topComments is the range of lines of the comment block at the top of the file.
func (f *file) topComments() int {
	l := 1
	for l <= f.numLines() && (f.comment(l) || f.blank(l)) {
		l++
	}
	return l - 1
}

func (e AddComment) plan(p *planner) error {
	f := p.f
	if !strings.HasPrefix(e.Text, "#") || strings.ContainsAny(e.Text, "\r\n") {
		return &EditError{File: f.name, Path: "#", Err: fmt.Errorf("%w: %q is not a one-line comment", ErrType, e.Text)}
	}
	for l := 1; l <= f.topComments(); l++ {
		if strings.TrimRight(string(f.line(l)), " \t") == e.Text {
			return nil
		}
	}
	l := 1
	for l <= f.numLines() && bytes.HasPrefix(bytes.TrimSpace(f.line(l)), []byte("# yaml-language-server:")) {
		l++
	}
	at := f.lineStart(l)
	text := e.Text + f.eol
	if l > 1 && !f.hasEOL(l-1) {
		at, text = len(f.src), f.eol+e.Text
	}
	p.add(splice{start: at, end: at, text: text, first: l, last: l})
	p.results = append(p.results, Result{File: f.name, Path: "#", Line: l, New: e.Text})
	return nil
}

func (e RemoveComment) plan(p *planner) error {
	f := p.f
	for l := 1; l <= f.topComments(); l++ {
		if strings.TrimRight(string(f.line(l)), " \t") != e.Text {
			continue
		}
		start, end, from := f.lineStart(l), f.lineNext(l), l
		if !f.hasEOL(l) && l > 1 {
			from--
			start = f.lineEnd(from)
		}
		p.add(splice{start: start, end: end, first: from, last: l})
		p.results = append(p.results, Result{File: f.name, Path: "#", Line: l, Old: e.Text})
		return nil
	}
	return nil
}

// TopComments returns the comment lines at the top of a YAML file, before
// its first content, such as a pin marker that AddComment wrote.
func TopComments(src []byte) []string {
	var out []string
	src = bytes.TrimPrefix(src, bom)
	for len(src) > 0 {
		line := src
		next := len(src)
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, next = src[:i], i+1
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		if len(t) > 0 {
			out = append(out, string(t))
		}
		src = src[next:]
	}
	return out
}
