package rewrite

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// agree parses src with scan and with yaml.v3. It reports whether scan took
// the stream, and fails the test where scan took it and the two disagree.
func agree(t testing.TB, name string, src []byte) bool {
	t.Helper()
	docs, ok := scan(src, lineIndex(src, 0), nil)
	if !ok {
		return false
	}
	ref, err := decode(name, src)
	if err != nil {
		t.Errorf("%s: scan took a stream yaml.v3 refuses (%v):\n%s", name, err, src)
		return true
	}
	if len(docs) != len(ref) {
		t.Errorf("%s: scan read %d documents, yaml.v3 %d:\n%s", name, len(docs), len(ref), src)
		return true
	}
	for i := range ref {
		if d := sameNode(ref[i], docs[i], fmt.Sprintf("doc %d", i)); d != "" {
			t.Errorf("%s: %s\n%s", name, d, src)
			return true
		}
	}
	// Checking instead of building: the stream matches its own tree, and no
	// longer matches once one scalar of the tree differs.
	if !matches(src, ref, nil) {
		t.Errorf("%s: scan checking against yaml.v3's tree found a difference:\n%s", name, src)
	}
	var last *yaml.Node
	for _, d := range ref {
		walkNodes(d, func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode {
				last = n
			}
		})
	}
	if last != nil && matches(src, ref, map[*yaml.Node]scalar{last: {tag: last.ShortTag(), value: last.Value + "x"}}) {
		t.Errorf("%s: scan checking found no difference with %q changed:\n%s", name, last.Value, src)
	}
	return true
}

func walkNodes(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	for _, c := range n.Content {
		walkNodes(c, f)
	}
}

