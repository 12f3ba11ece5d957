package bot_test

import (
	"context"
	"maps"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops/gitstore"
)

// benchRepo commits files as one commit on main of a new bare repository
// on disk and returns its directory. The map is walked by its keys, not
// through fs.WalkDir, which is slow on a large MapFS.
func benchRepo(tb testing.TB, files fstest.MapFS) string {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := git.PlainInit(dir, true); err != nil {
		tb.Fatal(err)
	}
	repo, err := gitstore.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	changes := make([]gitstore.Change, 0, len(files))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		changes = append(changes, gitstore.Change{Path: p, Data: files[p].Data})
	}
	sig := object.Signature{Name: "Platform Team", Email: "platform@music.example.com", When: epoch}
	h, err := repo.Commit(context.Background(), plumbing.ZeroHash, changes, gitstore.CommitMeta{Author: sig, Message: "Deployment repo\n"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := repo.UpdateRef(plumbing.NewBranchReferenceName("main"), plumbing.ZeroHash, h); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// peakHeap samples the bytes of live and not yet swept heap objects until
// stop is called, which returns the largest sample.
func peakHeap() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkPlan10k observes a repo of 10,000 workloads over 20 clusters:
// reads the tree and history from git, validates the workloads the plan may
// pin, and plans. The target is under 2 s and 1 GiB.
//
// loose reads the repo as gitstore.Commit wrote it, one file per object;
// packed reads it after git repack (as a clone or a gc'd repo is), when the
// git CLI is there.
func BenchmarkPlan10k(b *testing.B) {
	const workloads = 10_000
	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: workloads, Clusters: 20})
	if err != nil {
		b.Fatal(err)
	}
	loose := benchRepo(b, files)
	packed := benchRepo(b, files)
	files = nil
	if out, err := exec.Command("git", "-C", packed, "repack", "-adq").CombinedOutput(); err != nil {
		b.Logf("git repack: %v %s; packed runs on loose objects", err, out)
	}
	for _, c := range []struct{ name, dir string }{{"loose", loose}, {"packed", packed}} {
		b.Run(c.name, func(b *testing.B) { benchObserve(b, c.dir, workloads) })
	}
}

func benchObserve(b *testing.B, dir string, workloads int) {
	clk := &clock{t: epoch}
	ctx := context.Background()
	runtime.GC()
	b.ReportAllocs()
	stop := peakHeap()
	var s *bot.Snapshot
	for b.Loop() {
		repo, err := gitstore.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		bt, _ := newLocal(b, repo, clk)
		if s, err = bt.Observe(ctx); err != nil {
			b.Fatal(err)
		}
		if len(s.Plan.Entries) != workloads {
			b.Fatalf("plan has %d entries, want %d", len(s.Plan.Entries), workloads)
		}
	}
	peak := stop()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // s, the last snapshot, is still live
	b.ReportMetric(float64(workloads), "workloads/op")
	b.ReportMetric(float64(ms.HeapAlloc), "heap-after-B")
	b.ReportMetric(float64(peak), "peak-heap-B")
	runtime.KeepAlive(s)
}

// BenchmarkLocalMigration1000 migrates a repo of 1,000 workloads over 3
// clusters to the end with the local forge, no soak, no health gate and
// every workload in flight at once (maxInFlight 0 means 1, so 1000).
//
// It is slow (about 11 minutes on 2 cores): the repo's maxOpen (10) caps the
// actions of a pass even though the local forge merges each at once, so a
// run makes about 640 passes, and each pass observes the whole repo again,
// validating (rendering) every workload not started yet.
func BenchmarkLocalMigration1000(b *testing.B) {
	const workloads = 1000
	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: workloads, Clusters: 3})
	if err != nil {
		b.Fatal(err)
	}
	const mig = "migrations/eu-1-to-eu-2.yaml"
	m, ok := files[mig]
	if !ok {
		b.Fatalf("no %s in the generated repo", mig)
	}
	text := strings.Replace(string(m.Data), "soak: 30m", "soak: 0s", 1)
	text = strings.Replace(text, "maxInFlight: 5", "maxInFlight: 1000", 1)
	if text == string(m.Data) || !strings.Contains(text, "maxInFlight: 1000") {
		b.Fatalf("%s has no soak and maxInFlight to rewrite:\n%s", mig, m.Data)
	}
	files[mig] = &fstest.MapFile{Data: []byte(text), Mode: 0o644}
	ctx := context.Background()
	b.ReportAllocs()
	stages, passes, runs := 0, 0, 0
	for b.Loop() {
		b.StopTimer()
		dir := benchRepo(b, files)
		repo, err := gitstore.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		clk := &clock{t: epoch}
		bt, _ := newLocal(b, repo, clk)
		b.StartTimer()
		for i := 0; ; i++ {
			if i == 50 {
				b.Fatalf("the migration did not finish in %d runs", i)
			}
			rep, err := bt.Run(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			stages += rep.Merged()
			passes += rep.Passes
			runs++
			if rep.Plan.Finished() {
				break
			}
			clk.t = clk.t.Add(time.Minute)
		}
	}
	b.ReportMetric(float64(stages)/float64(b.N), "stages/op")
	b.ReportMetric(float64(passes)/float64(b.N), "passes/op")
	b.ReportMetric(float64(runs)/float64(b.N), "runs/op")
	if stages > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(stages), "ns/stage")
	}
}
