package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// padding is text after a file's own that reads as more top-level
// entries, with what a head's reader must not be fooled by: "key: value"
// text inside quoted, block and flow scalars, and an indentless sequence.
func padding(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "zz-pad-%d:\n  text: |\n    metadata: not a key\n  quoted: \"kind: no\"\n  flow: {a: 1, b: [x, y]}\n  list:\n  - name: x\nzz-items-%d:\n- a\n- b\n", i, i)
	}
	return b.String()
}

// checkHead applies edits to src the head's way and the general way and
// fails when they differ: when the head's way edits, the general way must
// make the same bytes, or refuse for a reason after the cut (what the head
// does not read).
func checkHead(t *testing.T, name string, src []byte, edits ...Edit) (took bool) {
	t.Helper()
	head, _, ok := applyHead(name, src, edits, nil)
	whole, _, err := applyParsed(name, src, edits, nil)
	if !ok {
		return false
	}
	if err != nil {
		var pe *ParseError
		keys := map[string]bool{}
		for _, e := range edits {
			keys[e.(Set).Path.Steps[0].key] = true
		}
		cutLine := bytes.Count(src[:max(headCut(src, keys), 0)], []byte("\n")) + 1
		if !errors.As(err, &pe) || pe.Line < cutLine {
			t.Errorf("%s %v: the head's way edits, the whole file's refuses before the cut (line %d): %v", name, edits, cutLine, err)
		}
		return true
	}
	if !bytes.Equal(head, whole) {
		t.Errorf("%s %v: the head's way made\n%s\nthe whole file's\n%s", name, edits, head, whole)
	}
	return true
}

// TestHeadMatchesWhole sets every scalar of every golden input, and of
// each input with padding after it, both ways: the head's way must edit
// exactly as the general way, or leave the edit to it.
func TestHeadMatchesWhole(t *testing.T) {
	pad := padding(3)
	tried, took := 0, 0
	for _, c := range loadCases(t) {
		for name, in := range c.inputs {
			srcs := [][]byte{in}
			if bytes.HasSuffix(in, []byte("\n")) {
				srcs = append(srcs, append(bytes.Clone(in), pad...))
			}
			for _, src := range srcs {
				f, err := parse(name, src)
				if err != nil {
					continue
				}
				walkPaths(f, func(p Path, n, _ *yaml.Node) {
					if n.Kind != yaml.ScalarNode || p.Doc != 0 {
						return
					}
					tried++
					if checkHead(t, c.name+"/"+name, src, Set{Path: p, Value: "ferry-7"}) {
						took++
					}
				})
			}
		}
	}
	t.Logf("%d Sets, %d taken the head's way", tried, took)
	if took == 0 {
		t.Fatal("no Set was taken the head's way")
	}
}

// TestHeadDeclines lists files where reading the head alone would be
// wrong: the head's way must leave each to the general way, which
// refuses it or edits it as the whole file says.
func TestHeadDeclines(t *testing.T) {
	pad := padding(2)
	x := Path{Steps: []Step{Key("x")}}
	byName := Path{Kind: "ConfigMap", Name: "c", Steps: []Step{Key("data"), Key("x")}}
	for _, c := range []struct {
		name, src string
		path      Path
		want      error // the general way's, nil when it edits
	}{
		{"a quoted scalar goes on at column 0", "x: \"one\ny: 1\"\n" + pad, x, nil},
		{"a flow collection goes on at column 0", "m:\n  x: 1\n  c: [a,\ny: 2]\n" + pad, Path{Steps: []Step{Key("m"), Key("x")}}, nil},
		{"the key again after the cut", "x: 1\ny: 2\n" + pad + "x: 3\n", x, nil},
		{"a quoted key after the cut", "x: 1\ny: 2\n" + pad + "\"x\": 3\n", x, nil},
		{"an alias after the cut of an anchor in the head", "x: &a 1\ny: 2\n" + pad + "z: *a\n", x, ErrAnchored},
		{"a second document with the same kind and name", "kind: ConfigMap\nmetadata: {name: c}\ndata: {x: \"1\"}\ny: 2\n" + pad + "---\nkind: ConfigMap\nmetadata: {name: c}\n", byName, ErrAmbiguous},
		{"a directive", "%YAML 1.2\n---\nx: 1\ny: 2\n" + pad, x, nil},
		{"a document end", "x: 1\n...\n---\nx: 2\ny: 1\n" + pad, x, nil},
		{"a root at column 3", "--- x: 1\ny: 2\n" + pad, x, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(c.src)
			if _, _, ok := applyHead("x.yaml", src, []Edit{Set{Path: c.path, Value: "9"}}, nil); ok {
				t.Errorf("the head's way took it")
			}
			_, _, err := applyParsed("x.yaml", src, []Edit{Set{Path: c.path, Value: "9"}}, nil)
			if c.want == nil && err == nil {
				return
			}
			var pe *ParseError
			if c.want == nil && errors.As(err, &pe) {
				return // refused: a duplicate key, a quoted scalar with a key in it
			}
			if !errors.Is(err, c.want) {
				t.Errorf("the general way: %v, want %v", err, c.want)
			}
		})
	}
}

