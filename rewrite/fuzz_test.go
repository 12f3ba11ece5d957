package rewrite

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzEdit applies a random edit to random YAML. A refusal is fine; a
// result must hold both invariants, checked here independently of the
// engine: the result parses to the input tree with the edit applied, and
// every line that changed lies in a planned span.
func FuzzEdit(f *testing.F) {
	for _, c := range loadCases(f) {
		for _, in := range c.inputs {
			f.Add(in, uint16(0), uint8(0), "50")
			f.Add(in, uint16(3), uint8(1), "x")
			f.Add(in, uint16(7), uint8(2), "name: new\nport: 1")
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint16, op uint8, value string) {
		if len(src) > 4096 {
			return
		}
		in, err := parse("f.yaml", src)
		if err != nil {
			return
		}
		type target struct {
			path         Path
			node, parent *yaml.Node
		}
		var targets []target
		walkPaths(in, func(p Path, n, parent *yaml.Node) { targets = append(targets, target{p, n, parent}) })
		if len(targets) == 0 {
			return
		}
		tg := targets[int(pick)%len(targets)]
		var e Edit
		switch op % 4 {
		case 0:
			e = Set{Path: tg.path, Value: value, Tag: "!!str"}
		case 1:
			e = Delete{Path: tg.path}
		case 2:
			e = Insert{Path: tg.path, Key: "k" + strings.Map(keep, value), Raw: value}
			if tg.node.Kind == yaml.SequenceNode {
				e = Insert{Path: tg.path, Raw: value}
			}
		case 3:
			e = AddComment{Text: "# " + strings.Map(keep, value)}
		}
		out, p, err := apply("f.yaml", src, []Edit{e})
		// Apply, with its pooled nodes, does what apply does.
		if out2, _, err2 := Apply("f.yaml", src, e); (err == nil) != (err2 == nil) || !bytes.Equal(out, out2) {
			t.Fatalf("%v: Apply and apply differ: %v, %v\n%s\n%s", e, err, err2, out, out2)
		}
		if err != nil {
			return
		}

		// Invariant 1: the intended tree, built here by plain node surgery.
		want, _ := parseReference(src)
		var wt target
		walkPaths(want, func(p Path, n, parent *yaml.Node) {
			if p.String() == tg.path.String() {
				wt = target{p, n, parent}
			}
		})
		switch e := e.(type) {
		case Set:
			wt.node.Value, wt.node.Tag = e.Value, "!!str"
		case Delete:
			i := slices.Index(wt.parent.Content, wt.node)
			if wt.parent.Kind == yaml.MappingNode {
				wt.parent.Content = slices.Delete(wt.parent.Content, i-1, i+1)
			} else {
				wt.parent.Content = slices.Delete(wt.parent.Content, i, i+1)
			}
		case Insert:
			var v yaml.Node
			if err := yaml.Unmarshal([]byte(e.Raw), &v); err != nil || len(v.Content) != 1 {
				t.Fatalf("inserted %q, which is not one YAML value", e.Raw)
			}
			if e.Key != "" {
				wt.node.Kind, wt.node.Tag = yaml.MappingNode, "!!map"
				wt.node.Content = append(wt.node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Key}, v.Content[0])
			} else {
				wt.node.Kind, wt.node.Tag = yaml.SequenceNode, "!!seq"
				wt.node.Content = append(wt.node.Content, v.Content[0])
			}
		}
		got, err := parseReference(out)
		if err != nil {
			t.Fatalf("%v: result does not parse: %v\n%s", e, err, out)
		}
		if len(got.docs) != len(want.docs) {
			t.Fatalf("%v: %d documents, want %d", e, len(got.docs), len(want.docs))
		}
		for i := range want.docs {
			if at, d := compare(want.docs[i], got.docs[i], ""); d != "" {
				t.Fatalf("%v: at %s: %s\n--- in\n%s\n--- out\n%s", e, at, d, src, out)
			}
		}

		// Invariant 2: changed lines lie in the planned spans. The window of
		// changed input lines is what is left between the longest common
		// prefix and suffix of lines; it must lie inside the planned lines.
		if bytes.HasPrefix(src, bom) != bytes.HasPrefix(out, bom) {
			t.Fatalf("%v: the byte order mark was not kept", e)
		}
		if bytes.Equal(src, out) {
			return
		}
		lo, hi := 1<<30, 0
		for _, s := range p.splices {
			lo, hi = min(lo, s.first), max(hi, s.last)
		}
		windows := changedWindows(bytes.TrimPrefix(src, bom), bytes.TrimPrefix(out, bom))
		fits := false
		for _, w := range windows {
			first, last := w[0], w[1]
			if first <= last && first >= lo && last <= hi || first > last && last >= lo-1 && first <= hi+1 {
				fits = true
			}
		}
		if !fits {
			t.Fatalf("%v: changed lines %v, planned %d-%d\n--- in\n%s\n--- out\n%s", e, windows, lo, hi, src, out)
		}
	})
}

// changedWindows returns, for every split of a and b into a common prefix
// of lines, a changed middle and a longest common suffix, the 1-based lines
// of a in the middle. When only lines were added, last is first-1: the
// added lines go between them. Runs of equal lines make several splits.
func changedWindows(a, b []byte) [][2]int {
	al, bl := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	var out [][2]int
	for p := 0; ; p++ {
		s := 0
		for s < len(al)-p && s < len(bl)-p && bytes.Equal(al[len(al)-1-s], bl[len(bl)-1-s]) {
			s++
		}
		out = append(out, [2]int{p + 1, len(al) - s})
		if p >= len(al) || p >= len(bl) || !bytes.Equal(al[p], bl[p]) {
			return out
		}
	}
}

func keep(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r
	}
	return -1
}

// parseReference is parse with the documents read by yaml.v3 alone, so the
// invariants do not rest on scan, which Apply itself uses.
func parseReference(src []byte) (*file, error) {
	f, err := parse("f.yaml", src)
	if err != nil {
		return nil, err
	}
	if f.docs, err = decode("f.yaml", src); err != nil {
		return nil, err
	}
	return f, nil
}
