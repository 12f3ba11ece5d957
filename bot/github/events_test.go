package github_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	fake "github.com/ferry-dev/ferry/fixtures/github"
)

// TestEventsStartTheNextStage plays the sample planner workflow's triggers
// on a virtual clock against the fake GitHub, and measures the time from a
// stage's gate passing (here its last gate is the health report, which
// each cluster's Argo CD posts 3 minutes after main moves; the soak is 1
// minute) to the next stage's pull request:
//
//   - with the workflow's events (a ferry pull request merged, a commit
//     status arrived) and the 10-minute schedule, as the sample has it;
//   - with the schedule alone.
//
// A run starts the moment its event arrives, and runs back to back when
// events come during one (the concurrency group). The figures go to the
// test log; the test requires every stage to wait less with events.
func TestEventsStartTheNextStage(t *testing.T) {
	withEvents := gateToPR(t, true)
	cronOnly := gateToPR(t, false)
	for _, cause := range []string{"report", "soak"} {
		t.Logf("gate passed by a %s -> next pull request: with events %s; schedule only %s", cause, withEvents[cause], cronOnly[cause])
	}
	e, c := withEvents["report"], cronOnly["report"]
	if e.n == 0 || c.n == 0 || e.max != 0 || c.sum == 0 {
		t.Errorf("gates passed by a health report: with events %s, schedule only %s; want no wait with events", e, c)
	}
}

// waits sums how long stages waited for a run.
type waits struct {
	n        int
	sum, max time.Duration
}

func (w *waits) add(d time.Duration) {
	w.n++
	w.sum += d
	w.max = max(w.max, d)
}

func (w waits) String() string {
	if w.n == 0 {
		return "no stages"
	}
	return fmt.Sprintf("%d stages, mean %s, max %s", w.n, (w.sum / time.Duration(w.n)).Round(time.Second), w.max)
}

// gateToPR migrates and returns the waits of the health-gated stages by
// what passed their gates last: a health report, or the end of a soak
// (or the run itself).
func gateToPR(t *testing.T, events bool) map[string]waits {
	t.Helper()
	seed, err := fixtures.RepoMap("appset-httproute")
	if err != nil {
		t.Fatal(err)
	}
	const mig = "migrations/eu-1-to-eu-2.yaml"
	text := strings.Replace(string(seed[mig].Data), "soak: 30m", "soak: 1m", 1)
	seed[mig] = &fstest.MapFile{Data: []byte(text), Mode: 0o644}
	clk := &clock{t: epoch}
	srv := fake.New(t, seed, fake.Options{Token: token})
	const argo = 3 * time.Minute

	var (
		queue    []time.Time              // runs asked for by events
		reports  []time.Time              // when Argo CD reports on main's head, pending
		ready    = map[string]time.Time{} // branch -> when a dry run first found its stage's gates passed
		why      = map[string]string{}    // branch -> what passed them: "report", "soak" or "run"
		probe    = epoch.Add(time.Minute) // the next minute a dry run looks: soaks end with no event
		seen     = map[int]bool{}
		lastHead string
		byCause  = map[string]waits{}
	)
	nextCron := epoch
	reports = append(reports, epoch) // Argo CD has reported on the seed
	head := func() string { return strings.TrimSpace(gitCLI(t, srv.BarePath(), "rev-parse", "main")) }
	newBot := func(dry bool) *bot.Bot {
		repo := clone(t, srv)
		f := newForge(t, srv, repo, &sleeps{})
		b, err := bot.New(repo, bot.Options{Forge: f, Health: statuses(srv, f), Now: clk.Now, SealKey: sealKey, DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// gates notes the stages whose gates have passed now, by a dry run:
	// the moment a planner run would take them.
	gates := func(cause string) {
		rep, err := newBot(true).Run(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range rep.Outcomes {
			if _, ok := ready[o.Branch]; !ok {
				ready[o.Branch], why[o.Branch] = clk.Now(), cause
			}
		}
	}
	for i := 0; i < 2000; i++ {
		// The next thing to happen: a report, an event's run, or the schedule.
		at := nextCron
		kind := "cron"
		if len(reports) > 0 && !reports[0].After(at) {
			at, kind = reports[0], "report"
		}
		if len(queue) > 0 && !queue[0].After(at) {
			at, kind = queue[0], "event"
		}
		if probe.Before(at) {
			at, kind = probe, "soak"
		}
		if at.After(clk.Now()) {
			clk.Add(at.Sub(clk.Now()))
		}
		switch kind {
		case "report":
			reports = reports[1:]
			reportHealthy(t, srv, clone(t, srv))
			gates("report")
			if events {
				queue = append(queue, clk.Now()) // status: the planner runs
			}
			continue
		case "soak":
			probe = probe.Add(time.Minute)
			gates("soak") // no event fires when a soak ends
			continue
		case "event":
			queue = queue[1:]
		case "cron":
			nextCron = nextCron.Add(10 * time.Minute)
		}
		before := head()
		rep, err := newBot(false).Run(t.Context(), false)
		if err != nil {
			t.Fatalf("run at %s: %v", clk.Now().Sub(epoch), err)
		}
		// The health-gated pull requests this run opened (shifts and
		// cleanups): how long since their gates passed.
		for _, p := range srv.PRs() {
			if seen[p.Number] {
				continue
			}
			seen[p.Number] = true
			stage := p.HeadRef[strings.LastIndex(p.HeadRef, "/")+1:]
			if !strings.HasPrefix(stage, "shift-") && stage != "cleanup" {
				continue
			}
			at, ok := ready[p.HeadRef]
			if !ok {
				t.Fatalf("%s opened, but no dry run found its gates passed", p.HeadRef)
			}
			st := byCause[why[p.HeadRef]]
			st.add(clk.Now().Sub(at))
			byCause[why[p.HeadRef]] = st
		}
		gates("run")
		if h := head(); h != before {
			if events {
				queue = append(queue, clk.Now()) // pull_request closed: merged
			}
			if h != lastHead {
				lastHead = h
				reports = append(reports, clk.Now().Add(argo))
				slices.SortFunc(reports, func(a, b time.Time) int { return a.Compare(b) })
			}
		}
		if rep.Plan.Finished() {
			break
		}
	}
	return byCause
}
