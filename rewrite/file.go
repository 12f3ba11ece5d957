package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest file rewrite accepts. Deployment-repo YAML is small;
// anything larger is refused rather than parsed.
const MaxSize = 8 << 20

var bom = []byte("\ufeff")

// file is a parsed YAML stream together with its raw bytes. Node positions
// from yaml.v3 (1-based line, column in runes) are mapped to byte offsets
// through the line index.
type file struct {
	name  string
	src   []byte
	lines []int // lines[i] is the byte offset where line i+1 starts
	eol   string
	docs  []*yaml.Node
	// scanned is true when scan read the documents: no anchors, aliases
	// or tags.
	scanned bool
}

func parse(name string, src []byte) (*file, error) { return parseIn(name, src, nil) }

// parseIn is parse with the nodes scan makes taken from a, when not nil.
func parseIn(name string, src []byte, a *arena) (*file, error) {
	f, start, err := newFile(name, src, lineIndex)
	if err != nil {
		return nil, err
	}
	docs, ok := []*yaml.Node(nil), false
	if start == 0 {
		docs, ok = scan(src, f.lines, a) // which takes only printable UTF-8
	}
	if !ok {
		if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) {
			return nil, &ParseError{File: name, Err: errors.New("not a UTF-8 text file")}
		}
		var err error
		if docs, err = decode(name, src); err != nil {
			return nil, err
		}
	}
	for _, d := range docs {
		if err := checkDuplicates(name, d); err != nil {
			return nil, err
		}
	}
	f.docs, f.scanned = docs, ok
	return f, nil
}

// newFile is the file of src, not parsed: its line breaks and the lines
// index makes (from start, past a BOM), refused when src is over MaxSize.
func newFile(name string, src []byte, index func(src []byte, start int) []int) (*file, int, error) {
	if len(src) > MaxSize {
		return nil, 0, &ParseError{File: name, Err: fmt.Errorf("%d bytes is more than the %d rewrite accepts", len(src), MaxSize)}
	}
	f := &file{name: name, src: src, eol: "\n"}
	start := 0
	if bytes.HasPrefix(src, bom) {
		start = len(bom)
	}
	f.lines = index(src, start)
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		f.eol = "\r\n"
	}
	return f, start, nil
}

// lineIndex is the offset where each line starts, the first at start.
func lineIndex(src []byte, start int) []int {
	lines := make([]int, 1, 1+bytes.Count(src, []byte("\n")))
	lines[0] = start
	for i := start; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return lines
		}
		i += j + 1
		lines = append(lines, i)
	}
}

// decode parses src with yaml.v3, the reference parser, for what scan does
// not take. Comments are dropped, as scan drops them: rewrite keeps them in
// the bytes, and nodes from either path should look the same.
func decode(name string, src []byte) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		doc := new(yaml.Node)
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, parseError(name, err)
		}
		dropComments(doc)
		docs = append(docs, doc)
	}
}

func dropComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		dropComments(c)
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseError(name string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{File: name, Line: line, Err: errors.New(m[2])}
	}
	return &ParseError{File: name, Err: err}
}

func checkDuplicates(name string, n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var seen map[string]int // for large mappings; small ones compare keys pairwise
		if len(n.Content) > 16 {
			seen = make(map[string]int, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			first, dup := seen[k.Value]
			for j := 0; seen == nil && j < i && !dup; j += 2 {
				if c := n.Content[j]; c.Kind == yaml.ScalarNode && c.Value == k.Value {
					first, dup = c.Line, true
				}
			}
			if dup {
				return &ParseError{File: name, Line: k.Line, Err: fmt.Errorf("duplicate key %q (first on line %d)", k.Value, first)}
			}
			if seen != nil {
				seen[k.Value] = k.Line
			}
		}
	}
	for _, c := range n.Content {
		if err := checkDuplicates(name, c); err != nil {
			return err
		}
	}
	return nil
}

// numLines is the number of lines; a final line without a line break counts.
func (f *file) numLines() int {
	if f.lines[len(f.lines)-1] == len(f.src) {
		return len(f.lines) - 1
	}
	return len(f.lines)
}

// lineStart is the offset of line l (1-based).
func (f *file) lineStart(l int) int {
	if l > len(f.lines) {
		return len(f.src)
	}
	return f.lines[l-1]
}

// lineNext is the offset just after line l's line break.
func (f *file) lineNext(l int) int {
	if l >= len(f.lines) {
		return len(f.src)
	}
	return f.lines[l]
}

// lineEnd is the offset of line l's line break (or the end of the file).
func (f *file) lineEnd(l int) int {
	e := f.lineNext(l)
	if e > f.lineStart(l) && f.src[e-1] == '\n' {
		e--
		if e > f.lineStart(l) && f.src[e-1] == '\r' {
			e--
		}
	}
	return e
}

func (f *file) line(l int) []byte { return f.src[f.lineStart(l):f.lineEnd(l)] }

// hasEOL reports whether line l ends with a line break.
func (f *file) hasEOL(l int) bool { return f.lineEnd(l) < f.lineNext(l) }

// eolOf is the line break of line l, or the file's usual one.
func (f *file) eolOf(l int) string {
	if f.hasEOL(l) {
		return string(f.src[f.lineEnd(l):f.lineNext(l)])
	}
	return f.eol
}

func (f *file) blank(l int) bool { return len(bytes.TrimSpace(f.line(l))) == 0 }

// indent is the number of leading spaces of line l.
func (f *file) indent(l int) int {
	b := f.line(l)
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

func (f *file) comment(l int) bool {
	b := f.line(l)
	i := f.indent(l)
	return i < len(b) && b[i] == '#'
}

// docMarker reports whether line l is a "---" or "..." document marker.
func (f *file) docMarker(l int) bool { return docMarker(f.line(l)) }

// docMarker reports whether line, with or without its line break, is a
// "---" or "..." document marker.
func docMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) && !bytes.HasPrefix(line, []byte("...")) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r'
}

// offset converts a yaml.v3 position (1-based line, 1-based column counted
// in runes) to a byte offset.
func (f *file) offset(line, col int) int {
	off := f.lineStart(line)
	end := f.lineEnd(line)
	for c := 1; c < col && off < end; c++ {
		_, size := utf8.DecodeRune(f.src[off:end])
		off += size
	}
	return off
}

func (f *file) pos(n *yaml.Node) int { return f.offset(n.Line, n.Column) }

// lineOf is the 1-based line holding offset off.
func (f *file) lineOf(off int) int {
	lo, hi := 0, len(f.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1
}

// startsLine reports whether only spaces precede offset off on its line.
func (f *file) startsLine(off int) bool {
	l := f.lineOf(off)
	return off-f.lineStart(l) == f.indent(l)
}

// Parse parses src as Apply does, with the same checks (size, UTF-8,
// duplicate keys), and returns its documents, for callers that read a
// file they may later edit: one parse, and the same refusals either way.
// The nodes carry kinds, tags, styles, values, anchors and positions as
// yaml.v3 sets them, but no comments: rewrite keeps those in the bytes.
func Parse(name string, src []byte) ([]*yaml.Node, error) {
	f, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	return f.docs, nil
}

// Get walks mapping keys from n, as in a node Parse returned; nil when n
// is nil, not a mapping, or lacks a key. The last of duplicate keys wins,
// though Parse refuses them.
func Get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// Scalar is the value of scalar node n; "" for nil or another kind.
func Scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
