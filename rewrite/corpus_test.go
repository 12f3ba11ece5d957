package rewrite

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// corpusFiles returns the YAML files under $FERRY_CORPUS, real deployment
// repos byte for byte, or skips the test.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	dir := os.Getenv("FERRY_CORPUS")
	if dir == "" {
		t.Skip("FERRY_CORPUS is not set; skipping the corpus tests")
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no YAML files in %s", dir)
	}
	return files
}

// walkPaths calls fn with the path of every node below the document roots,
// and the node's parent.
func walkPaths(f *file, fn func(p Path, n, parent *yaml.Node)) {
	var walk func(p Path, n *yaml.Node)
	walk = func(p Path, n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue
				}
				q := p.Child(Key(k.Value))
				fn(q, n.Content[i+1], n)
				walk(q, n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				q := p.Child(Index(i))
				fn(q, c, n)
				walk(q, c)
			}
		}
	}
	for i, d := range f.docs {
		if len(d.Content) > 0 {
			walk(Path{Doc: i}, d.Content[0])
		}
	}
}

func TestCorpusNoOp(t *testing.T) {
	files := corpusFiles(t)
	parsed, notYAML := 0, 0
	for name, src := range files {
		out, res, err := Apply(name, src)
		var pe *ParseError
		if errors.As(err, &pe) {
			notYAML++
			t.Logf("not YAML (refused with a ParseError): %v", err)
			continue
		}
		if err != nil || !bytes.Equal(out, src) || len(res) != 0 {
			t.Errorf("Apply(%s) with no edits changed the file (err %v)", name, err)
		}
		parsed++
	}
	t.Logf("corpus: %d files, %d unchanged by a no-op, %d refused as not YAML", len(files), parsed, notYAML)
}

