package github_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
)

// BenchmarkWriteBudget migrates a generated repo of 1,000 workloads over
// 3 clusters to the end on the fake GitHub with GitHub's secondary limit
// on content-creating requests enforced (80 a minute, 500 an hour) on a
// virtual clock: the planner runs every 10 minutes, as the sample
// workflow's cron does, and ferry's waits on Retry-After move the clock.
// It reports ferry's writes per stage pull request and the virtual hours
// the migration takes, with one pull request per workload and stage
// (group: workload) and one per wave and stage (group: wave). Soak 30m,
// maxInFlight 100, no health provider (the soak is the gate). It is slow
// on 2 cores: about 3 minutes of real time for group: wave, and over an
// hour for group: workload (about 6,300 pull requests through the fake;
// 200 workloads take 8 minutes).
//
//	go test ./bot/github -run '^$' -bench WriteBudget -benchtime 1x -timeout 120m
func BenchmarkWriteBudget(b *testing.B) {
	for _, group := range []string{"workload", "wave"} {
		b.Run("group="+group, func(b *testing.B) { benchWriteBudget(b, 1000, group) })
	}
}

func benchWriteBudget(b *testing.B, workloads int, group string) {
	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: workloads, Clusters: 3})
	if err != nil {
		b.Fatal(err)
	}
	edit := func(name, old, new string) {
		text := string(files[name].Data)
		if !strings.Contains(text, old) {
			b.Fatalf("%s has no %q:\n%s", name, old, text)
		}
		files[name] = &fstest.MapFile{Data: []byte(strings.Replace(text, old, new, 1)), Mode: 0o644}
	}
	edit("migrations/eu-1-to-eu-2.yaml", "maxInFlight: 5", "maxInFlight: 100")
	edit("ferry.yaml", "pullRequests:\n", "pullRequests:\n  group: "+group+"\n")
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		clk := &clock{t: epoch}
		srv := fake.New(b, files, fake.Options{Token: token, WriteLimit: &fake.WriteLimit{PerMinute: 80, PerHour: 500, Now: clk.Now}})
		b.StartTimer()
		runs := 0
		for ; ; runs++ {
			if runs == 2000 {
				b.Fatalf("not finished after %d runs", runs)
			}
			start := clk.Now()
			repo := clone(b, srv) // each run clones, as ferry run --repo does
			forge := newForgeWith(b, srv, repo, clk.Add)
			bt, err := bot.New(repo, bot.Options{Forge: forge, Now: clk.Now, SealKey: sealKey})
			if err != nil {
				b.Fatal(err)
			}
			rep, err := bt.Run(ctx, false)
			if err != nil {
				b.Fatalf("run %d at %s: %v", runs, clk.Now().Sub(epoch), err)
			}
			if rep.Plan.Finished() {
				break
			}
			// The next scheduled run: 10 minutes after this one started,
			// or at once when this one took longer (waiting out limits).
			clk.Add(max(10*time.Minute-clk.Now().Sub(start), 0))
		}
		merged := 0
		for _, p := range srv.PRs() {
			if p.Merged {
				merged++
			}
		}
		writes, limited := srv.Writes()
		hours := clk.Now().Sub(epoch).Hours()
		b.ReportMetric(float64(merged), "PRs")
		b.ReportMetric(float64(writes)/float64(merged), "writes/PR")
		b.ReportMetric(float64(srv.Pushes())/float64(merged), "pushes/PR")
		b.ReportMetric(float64(limited), "limited")
		b.ReportMetric(hours, "virtual-hours")
		b.ReportMetric(float64(runs+1), "runs")
		b.Logf("group: %s: %d pull requests merged, %d writes (%.2f a pull request), %d pushes, %d writes refused for the limit, %d runs, %.1f virtual hours",
			group, merged, writes, float64(writes)/float64(merged), srv.Pushes(), limited, runs+1, hours)
	}
}

// TestRateLimitEndsTheRun: when GitHub's write limit outlasts what the
// client waits out, the run ends cleanly with what landed, and says why;
// the next run, once the hour has room, goes on.
func TestRateLimitEndsTheRun(t *testing.T) {
	seed, err := fixtures.Repo("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: epoch}
	srv := fake.New(t, seed, fake.Options{Token: token, WriteLimit: &fake.WriteLimit{PerMinute: 80, PerHour: 4, Now: clk.Now}})
	run := func() *bot.Report {
		t.Helper()
		repo := clone(t, srv)
		b, err := bot.New(repo, bot.Options{Forge: newForgeWith(t, srv, repo, clk.Add), Now: clk.Now, SealKey: sealKey})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := b.Run(t.Context(), false)
		if err != nil {
			t.Fatalf("run: %v, want it to end cleanly at the limit", err)
		}
		return rep
	}
	rep := run()
	if !strings.Contains(rep.Stopped, "rate limit") {
		t.Fatalf("Stopped = %q, want the rate limit", rep.Stopped)
	}
	if _, limited := srv.Writes(); limited == 0 {
		t.Error("no write was refused")
	}
	first := rep.Merged()
	clk.Add(time.Hour)
	if rep := run(); rep.Merged() == 0 {
		t.Errorf("the run an hour later merged nothing (the first merged %d)", first)
	}
}
