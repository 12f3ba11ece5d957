package targets_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/targets"
)

const hub = `apiVersion: v1
kind: Namespace
metadata:
  name: eu1
---
# The web tier.
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: eu1
spec:
  path: ./clusters/eu1/web
  prune: true
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: api
  namespace: eu1
spec:
  path: ./clusters/eu1/api`

func TestSharedDocuments(t *testing.T) {
	s := targets.Shared{PerPair: targets.PerPair{Kind: targets.KindFluxKustomization}}
	if line, err := s.Line("hub/eu1.yaml", []byte(hub), "web"); err != nil || line != 10 {
		t.Errorf("Line(web) = %d, %v; want 10", line, err)
	}
	if line, err := s.Line("hub/eu1.yaml", []byte(hub), "db"); err != nil || line != 0 {
		t.Errorf("Line(db) = %d, %v; want 0, nil", line, err)
	}
	doc, err := s.Document("hub/eu1.yaml", []byte(hub), "web")
	if err != nil {
		t.Fatal(err)
	}
	want := "# The web tier.\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: eu1\nspec:\n  path: ./clusters/eu1/web\n  prune: true\n"
	if diff := cmp.Diff(want, string(doc)); diff != "" {
		t.Errorf("Document(web) mismatch (-want +got):\n%s", diff)
	}

	// Removing a document takes its separator and comments, nothing else.
	out, empty, err := s.Remove("hub/eu1.yaml", []byte(hub), "web")
	if err != nil || empty {
		t.Fatalf("Remove(web) = %v, empty %v", err, empty)
	}
	if want := strings.Replace(hub, "---\n"+want, "", 1); string(out) != want {
		t.Errorf("Remove(web) mismatch (-want +got):\n%s", cmp.Diff(want, string(out)))
	}
	// And adding it back, to a file without a final newline, restores it
	// but for the order.
	back, err := s.Add("hub/eu1.yaml", out, doc, "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := string(out) + "\n---\n" + string(doc); string(back) != want {
		t.Errorf("Add(web) mismatch (-want +got):\n%s", cmp.Diff(want, string(back)))
	}
	if _, err := s.Add("hub/eu1.yaml", back, doc, "web"); err == nil {
		t.Error("Add(web) to a file that has it: no error")
	}

	// The first document: the next one opens the file.
	first := "apiVersion: kustomize.toolkit.fluxcd.io/v1\r\nkind: Kustomization\r\nmetadata: {name: a}\r\n---\r\napiVersion: kustomize.toolkit.fluxcd.io/v1\r\nkind: Kustomization\r\nmetadata: {name: b}\r\n"
	out, empty, err = s.Remove("f.yaml", []byte(first), "a")
	if err != nil || empty {
		t.Fatalf("Remove(a) = %v, empty %v", err, empty)
	}
	if want := "apiVersion: kustomize.toolkit.fluxcd.io/v1\r\nkind: Kustomization\r\nmetadata: {name: b}\r\n"; string(out) != want {
		t.Errorf("Remove(a) = %q, want %q", out, want)
	}
	// The last one: nothing is left.
	if _, empty, err = s.Remove("f.yaml", out, "b"); err != nil || !empty {
		t.Errorf("Remove(b) = %v, empty %v; want empty", err, empty)
	}
}