// rawItem is the text of sequence item idx as Insert's Raw takes it: its
// attached comments, then its value as if its first character were at
// column 0.
func rawItem(p *planner, seq *yaml.Node, idx int) (string, bool) {
	ext, ok := p.extent(seq, idx)
	if !ok || ext.inline {
		return "", false
	}
	f := p.f
	dashLine := f.lineOf(ext.start)
	content := p.f.pos(seq.Content[idx])
	pad := content - ext.start
	if f.lineOf(content) != dashLine {
		return "", false
	}
	var lines []string
	for l := ext.first; l < dashLine; l++ {
		lines = append(lines, string(f.line(l))[ext.col:])
	}
	lines = append(lines, string(f.src[content:f.lineEnd(dashLine)]))
	for l := dashLine + 1; l <= ext.last; l++ {
		s := string(f.line(l))
		if len(s) >= ext.col+pad && strings.TrimSpace(s[:ext.col+pad]) == "" {
			s = s[ext.col+pad:]
		} else if strings.TrimSpace(s) != "" {
			return "", false
		} else {
			s = ""
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n"), true
}

// corpusBudget bounds the bytes one file's walk may edit, counted as the
// file's size for each node it visits (a scalar costs three edits of the
// file, an item two): every node of a small file is edited, an evenly
// spaced sample of a large one (a CRD of 1 MB gets 16 nodes, not its
// 20,000), so a corpus of such files is tested in minutes, not hours.
const corpusBudget = 16 << 20

// walkSample is walkPaths over the nodes a file of size bytes can afford
// under corpusBudget, at least 8, spread over the whole file.
func walkSample(f *file, size int, fn func(p Path, n, parent *yaml.Node)) {
	total := 0
	walkPaths(f, func(Path, *yaml.Node, *yaml.Node) { total++ })
	limit := max(8, corpusBudget/max(size, 1))
	stride := max(1, (total+limit-1)/limit)
	i := 0
	walkPaths(f, func(p Path, n, parent *yaml.Node) {
		if i%stride == 0 {
			fn(p, n, parent)
		}
		i++
	})
}

func TestCorpusDeleteInsertItem(t *testing.T) {
	files := corpusFiles(t)
	var items, same, guessed, refused int
	for name, src := range files {
		f, err := parse(name, src)
		if err != nil {
			continue
		}
		p := newPlanner(f)
		walkSample(f, len(src), func(path Path, n, parent *yaml.Node) {
			if parent.Kind != yaml.SequenceNode || parent.Style&yaml.FlowStyle != 0 {
				return
			}
			items++
			idx := path.Steps[len(path.Steps)-1].index
			raw, ok := rawItem(p, parent, idx)
			if !ok {
				refused++
				t.Logf("%s: %s: no raw text for the item", name, path)
				return
			}
			deleted, _, err := Apply(name, src, Delete{Path: path})
			if err != nil {
				refused++
				t.Logf("%s: delete %s: %v", name, path, err)
				return
			}
			ins := Insert{Path: Path{Doc: path.Doc, Steps: path.Steps[:len(path.Steps)-1]}, Raw: raw}
			if idx < len(parent.Content)-1 {
				ins.Before = Index(idx)
			}
			back, _, err := Apply(name, deleted, ins)
			if err != nil {
				refused++
				t.Logf("%s: insert %s: %v", name, path, err)
				return
			}
			if !bytes.Equal(back, src) {
				// Some layout is lost with the item: the dash style of a
				// list emptied to [] (refilling takes it from the nearest
				// relatives, and files mix styles), or the side of a lone
				// blank line in an otherwise tight list. There the guess
				// may differ, in whitespace only, never in content.
				if whitespaceOnly(src, back) {
					guessed++
					t.Logf("%s: %s re-inserted with other whitespace:\n%s", name, path, lineDiff(src, back))
					return
				}
				t.Errorf("%s: deleting and re-inserting %s changed the file:\n%s", name, path, lineDiff(src, back))
				return
			}
			same++
		})
	}
	t.Logf("corpus: %d block sequence items; %d deleted and re-inserted byte for byte; %d re-inserted with other whitespace where the layout left with the item; %d refused", items, same, guessed, refused)
}

func TestCorpusSetScalars(t *testing.T) {
	files := corpusFiles(t)
	var scalars, same, roundTrip, refused int
	for name, src := range files {
		f, err := parse(name, src)
		if err != nil {
			continue
		}
		walkSample(f, len(src), func(path Path, n, parent *yaml.Node) {
			if n.Kind != yaml.ScalarNode {
				return
			}
			scalars++
			out, _, err := Apply(name, src, Set{Path: path, Value: n.Value})
			if err != nil || !bytes.Equal(out, src) {
				t.Errorf("%s: setting %s to its own value: err %v, changed %v", name, path, err, !bytes.Equal(out, src))
				return
			}
			same++
			// The render path: away to another value of the same type and back.
			other := "ferry-probe"
			switch n.ShortTag() {
			case "!!int", "!!float":
				other = "12345"
			case "!!bool":
				other = map[bool]string{true: "false", false: "true"}[strings.EqualFold(n.Value, "true")]
			case "!!null":
				return
			}
			away, _, err := Apply(name, src, Set{Path: path, Value: other, AllAliases: true})
			if err != nil {
				refused++
				return
			}
			back, _, err := Apply(name, away, Set{Path: path, Value: n.Value, AllAliases: true})
			if err != nil {
				t.Errorf("%s: setting %s back: %v", name, path, err)
				return
			}
			if !bytes.Equal(back, src) {
				t.Errorf("%s: setting %s away and back changed the file:\n%s", name, path, lineDiff(src, back))
				return
			}
			roundTrip++
		})
	}
	t.Logf("corpus: %d scalars; %d set to their own value byte for byte; %d set away and back byte for byte; %d refused (block scalars, multi-line plain, templates)", scalars, same, roundTrip, refused)
}

// whitespaceOnly reports whether a and b differ only in indentation and
// blank lines, and parse to the same tree.
func whitespaceOnly(a, b []byte) bool {
	squeeze := func(x []byte) []byte {
		var out []byte
		for _, l := range bytes.Split(x, []byte("\n")) {
			if t := bytes.TrimSpace(l); len(t) > 0 {
				out = append(append(out, t...), '\n')
			}
		}
		return out
	}
	if !bytes.Equal(squeeze(a), squeeze(b)) {
		return false
	}
	fa, err1 := parse("a", a)
	fb, err2 := parse("b", b)
	if err1 != nil || err2 != nil || len(fa.docs) != len(fb.docs) {
		return false
	}
	for i := range fa.docs {
		if _, d := compare(fa.docs[i], fb.docs[i], ""); d != "" {
			return false
		}
	}
	return true
}

// lineDiff shows the lines of a and b that differ, for failure messages.
func lineDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out strings.Builder
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out.WriteString("-" + x + "\n+" + y + "\n")
			if out.Len() > 2000 {
				break
			}
		}
	}
	return out.String()
}

// TestCorpusComments adds a pin marker to every file of the corpus and
// removes it again: the marker is the only line added, every byte from the
// first content on is the input's (compared here in full, where the edit
// proves it from where its splices fall), and removing it gives the file
// back byte for byte.
func TestCorpusComments(t *testing.T) {
	files := corpusFiles(t)
	const marker = "# ferry: pinned-by=corpus"
	edited := 0
	for name, src := range files {
		out, _, err := Apply(name, src, AddComment{Text: marker})
		var pe *ParseError
		if errors.As(err, &pe) {
			continue // not YAML; TestCorpusNoOp counts these
		}
		if err != nil {
			t.Errorf("AddComment(%s): %v", name, err)
			continue
		}
		rest := src[len(src)-len(bytes.TrimPrefix(src, bom)):]
		rest = rest[headLen(rest):]
		if !bytes.HasSuffix(out, rest) || !bytes.Contains(out[:len(out)-len(rest)], []byte(marker)) {
			t.Errorf("AddComment(%s) changed more than the comment block:\n%s", name, lineDiff(src, out))
			continue
		}
		back, _, err := Apply(name, out, RemoveComment{Text: marker})
		if err != nil || !bytes.Equal(back, src) {
			t.Errorf("RemoveComment(%s) after AddComment did not give the file back (err %v):\n%s", name, err, lineDiff(src, back))
		}
		edited++
	}
	if edited == 0 {
		t.Fatal("no corpus file took a comment edit")
	}
	t.Logf("corpus: %d of %d files pinned and unpinned", edited, len(files))
}
