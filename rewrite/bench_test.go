package rewrite

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// httpRoute is a 15-line HTTPRoute with two clusters behind it.
func httpRoute(i int) []byte {
	return fmt.Appendf(nil, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app-%04d
  namespace: apps  # owned by team-%d
spec:
  parentRefs:
  - name: global
  rules:
  - backendRefs:
    - name: app-%04d-gke-eu-1
      port: 8080
      weight: 100
    - name: app-%04d-gke-eu-2
      weight: 0
`, i, i%7, i, i)
}

// BenchmarkSetTwoWeights sets both weights of one HTTPRoute.
func BenchmarkSetTwoWeights(b *testing.B) {
	src := httpRoute(1)
	edits := weightEdits(1)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, _, err := Apply("route.yaml", src, edits...); err != nil {
			b.Fatal(err)
		}
	}
}

func weightEdits(i int) []Edit {
	weight := func(cluster string) Path {
		return Path{Steps: []Step{Key("spec"), Key("rules"), Index(0), Key("backendRefs"),
			Match("name", fmt.Sprintf("app-%04d-%s", i, cluster)), Key("weight")}}
	}
	return []Edit{
		Set{Path: weight("gke-eu-1"), Value: "50"},
		Set{Path: weight("gke-eu-2"), Value: "50"},
	}
}

// BenchmarkVersusYq sets two weights in each of 1,000 HTTPRoute files on
// disk, with this engine and with mikefarah/yq v4 in one process for all the
// files, and reports the time ratio and the lines each changed beyond the two
// weight lines per file. Both must leave every file with the new weights.
//
// yq's -i writes only the first file it is given (with every document of
// every file in it); one yq process edits many files in place with
// --split-exp, which writes each document to the file its expression names:
// here the file it came from. The files are named .yml because --split-exp
// appends that extension. yq is built from the module proxy once; the
// benchmark skips when it cannot be.
func BenchmarkVersusYq(b *testing.B) {
	const files = 1000
	yq := buildYq(b)
	// On tmpfs where there is one, so the tools are measured, not the disk.
	dir, err := os.MkdirTemp("/dev/shm", "ferry-bench-")
	if err != nil {
		dir = b.TempDir()
	} else {
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	names := make([]string, files)
	paths := make([]string, files)
	orig := make([][]byte, files)
	for i := range paths {
		names[i] = fmt.Sprintf("app-%04d.yml", i)
		paths[i] = filepath.Join(dir, names[i])
		orig[i] = httpRoute(i)
	}
	reset := func() {
		for i, p := range paths {
			if err := os.WriteFile(p, orig[i], 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	// extra checks that every file has the new weights and counts the lines
	// changed beyond the two weight lines.
	extra := func(tool string) int {
		n := 0
		for i, p := range paths {
			got, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			var route struct {
				Spec struct {
					Rules []struct {
						BackendRefs []struct{ Weight int } `yaml:"backendRefs"`
					}
				}
			}
			if err := yaml.Unmarshal(got, &route); err != nil || len(route.Spec.Rules) != 1 || len(route.Spec.Rules[0].BackendRefs) != 2 ||
				route.Spec.Rules[0].BackendRefs[0].Weight != 50 || route.Spec.Rules[0].BackendRefs[1].Weight != 50 {
				b.Fatalf("%s left %s without the weights 50/50 (%v):\n%s", tool, names[i], err, got)
			}
			n += changedLines(orig[i], got) - 2
		}
		return n
	}
	// edit rewrites file i in place through one open file: read it, Apply,
	// write the result back from the start and cut what is left over.
	edit := func(i int) {
		buf := make([]byte, 4096)
		f, err := os.OpenFile(paths[i], os.O_RDWR, 0)
		if err != nil {
			b.Error(err)
			return
		}
		defer f.Close()
		n, err := io.ReadFull(f, buf)
		if err != io.ErrUnexpectedEOF {
			b.Errorf("%s: %d bytes, %v: the buffer is for small files", paths[i], n, err)
			return
		}
		out, _, err := Apply(paths[i], buf[:n], weightEdits(i)...)
		if err != nil {
			b.Error(err)
			return
		}
		if _, err := f.WriteAt(out, 0); err != nil {
			b.Error(err)
			return
		}
		if len(out) < n {
			if err := f.Truncate(int64(len(out))); err != nil {
				b.Error(err)
			}
		}
	}
	expr := `(.spec.rules[0].backendRefs[] | select(.name == "*-gke-eu-1") | .weight) = 50 | (.spec.rules[0].backendRefs[] | select(.name == "*-gke-eu-2") | .weight) = 50`
	runYq := func() {
		cmd := exec.Command(yq, append([]string{expr, "--split-exp", `filename | sub("\\.yml$"; "")`}, names...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("yq: %v\n%s", err, out)
		}
	}
	// One untimed round of each first, so neither is timed cold (yq's
	// binary, the files' pages, ferry's first allocations).
	reset()
	for i := range paths {
		edit(i)
	}
	reset()
	runYq()

	var ferryTime, parallelTime, yqTime time.Duration
	var ferryExtra, yqExtra int
	for b.Loop() {
		reset()
		start := time.Now()
		for i := range paths {
			edit(i)
		}
		ferryTime += time.Since(start)
		ferryExtra = extra("ferry")

		// Apply is pure: a caller with many files can use every core.
		reset()
		start = time.Now()
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < files; i += workers {
					edit(i)
				}
			})
		}
		wg.Wait()
		parallelTime += time.Since(start)
		if n := extra("ferry on all cores"); n != ferryExtra {
			b.Fatalf("parallel run changed %d extra lines, sequential %d", n, ferryExtra)
		}

		reset()
		start = time.Now()
		runYq()
		yqTime += time.Since(start)
		yqExtra = extra("yq")
	}
	b.ReportMetric(float64(ferryTime.Microseconds())/1e3/float64(b.N), "ferry-ms/op")
	b.ReportMetric(float64(yqTime.Microseconds())/1e3/float64(b.N), "yq-ms/op")
	b.ReportMetric(float64(yqTime)/float64(ferryTime), "yq/ferry")
	b.ReportMetric(float64(yqTime)/float64(parallelTime), "yq/ferry-all-cores")
	b.ReportMetric(float64(ferryExtra), "ferry-extra-lines")
	b.ReportMetric(float64(yqExtra), "yq-extra-lines")
}

// changedLines counts the lines a diff of a and b shows changed: removed,
// added, and a line replaced by another counted once (the larger of the
// lines removed and the lines added, outside a longest common subsequence
// of lines). Comparing lines in place would count every line after one
// inserted at the top.
func changedLines(a, b []byte) int {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	// lcs[i][j] is the longest common subsequence of al[i:] and bl[j:].
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if bytes.Equal(al[i], bl[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	return max(len(al), len(bl)) - lcs[0][0]
}

func buildYq(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(os.TempDir(), "ferry-bench-yq-v4.44.3")
	if _, err := os.Stat(filepath.Join(bin, "yq")); err == nil {
		return filepath.Join(bin, "yq")
	}
	cmd := exec.Command("go", "install", "github.com/mikefarah/yq/v4@v4.44.3")
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("cannot build yq v4.44.3 from the module proxy: %v\n%s", err, out)
	}
	return filepath.Join(bin, "yq")
}

// BenchmarkParseFloor is one yaml.v3 parse of the same HTTPRoute: Apply
// parses twice (to locate, then to verify), so twice this would be its floor
// without scan (BenchmarkScan).
func BenchmarkParseFloor(b *testing.B) {
	src := httpRoute(1)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		var n yaml.Node
		if err := yaml.Unmarshal(src, &n); err != nil {
			b.Fatal(err)
		}
	}
}

func TestChangedLines(t *testing.T) {
	a := []byte("a\nb\nc\nd\n")
	for _, c := range []struct {
		b    string
		want int
	}{
		{"a\nb\nc\nd\n", 0},
		{"a\nB\nc\nd\n", 1},
		{"---\na\nb\nc\nd\n", 1},   // an inserted line, not four moved ones
		{"a\nc\nd\n", 1},           // a removed line
		{"---\na\n  b\nc\nd\n", 2}, // inserted, and one re-indented
	} {
		if got := changedLines(a, []byte(c.b)); got != c.want {
			t.Errorf("changedLines(%q) = %d, want %d", c.b, got, c.want)
		}
	}
}
