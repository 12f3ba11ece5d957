package rewrite

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// crd is a CustomResourceDefinition of about size bytes, shaped like the
// big ones real repos vendor: a deep openAPIV3Schema with long
// descriptions, folded and literal, and enums.
func crd(size int) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.1
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
`)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `          field%d:
            description: >-
              Field %d configures one part of the widget. It is a long
              description, folded over lines, as controller-gen writes them.
            type: object
            properties:
              mode:
                description: |
                  Mode is one of the modes below.
                  It may change at runtime: "a: b" is not a key here.
                type: string
                enum: ["Always", "Never", "IfNotPresent"]
              limits:
                additionalProperties:
                  anyOf:
                  - type: integer
                  - type: string
                  x-kubernetes-int-or-string: true
                type: object
`, i, i)
	}
	return []byte(b.String())
}

// BenchmarkLargeFile edits an 800 KB CRD (the pin marker, and a scalar in
// its head, set the head's way) and a 15-line route: the large edit's cost
// per op is the figure to compare, as a ratio with route in the same run
// (target: within 10x). Under any edit of the CRD are two floors: copy-800k,
// one copy of it, as the output; and lines-800k, one pass over its lines,
// which an edit that must know the file's top-level keys and documents
// makes (a Set; the pin marker reads only the comments at the top).
func BenchmarkLargeFile(b *testing.B) {
	big := crd(800 << 10)
	annotation := Path{Steps: []Step{Key("metadata"), Key("annotations"), Key("controller-gen.kubebuilder.io/version")}}
	b.Run("route", func(b *testing.B) {
		src, edits := httpRoute(1), weightEdits(1)
		for b.Loop() {
			if _, _, err := Apply("route.yaml", src, edits...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy-800k", func(b *testing.B) {
		for b.Loop() {
			copySink = bytes.Clone(big)
		}
	})
	b.Run("lines-800k", func(b *testing.B) {
		for b.Loop() {
			lineSink = 0
			for i := 0; i < len(big); lineSink++ {
				j := bytes.IndexByte(big[i:], '\n')
				if j < 0 {
					break
				}
				i += j + 1
			}
		}
	})
	b.Run("crd-800k-comment", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Apply("crd.yaml", big, AddComment{Text: "# ferry: pinned-by=m"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crd-800k-set", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Apply("crd.yaml", big, Set{Path: annotation, Value: "v0.16.2"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// copySink keeps copy-800k's copies alive past the loop, as an edit's
// output is.
var copySink []byte

// lineSink keeps lines-800k's count, so that its loop is not elided.
var lineSink int
