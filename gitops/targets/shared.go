package targets

import (
	"bytes"
	"fmt"

	"github.com/ferry-dev/ferry/rewrite"
)

// Shared is the shape of a file per cluster that holds the registrations
// of many workloads as documents of one stream: a Flux hub's
// hub/<cluster>.yaml, an Argo CD cluster folder's apps.yaml. A workload's
// registration is the document of Kind whose metadata.name is the name
// asked for; the file's other documents (a Namespace, other workloads')
// are left as they are.
type Shared struct {
	PerPair
}

// A span is one document of a stream, by byte offsets: from the start of
// its "---" line (or of the file) to the start of the next one.
type span struct{ start, end int }

// spans cuts src into its documents at "---" lines. A "---" line inside a
// block scalar would have to be indented, so a line starting with "---"
// and then nothing, a space or a comment is always a separator.
func spans(src []byte) []span {
	var out []span
	start := 0
	for off := 0; off < len(src); {
		next := len(src)
		if end := bytes.IndexByte(src[off:], '\n'); end >= 0 {
			next = off + end + 1
		}
		l := bytes.TrimRight(src[off:next], "\r\n")
		if off > 0 && bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '#') {
			out = append(out, span{start: start, end: off})
			start = off
		}
		off = next
	}
	return append(out, span{start: start, end: len(src)})
}

// find returns the span of the document of s's kind named name, with the
// document, or ok false when there is none.
func (s Shared) find(file string, src []byte, name string) (span, document, bool, error) {
	docs, err := s.registrations(file, src)
	if err != nil {
		return span{}, document{}, false, err
	}
	sp := spans(src)
	for _, d := range docs {
		if rewrite.Scalar(rewrite.Get(d.root, "metadata", "name")) != name {
			continue
		}
		for _, x := range sp {
			first, next := lineAt(src, x.start), lineAt(src, x.end)
			if line := d.root.Line; line >= first && (x.end == len(src) || line < next) {
				return x, d, true, nil
			}
		}
		return span{}, document{}, false, fmt.Errorf("%s:%d: %w: cannot tell where the document of %s ends", file, d.root.Line, ErrAmbiguous, name)
	}
	return span{}, document{}, false, nil
}

// lineAt is the line number of byte offset off.
func lineAt(src []byte, off int) int { return bytes.Count(src[:off], []byte("\n")) + 1 }

// Line returns the line of the metadata.name of the registration named
// name in src, or 0 when the file has none. A file without any
// registration of s's kind is ErrWrongKind.
func (s Shared) Line(file string, src []byte, name string) (int, error) {
	_, d, ok, err := s.find(file, src, name)
	if !ok {
		return 0, err
	}
	if k := keyOf(rewrite.Get(d.root, "metadata"), "name"); k != nil {
		return k.Line, nil
	}
	return d.root.Line, nil
}

// Document returns the text of the registration named name, with the
// comments above it and without its "---" line: what Add derives from.
func (s Shared) Document(file string, src []byte, name string) ([]byte, error) {
	x, _, ok, err := s.find(file, src, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w: no %s named %s", file, ErrNotRegistered, s.Kind, name)
	}
	doc := src[x.start:x.end]
	if x.start > 0 || bytes.HasPrefix(doc, []byte("---")) {
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			doc = doc[i+1:]
		}
	}
	return doc, nil
}

// Add appends doc, a registration derived from another's, to src as a
// document of its own. dst is nil when the file does not exist yet.
func (s Shared) Add(file string, dst, doc []byte, name string) ([]byte, error) {
	if _, _, ok, err := s.find(file, doc, name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%s: %w: the derived document is not named %s", file, ErrSubst, name)
		}
		return nil, err
	}
	if dst == nil {
		return doc, nil
	}
	if _, _, ok, err := s.findAny(file, dst, name); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("%s: %w: %s", file, ErrRegistered, name)
	}
	crlf := bytes.Contains(dst, []byte("\r\n"))
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	out := bytes.Clone(dst)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, nl...)
	}
	out = append(out, "---"+nl...)
	if crlf && !bytes.Contains(doc, []byte("\r\n")) {
		doc = bytes.ReplaceAll(doc, []byte("\n"), []byte("\r\n"))
	}
	return append(out, doc...), nil
}

// findAny is find on a file that may hold no registration of s's kind
// yet (a Namespace alone).
func (s Shared) findAny(file string, src []byte, name string) (span, document, bool, error) {
	if _, err := s.registrations(file, src); err != nil {
		if _, perr := parse(file, src); perr != nil {
			return span{}, document{}, false, perr
		}
		return span{}, document{}, false, nil
	}
	return s.find(file, src, name)
}

// Remove deletes the registration named name from src, with its "---"
// line and the comments above it. empty reports that no document is left,
// only comments and blank lines: the file can go.
func (s Shared) Remove(file string, src []byte, name string) (out []byte, empty bool, err error) {
	x, _, ok, err := s.find(file, src, name)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, fmt.Errorf("%s: %w: no %s named %s", file, ErrNotRegistered, s.Kind, name)
	}
	start, end := x.start, x.end
	if start == 0 && end < len(src) {
		// The first document goes with the separator of the next, whose
		// document then opens the file as the first did.
		if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
			end += i + 1
		}
		if bytes.HasPrefix(src, []byte("---")) {
			end = x.end // the file opened with a separator: keep the next one
		}
	}
	out = append(bytes.Clone(src[:start]), src[end:]...)
	docs, err := parse(file, out)
	if err != nil {
		return nil, false, fmt.Errorf("%s: removing %s: %w", file, name, err)
	}
	return out, len(docs) == 0, nil
}

// Removal says what removing the registration named name deletes on the
// cluster.
func (s Shared) Removal(file string, src []byte, name string) (Removal, error) {
	doc, err := s.Document(file, src, name)
	if err != nil {
		return Removal{}, err
	}
	return s.PerPair.Removal(file, doc)
}
