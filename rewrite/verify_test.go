package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestVerifyCatches gives verify outputs that differ from the intended tree
// in one way each; it must refuse every one, and take the right output
// without the slow path.
func TestVerifyCatches(t *testing.T) {
	src := httpRoute(7)
	out, p, err := apply("route.yaml", src, weightEdits(7))
	if err != nil {
		t.Fatal(err)
	}
	if !p.verifyScan(out) {
		t.Fatalf("the fast verify refused the right output:\n%s", out)
	}
	right := string(out)
	wrong := map[string]string{
		"a weight not set":       strings.Replace(right, "weight: 50", "weight: 100", 1),
		"a weight as a string":   strings.Replace(right, "weight: 50", "weight: '50'", 1),
		"a weight as a float":    strings.Replace(right, "weight: 50", "weight: 50.0", 1),
		"another key":            strings.Replace(right, "port: 8080", "ports: 8080", 1),
		"a line lost":            strings.Replace(right, "      port: 8080\n", "", 1),
		"a line added":           strings.Replace(right, "      port: 8080\n", "      port: 8080\n      extra: 1\n", 1),
		"a duplicate key":        strings.Replace(right, "      port: 8080\n", "      port: 8080\n      port: 8080\n", 1),
		"an item moved up":       strings.Replace(right, "    - name: app-0007-gke-eu-2", "  - name: app-0007-gke-eu-2", 1),
		"a value made a mapping": strings.Replace(right, "namespace: apps", "namespace:\n    apps: x", 1),
		"a second document":      right + "---\na: 1\n",
		"an anchor":              strings.Replace(right, "port: 8080", "port: &p 8080", 1),
		"a tag":                  strings.Replace(right, "port: 8080", "port: !!str 8080", 1),
		"not YAML":               right + "\t: [\n",
	}
	for what, w := range wrong {
		if w == right {
			t.Fatalf("%s: the mutation did not apply", what)
		}
		if p.verifyScan([]byte(w)) {
			t.Errorf("%s: the fast verify took it:\n%s", what, w)
		}
		if err := p.verify([]byte(w)); !errors.Is(err, ErrVerify) {
			t.Errorf("%s: verify returned %v, want ErrVerify", what, err)
		}
	}
}

// TestApplyArena: Apply takes the nodes of its input tree from a pool and
// gives them back; calls at once on many goroutines, reusing one another's
// nodes, each give what one call alone gives.
func TestApplyArena(t *testing.T) {
	want := make([][]byte, 50)
	for i := range want {
		out, _, err := Apply("route.yaml", httpRoute(i), weightEdits(i)...)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = out
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 100 {
				i := (g*7 + k) % len(want)
				out, _, err := Apply("route.yaml", httpRoute(i), weightEdits(i)...)
				if err != nil || !bytes.Equal(out, want[i]) {
					t.Errorf("goroutine %d, file %d: err %v, output\n%s", g, i, err, out)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestDuplicateKeys: a duplicate key is refused, with both lines, in a
// small mapping (keys compared pairwise) and a large one (a map).
func TestDuplicateKeys(t *testing.T) {
	for _, n := range []int{3, 20} {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "k%d: %d\n", i, i)
		}
		b.WriteString("k1: again\n")
		_, err := Parse("f.yaml", []byte(b.String()))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != n+1 || !strings.Contains(pe.Error(), `duplicate key "k1" (first on line 2)`) {
			t.Errorf("%d keys: got %v", n, err)
		}
	}
}