// sameNode compares what parse keeps of a node: everything but comments.
func sameNode(want, got *yaml.Node, at string) string {
	w := fmt.Sprintf("%v %s %v %q &%s @%d:%d", want.Kind, want.Tag, want.Style, want.Value, want.Anchor, want.Line, want.Column)
	g := fmt.Sprintf("%v %s %v %q &%s @%d:%d", got.Kind, got.Tag, got.Style, got.Value, got.Anchor, got.Line, got.Column)
	if w != g {
		return fmt.Sprintf("%s: scan has %s, yaml.v3 %s", at, g, w)
	}
	if len(want.Content) != len(got.Content) {
		return fmt.Sprintf("%s: scan has %d children, yaml.v3 %d", at, len(got.Content), len(want.Content))
	}
	for i := range want.Content {
		if d := sameNode(want.Content[i], got.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// scanCases are streams in the shapes deployment repos use, which scan must
// take (and agree on), and shapes it must leave to yaml.v3.
var scanCases = []struct {
	src  string
	fast bool
}{
	{string(httpRoute(1)), true},
	{"a: 1\nb: two\nc: \"3\"\nd: '4'\ne:\nf: ~\ng: true\nh: 1.5\ni: 2001-12-14\n", true},
	{"apiVersion: v1\r\nkind: ConfigMap\r\ndata:\r\n  k: v\r\n", true},
	{"---\na: 1\n---\nb: 2\n...\n---\nc: [x, \"y\", 'z z']\n", true},
	{"# yaml-language-server: $schema=x.json\n# head\n\nkind: A # line\n\n# foot\n", true},
	{"a: 1\n---\n", true},
	{"---\n---\na: 1\n", true},
	{"items:\n- a\n-\n- - nested\n", false},
	{"items:\n- name: a\n  port: 1\n-   name: b\n    port: 2\n- # empty\n- c\n", true},
	{"m:\n  - x\n  - y: 1\n    z:\n      - 2\nn: {}\no: []\np: { }\n", true},
	{"s: |\n  line one\n\n  line three\n    indented\nt: |-\n  x\nu: >\n  folded\n  text\n\n  para\nv: |+\n  keep\n\nw: 1\n", true},
	{"s: |\n  no final newline", true},
	{"url: http://example.com:8080/a#b\nq: 'it''s'\nd: \"a\\\"b\\\\c\\n\"\ne: a:b\nk y: z\n\"quoted key\": 1\n'single': 2\n", true},
	{"ünïcode: \"ü\"\nkey: välue # ç\nlist: [ä, ö]\n", true},
	{"a: &anchor 1\nb: *anchor\n", false},
	{"a: !tag x\n", false},
	{"a:\tb\n", false},
	{"%YAML 1.2\n---\na: 1\n", false},
	{"a: multi\n  line\n", false},
	{"a: \"multi\n  line\"\n", false},
	{"a: [x,\n  y]\n", false},
	{"s: {app: x}\np: [{name: grpc, port: 8001, targetPort: grpc}]\nr: {name: cpu, target: {type: U, n: 65}}\ne: {}\nq: {\"k\": 'v', k2: [a, b]}\n", true},
	{"a: {x: 1,}\n", false},
	{"a: {x}\n", false},
	{"a: {x: }\n", false},
	{"a: {url: http://x}\n", false},
	{"a: [x: 1]\n", false},
	{"just a scalar\n", false},
	{"a: b: c\n", false},
	{"a:\n  b: 1\n c: 2\n", false},
	{"? complex\n: key\n", false},
	{"<<: {a: 1}\n", false},
	{"a: \"\\u00e9\"\n", false},
	{"a: >\n  x\n    more\n  y\n", false},
	{"a: |2\n   x\n", false},
	{"\ufeffa: 1\n", false},
}

func TestScanCases(t *testing.T) {
	for i, c := range scanCases {
		if got := agree(t, fmt.Sprintf("case %d", i), []byte(c.src)); got != c.fast {
			t.Errorf("case %d: scan took it: %v, want %v:\n%s", i, got, c.fast, c.src)
		}
	}
}

// TestScanGolden compares scan with yaml.v3 on every input and output of
// the golden cases, and on each with CRLF line breaks.
func TestScanGolden(t *testing.T) {
	streams, fast := 0, 0
	for _, src := range goldenStreams(t) {
		for _, s := range [][]byte{src, bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))} {
			streams++
			if agree(t, "golden", s) {
				fast++
			}
		}
	}
	t.Logf("%d streams, %d taken by scan", streams, fast)
}

func goldenStreams(t testing.TB) [][]byte {
	var out [][]byte
	for _, c := range loadCases(t) {
		for _, in := range c.inputs {
			out = append(out, in)
		}
		for name, want := range c.want {
			if name != "error" {
				out = append(out, want)
			}
		}
	}
	return out
}

func TestCorpusScan(t *testing.T) {
	files := corpusFiles(t)
	fast := 0
	for name, src := range files {
		if agree(t, name, src) {
			fast++
		}
	}
	t.Logf("corpus: %d files, %d taken by scan, the rest parsed by yaml.v3", len(files), fast)
}

// FuzzScan: wherever scan takes a stream, yaml.v3 reads the same documents.
func FuzzScan(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c.src))
	}
	for _, src := range goldenStreams(f) {
		f.Add(src)
	}
	if dir := os.Getenv("FERRY_CORPUS"); dir != "" {
		for _, src := range corpusFiles(f) {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		agree(t, "fuzz", src)
	})
}

func BenchmarkScan(b *testing.B) {
	src := httpRoute(1)
	lines := lineIndex(src, 0)
	for _, pooled := range []bool{false, true} {
		b.Run(map[bool]string{false: "alloc", true: "arena"}[pooled], func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				var a *arena
				if pooled {
					a = getArena()
				}
				if _, ok := scan(src, lines, a); !ok {
					b.Fatal("scan did not take the HTTPRoute")
				}
				if a != nil {
					a.release()
				}
			}
		})
	}
}

// FuzzPlainTag: plainTag's short cuts give yaml.v3's own resolution.
func FuzzPlainTag(f *testing.F) {
	for _, s := range []string{"", "a", "true", "True", "TRUE", "tRUE", "null", "NULL", "Null", "nULL", "yes", "on", "0", "00", "08", "010", "1", "123456789012345678", "1234567890123456789", "99999999999999999999", "1_000", "1e3", "0x1F", "-1", "+1", ".5", "2001-12-14", "1:30", "~", "<<", "n", "y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if got, want := plainTag(s), n.ShortTag(); got != want {
			t.Errorf("plainTag(%q) = %s, yaml.v3 resolves %s", s, got, want)
		}
	})
}
