package targets_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ferry-dev/ferry/gitops/targets"
)

var update = flag.Bool("update", false, "rewrite the want/ files of testdata/*.txtar")

// A golden case is one testdata/*.txtar. Its comment holds the operation,
// one line each:
//
//	add FROM TO | remove CLUSTER | derive KIND TARGET-FILE | unsupported
//	subst OLD=NEW ...        (for add and derive)
//	clusters C ...           (the inventory, for read checks)
//	nofinalnewline           (in/ and want/ files end without a newline)
//	blocks N                 (add and remove change N blocks: a merge's lists)
//
// It holds one in/ file and one want/ file: the edited file, or want/error
// with the error message for unsupported.
type golden struct {
	op      []string
	pairs   []string
	nofinal bool
	blocks  int
	in      txtar.File
}

func readGolden(t *testing.T, path string) (*txtar.Archive, golden) {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	for _, l := range strings.Split(string(a.Comment), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case f[0] == "subst":
			for _, p := range f[1:] {
				old, new, _ := strings.Cut(p, "=")
				g.pairs = append(g.pairs, old, new)
			}
		case f[0] == "nofinalnewline":
			g.nofinal = true
		case f[0] == "clusters":
		case f[0] == "blocks" && len(f) == 2:
			g.blocks, _ = strconv.Atoi(f[1])
		default:
			g.op = f
		}
	}
	for _, f := range a.Files {
		if strings.HasPrefix(f.Name, "in/") {
			g.in = f
			if g.nofinal {
				g.in.Data = bytes.TrimSuffix(g.in.Data, []byte("\n"))
			}
		}
	}
	if g.op == nil || g.in.Name == "" {
		t.Fatalf("%s: no operation or no in/ file", path)
	}
	return a, g
}

func subst(pairs ...string) targets.Subst {
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, g := readGolden(t, path)
			name := strings.TrimPrefix(g.in.Name, "in/")
			src := g.in.Data
			var got []byte
			wantName := "want/" + name
			var err error
			switch g.op[0] {
			case "add":
				got, _, err = targets.ApplicationSet{}.Add(name, src, g.op[1], g.op[2], subst(g.pairs...))
			case "remove":
				got, _, err = targets.ApplicationSet{}.Remove(name, src, g.op[1])
			case "derive":
				got, err = targets.PerPair{Kind: g.op[1]}.Derive(name, src, subst(g.pairs...))
				wantName = "want/" + g.op[2]
			case "unsupported":
				_, err = targets.ApplicationSet{}.Read(name, src, []string{"gke-eu-1"})
				var ue *targets.UnsupportedError
				if !errors.As(err, &ue) {
					t.Fatalf("Read() error = %v, want an *UnsupportedError", err)
				}
				got, err, wantName = []byte(err.Error()+"\n"), nil, "want/error"
			default:
				t.Fatalf("unknown operation %q", g.op[0])
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.op[0] != "unsupported" {
				checkChangedLines(t, g, src, got)
			}
			if g.nofinal {
				if bytes.HasSuffix(got, []byte("\n")) {
					t.Errorf("the result ends with a newline; the input did not")
				}
				got = append(got, '\n')
			}
			i := slices.IndexFunc(a.Files, func(f txtar.File) bool { return strings.HasPrefix(f.Name, "want/") })
			if *update {
				f := txtar.File{Name: wantName, Data: got}
				if i < 0 {
					a.Files = append(a.Files, f)
				} else {
					a.Files[i] = f
				}
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if i < 0 || a.Files[i].Name != wantName {
				t.Fatalf("no %s in %s (run go test -update)", wantName, path)
			}
			if diff := cmp.Diff(string(a.Files[i].Data), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", wantName, diff)
			}
		})
	}
}

// checkChangedLines requires that Add only inserts one block of lines,
// Remove only removes one, and Derive changes only lines that held a
// substituted value.
func checkChangedLines(t *testing.T, g golden, src, got []byte) {
	t.Helper()
	removed, added := lineDiff(string(src), string(got))
	switch g.op[0] {
	case "add":
		if len(removed) != 0 || len(added) == 0 || blocks(added) != max(g.blocks, 1) {
			t.Errorf("Add() removed lines %v and added %v, want %d added blocks only", removed, added, max(g.blocks, 1))
		}
	case "remove":
		if len(added) != 0 || len(removed) == 0 || blocks(removed) != max(g.blocks, 1) {
			t.Errorf("Remove() removed lines %v and added %v, want %d removed blocks only", removed, added, max(g.blocks, 1))
		}
	case "derive":
		lines := strings.Split(string(src), "\n")
		if len(removed) != len(added) {
			t.Errorf("Derive() removed lines %v and added %v, want each changed in place", removed, added)
		}
		for _, n := range removed {
			if !slices.ContainsFunc(oldValues(g.pairs), func(v string) bool { return strings.Contains(lines[n], v) }) {
				t.Errorf("Derive() changed line %d %q, which holds no source value", n+1, lines[n])
			}
		}
	}
}

func oldValues(pairs []string) []string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, pairs[i])
	}
	return out
}

// blocks is the number of runs of consecutive line numbers in ns.
func blocks(ns []int) int {
	n := 0
	for i := range ns {
		if i == 0 || ns[i] != ns[i-1]+1 {
			n++
		}
	}
	return n
}

// lineDiff returns the 0-based numbers of the lines of a that b lacks and
// of the lines of b that a lacks, by a longest common subsequence.
func lineDiff(a, b string) (removed, added []int) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			added, j = append(added, j), j+1
		default:
			removed, i = append(removed, i), i+1
		}
	}
	return removed, added
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		a, b           string
		removed, added []int
	}{
		{"a\nb\nc", "a\nb\nc", nil, nil},
		{"a\nc", "a\nb\nb2\nc", nil, []int{1, 2}},
		{"a\nb\nc", "a\nc", []int{1}, nil},
		{"a\nb\nc", "a\nB\nc", []int{1}, []int{1}},
	}
	for _, tt := range tests {
		removed, added := lineDiff(tt.a, tt.b)
		if diff := cmp.Diff([][]int{tt.removed, tt.added}, [][]int{removed, added}); diff != "" {
			t.Errorf("lineDiff(%q, %q) mismatch (-want +got):\n%s", tt.a, tt.b, diff)
		}
	}
}
