package traffic_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/traffic"
	"github.com/ferry-dev/ferry/rewrite"
)

var update = flag.Bool("update", false, "rewrite the want files of testdata/backend/*.txtar")

// backendCase is a golden case's case.yaml: an input (a fixture file, or
// the case's in.yaml), weights set first, then AddBackend or RemoveBackend.
type backendCase struct {
	Kind     string
	Fixture  string // under fixtures/repos
	Backend  string // {workload}-{cluster} or {cluster}
	Workload string
	Set      traffic.Weights
	Add      *struct{ From, To string }
	Remove   string
}

var backendErrors = map[string]error{
	"ErrNoBackend": traffic.ErrNoBackend, "ErrHasBackend": traffic.ErrHasBackend,
	"ErrNotDrained": traffic.ErrNotDrained, "ErrLastBackend": traffic.ErrLastBackend,
	"ErrUnsupported": rewrite.ErrUnsupported,
}

func errName(err error) string {
	for name, s := range backendErrors {
		if errors.Is(err, s) {
			return name
		}
	}
	return "unknown: " + err.Error()
}

// TestBackendGolden runs testdata/backend/*.txtar. Each want file holds the
// lines that change, as a line diff of the input and the output, or the
// error the edit is refused with.
func TestBackendGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/backend/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c backendCase
			var in, want []byte
			for _, f := range ar.Files {
				switch f.Name {
				case "case.yaml":
					if err := yaml.Unmarshal(f.Data, &c); err != nil {
						t.Fatalf("case.yaml: %v", err)
					}
				case "in.yaml":
					in = f.Data
				case "want":
					want = f.Data
				}
			}
			src := "traffic/" + name + ".yaml"
			if c.Fixture != "" {
				src = c.Fixture
				if in, err = os.ReadFile(filepath.Join("..", "..", "fixtures", "repos", c.Fixture)); err != nil {
					t.Fatal(err)
				}
			}
			got := runBackendCase(t, c, src, in)
			if *update {
				var keep []txtar.File
				for _, f := range ar.Files {
					if f.Name != "want" {
						keep = append(keep, f)
					}
				}
				ar.Files = append(keep, txtar.File{Name: "want", Data: []byte(got)})
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
			}
		})
	}
}

// runBackendCase edits in as c says and returns the lines AddBackend or
// RemoveBackend changed (after c.Set), or the error. It also reads the result back: an added cluster has weight 0, a
// removed one is gone.
func runBackendCase(t *testing.T, c backendCase, name string, in []byte) string {
	t.Helper()
	r := traffic.Route{Kind: c.Kind, Backend: func(cluster string) string {
		return strings.NewReplacer("{workload}", c.Workload, "{cluster}", cluster).Replace(c.Backend)
	}}
	src := in
	if len(c.Set) > 0 {
		var err error
		if src, _, err = r.Set(name, in, c.Set); err != nil {
			t.Fatalf("Set(%v): %v", c.Set, err)
		}
	}
	var out []byte
	var results []rewrite.Result
	var err error
	var cluster string
	switch {
	case c.Add != nil:
		cluster = c.Add.To
		out, results, err = r.AddBackend(name, src, c.Add.From, c.Add.To, func(s string) string {
			return strings.ReplaceAll(s, c.Add.From, c.Add.To)
		})
	case c.Remove != "":
		cluster = c.Remove
		out, results, err = r.RemoveBackend(name, src, c.Remove)
	default:
		t.Fatal("case.yaml: neither add nor remove")
	}
	if err != nil {
		t.Logf("%v", err)
		return "error: " + errName(err) + "\n"
	}
	if len(results) == 0 {
		t.Errorf("no results for a change")
	}
	got, err := r.Read(name, out, []string{cluster})
	if err != nil {
		t.Fatalf("Read() after the edit: %v", err)
	}
	w, ok := got[cluster]
	switch {
	case c.Add != nil && (!ok || w != 0):
		t.Errorf("after AddBackend, Read()[%s] = %d, %v; want 0, true", cluster, w, ok)
	case c.Remove != "" && ok:
		t.Errorf("after RemoveBackend, Read() still has %s", cluster)
	}
	return lineDiff(string(src), string(out))
}

// lineDiff returns the lines only in a (-) and only in b (+), each with
// its line number in its file. Equal lines are matched from the end, so an
// entry inserted after a similar one shows as a whole.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of al[:i] and bl[:j].
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := 1; i <= len(al); i++ {
		for j := 1; j <= len(bl); j++ {
			if al[i-1] == bl[j-1] {
				lcs[i][j] = lcs[i-1][j-1] + 1
			} else {
				lcs[i][j] = max(lcs[i-1][j], lcs[i][j-1])
			}
		}
	}
	var ops []string
	i, j := len(al), len(bl)
	for i > 0 || j > 0 {
		switch {
		case i > 0 && j > 0 && al[i-1] == bl[j-1]:
			i, j = i-1, j-1
		case j > 0 && (i == 0 || lcs[i][j-1] >= lcs[i-1][j]):
			ops = append(ops, fmt.Sprintf("+%3d|%s\n", j, bl[j-1]))
			j--
		default:
			ops = append(ops, fmt.Sprintf("-%3d|%s\n", i, al[i-1]))
			i--
		}
	}
	slices.Reverse(ops)
	return strings.Join(ops, "")
}
