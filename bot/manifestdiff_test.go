package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiffLines(t *testing.T) {
	t.Parallel()
	numbered := func(n int, change map[int]string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("line %d", i)
			if c, ok := change[i]; ok {
				out[i] = c
			}
		}
		return out
	}
	tests := []struct {
		name  string
		a, b  []string
		edits int // the length of a shortest edit script
	}{
		{name: "empty", edits: 0},
		{name: "equal", a: []string{"a", "b"}, b: []string{"a", "b"}, edits: 0},
		{name: "insert", a: []string{"a", "c"}, b: []string{"a", "b", "c"}, edits: 1},
		{name: "insert into empty", b: []string{"a", "b"}, edits: 2},
		{name: "delete", a: []string{"a", "b", "c"}, b: []string{"a", "c"}, edits: 1},
		{name: "delete all", a: []string{"a", "b"}, edits: 2},
		{name: "change", a: []string{"a", "b", "c"}, b: []string{"a", "x", "c"}, edits: 2},
		{name: "move", a: []string{"a", "b", "c", "d"}, b: []string{"b", "c", "d", "a"}, edits: 2},
		{name: "repeated lines", a: []string{"x", "x", "y", "x"}, b: []string{"x", "y", "x", "x"}, edits: 2},
		{name: "large", a: numbered(5000, nil), b: numbered(5000, map[int]string{10: "ten", 2500: "half", 4999: "end"}), edits: 6},
		{name: "large rewrite", a: numbered(3000, nil), b: numbered(3000, func() map[int]string {
			m := map[int]string{}
			for i := range 3000 {
				m[i] = fmt.Sprint("other ", i)
			}
			return m
		}()), edits: 6000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := diffLines(tt.a, tt.b)
			var gotA, gotB []string
			edits := 0
			for _, op := range ops {
				if op.Kind != '+' {
					gotA = append(gotA, op.Line)
				}
				if op.Kind != '-' {
					gotB = append(gotB, op.Line)
				}
				if op.Kind != ' ' {
					edits++
				}
			}
			if diff := cmp.Diff(tt.a, gotA); diff != "" {
				t.Errorf("diffLines: the old side mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.b, gotB); diff != "" {
				t.Errorf("diffLines: the new side mismatch (-want +got):\n%s", diff)
			}
			if edits != tt.edits {
				t.Errorf("diffLines: %d edits, want %d", edits, tt.edits)
			}
		})
	}
}

func TestUnifiedDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		a, b           string
		want           string
		added, removed int
	}{
		{name: "equal", a: "a\nb\n", b: "a\nb\n"},
		{name: "empty"},
		{name: "added", b: "a\nb\n", want: "@@ -0,0 +1,2 @@\n+a\n+b\n", added: 2},
		{name: "removed", a: "a\nb\n", want: "@@ -1,2 +0,0 @@\n-a\n-b\n", removed: 2},
		{
			name:  "change with context",
			a:     "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			b:     "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want:  "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
			added: 1, removed: 1,
		},
		{
			name:  "two hunks",
			a:     "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
			b:     "one\n2\n3\n4\n5\n6\n7\n8\n9\nten\n",
			want:  "@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+ten\n",
			added: 2, removed: 2,
		},
		{
			name:  "insert in the middle",
			a:     "a\nb\n",
			b:     "a\nx\nb\n",
			want:  "@@ -1,2 +1,3 @@\n a\n+x\n b\n",
			added: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, added, removed := unified(lines(tt.a), lines(tt.b), 3)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unified mismatch (-want +got):\n%s", diff)
			}
			if added != tt.added || removed != tt.removed {
				t.Errorf("unified counted +%d -%d, want +%d -%d", added, removed, tt.added, tt.removed)
			}
		})
	}
}

func TestDiffDetailsBlockTruncates(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	text, added, _ := unified(nil, lines(b.String()), 3)
	got := detailsBlock("gke-eu-2", objectDiff{ID: "ConfigMap/ns/big", Added: added, Diff: text})
	if !strings.Contains(got, "<summary>gke-eu-2: ConfigMap/ns/big (+500 -0)</summary>") {
		t.Errorf("detailsBlock: no summary with the counts in\n%s", got)
	}
	if !strings.Contains(got, "(truncated: 301 more lines)") {
		t.Errorf("detailsBlock: no truncation note in\n%s", got[len(got)-300:])
	}
	if n := strings.Count(got, "\n+line "); n != maxObjectLines-1 {
		t.Errorf("detailsBlock shows %d added lines, want %d", n, maxObjectLines-1)
	}
}

func TestWriteManifestDiffsBudget(t *testing.T) {
	t.Parallel()
	var big strings.Builder
	for i := range 150 {
		fmt.Fprintf(&big, "  key%d: %s\n", i, strings.Repeat("x", 60))
	}
	var objs []objectDiff
	for i := range 40 {
		text, added, removed := unified(nil, lines(big.String()), 3)
		objs = append(objs, objectDiff{ID: fmt.Sprint("ConfigMap/ns/cm-", i), Added: added, Removed: removed, Diff: text})
	}
	diffs := []overlayDiff{{Cluster: "gke-eu-2", Dir: "apps/a/overlays/gke-eu-2", Added: true, Objects: objs}}
	tests := []struct {
		name   string
		budget int
		shown  int
	}{
		{name: "all fit", budget: 1 << 20, shown: 40},
		{name: "some fit", budget: 60 << 10, shown: 5},
		{name: "none fit", budget: 100, shown: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			writeManifestDiffs(&sb, diffs, tt.budget)
			got := sb.String()
			if n := strings.Count(got, "<details>"); n != tt.shown {
				t.Errorf("writeManifestDiffs shows %d objects, want %d", n, tt.shown)
			}
			if tt.shown < len(objs) {
				if !strings.Contains(got, fmt.Sprintf("(truncated: %d more objects not shown", len(objs)-tt.shown)) {
					t.Errorf("writeManifestDiffs has no truncation note:\n%s", got[max(0, len(got)-400):])
				}
				if len(got) > max(tt.budget, 300) {
					t.Errorf("writeManifestDiffs wrote %d bytes, budget %d", len(got), tt.budget)
				}
			}
		})
	}
}