// TestHeadTakesLargeFiles is the head's way on the files it is for: the
// benchmark's CRD, with CRLF line breaks, a BOM (left to the general way)
// and a leading document marker, by index and by kind and name.
func TestHeadTakesLargeFiles(t *testing.T) {
	big := crd(200 << 10)
	annotation := []Step{Key("metadata"), Key("annotations"), Key("controller-gen.kubebuilder.io/version")}
	for _, c := range []struct {
		name string
		src  []byte
		path Path
		take bool
	}{
		{"crd", big, Path{Steps: annotation}, true},
		{"crd by kind and name", big, Path{Kind: "CustomResourceDefinition", Name: "widgets.example.com", Steps: annotation}, true},
		{"crd after ---", append([]byte("# vendored\n---\n"), big...), Path{Steps: annotation}, true},
		{"crd with CRLF", bytes.ReplaceAll(big, []byte("\n"), []byte("\r\n")), Path{Steps: annotation}, true},
		{"crd with a BOM", append(bytes.Clone(bom), big...), Path{Steps: annotation}, false},
		{"crd, last key", big, Path{Steps: []Step{Key("spec"), Key("scope")}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if took := checkHead(t, c.name, c.src, Set{Path: c.path, Value: "v9"}); took != c.take {
				t.Errorf("taken the head's way: %v, want %v", took, c.take)
			}
			out, res, err := Apply(c.name, c.src, Set{Path: c.path, Value: "v9"})
			if err != nil || len(res) != 1 || !bytes.Contains(out, []byte("v9")) || len(out) != len(c.src)-len("v0.16.1")+2 && c.path.Steps[0].key == "metadata" {
				t.Errorf("Apply: %d bytes, %v, %v", len(out), res, err)
			}
		})
	}
}

// FuzzHead is TestHeadMatchesWhole on any input: a Set of any scalar of
// the first document, the head's way against the whole file's.
func FuzzHead(f *testing.F) {
	pad := padding(1)
	for _, c := range loadCases(f) {
		for _, in := range c.inputs {
			f.Add(in, uint16(0), "9")
			f.Add(append(bytes.Clone(in), pad...), uint16(1), "x: y")
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint16, value string) {
		if len(src) > 4096 {
			return
		}
		in, err := parse("f.yaml", src)
		if err != nil {
			return
		}
		var paths []Path
		walkPaths(in, func(p Path, n, _ *yaml.Node) {
			if n.Kind == yaml.ScalarNode && p.Doc == 0 {
				paths = append(paths, p)
			}
		})
		if len(paths) > 0 {
			checkHead(t, "f.yaml", src, Set{Path: paths[int(pick)%len(paths)], Value: value})
		}
	})
}

// TestCorpusHead is TestHeadMatchesWhole on the real repos' files.
func TestCorpusHead(t *testing.T) {
	pad := padding(2)
	tried, took := 0, 0
	for name, in := range corpusFiles(t) {
		for _, src := range [][]byte{in, append(bytes.Clone(in), pad...)} {
			f, err := parse(name, src)
			if err != nil {
				continue
			}
			walkPaths(f, func(p Path, n, _ *yaml.Node) {
				if n.Kind == yaml.ScalarNode && p.Doc == 0 {
					tried++
					if checkHead(t, name, src, Set{Path: p, Value: "ferry-7"}) {
						took++
					}
				}
			})
		}
	}
	t.Logf("corpus: %d Sets, %d taken the head's way", tried, took)
}
