package planner_test

import (
	"time"

	"github.com/ferry-dev/ferry/planner"
)

const m = "eu-1-to-eu-2"

var to2 = []string{eu2}

// scenario is one golden plan test: testdata/<name>.txtar.
type scenario struct {
	name string
	desc string // the txtar comment
	in   planner.Input
}

func withMig(mg planner.Migration, f func(*planner.Migration)) planner.Migration {
	f(&mg)
	return mg
}

// scenarios are the golden plan tests.
func scenarios() []scenario {
	const h, min = time.Hour, time.Minute
	return []scenario{
		{
			name: "phases",
			desc: "One workload in each phase of " + m + " (gke-eu-1 -> gke-eu-2), every gate passing.\n" +
				"e-hand-edited had its weight set to 30 by hand: the next step is 50.",
			in: planner.Input{
				Now:        now,
				HealthGate: true,
				Migrations: []planner.Migration{withMig(mig(m, eu1, to2,
					"a-not-started", "b-pinned", "c-deployed", "d-shifting", "e-hand-edited", "f-shifted",
					"g-cleaned-up", "h-done", "i-worker-pinned", "j-worker-deployed", "k-worker-cleaned-up"),
					func(m *planner.Migration) { m.MaxInFlight = 20 })},
				Workloads: []planner.WorkloadState{
					wl("a-not-started", "", "gke-eu-1=OR:100"),
					wl("b-pinned", m, "gke-eu-1=OR:100"),
					wl("c-deployed", m, "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("d-shifting", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("e-hand-edited", m, "gke-eu-1=OR:70 gke-eu-2=OR:30"),
					wl("f-shifted", m, "gke-eu-1=OR:0 gke-eu-2=OR:100"),
					wl("g-cleaned-up", m, "gke-eu-2=OR:100"),
					wl("h-done", "", "gke-eu-2=OR:100"),
					wl("i-worker-pinned", m, "gke-eu-1=OR"),
					wl("j-worker-deployed", m, "gke-eu-1=OR gke-eu-2=OR"),
					wl("k-worker-cleaned-up", m, "gke-eu-2=OR"),
				},
				History: []planner.Event{
					ev(m, "h-done", "unpin", "d0e0000000", 20*h),
					ev(m, "b-pinned", "pin", "b1a0000000", 5*h),
					ev(m, "c-deployed", "deploy", "c2a0000000", 4*h),
					ev(m, "d-shifting", "shift-10", "d3a0000000", 3*h),
					ev(m, "e-hand-edited", "shift-10", "e4a0000000", 3*h),
					ev(m, "f-shifted", "shift-100", "f5a0000000", 2*h),
					ev(m, "g-cleaned-up", "cleanup", "a6a0000000", 2*h),
					ev(m, "i-worker-pinned", "pin", "a7a0000000", 2*h),
					ev(m, "j-worker-deployed", "deploy", "a8a0000000", 45*min),
					ev(m, "k-worker-cleaned-up", "cleanup", "a9a0000000", 1*min),
				},
				Health: []planner.Observation{
					obs("a-not-started", eu1, "0000000000", planner.Healthy),
					obs("c-deployed", eu2, "c2a0000000", planner.Healthy),
					obs("d-shifting", eu2, "d3a0000000", planner.Healthy),
					obs("e-hand-edited", eu2, "e4a0000000", planner.Healthy),
					obs("f-shifted", eu2, "f5a0000000", planner.Healthy),
					obs("j-worker-deployed", eu2, "a8a0000000", planner.Healthy),
				},
			},
		},
		{
			name: "soak",
			desc: "The soak gate: waiting and passed, in minutes, hours and (for a soak under a minute) seconds,\n" +
				"and a stage made by hand (no ferry commit: soak counts as satisfied).",
			in: planner.Input{
				Now: now,
				Migrations: []planner.Migration{
					mig("a-30m", eu1, to2, "a-12m", "b-29m59s", "c-hand-made", "d-exactly"),
					withMig(mig("b-30s", eu1, to2, "e-10s", "f-45s"), func(m *planner.Migration) { m.Soak = 30 * time.Second }),
					withMig(mig("c-2h", eu1, to2, "g-1h5m", "h-2h1m"), func(m *planner.Migration) { m.Soak = 2 * h }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-12m", "a-30m", "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("b-29m59s", "a-30m", "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("c-hand-made", "a-30m", "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("d-exactly", "a-30m", "gke-eu-1=OR:0 gke-eu-2=OR:100"),
					wl("e-10s", "b-30s", "gke-eu-1=OR gke-eu-2=OR"),
					wl("f-45s", "b-30s", "gke-eu-1=OR gke-eu-2=OR"),
					wl("g-1h5m", "c-2h", "gke-eu-1=OR:50 gke-eu-2=OR:50"),
					wl("h-2h1m", "c-2h", "gke-eu-1=OR:50 gke-eu-2=OR:50"),
				},
				History: []planner.Event{
					ev("a-30m", "a-12m", "shift-10", "1110000000", 12*min+30*time.Second),
					ev("a-30m", "b-29m59s", "deploy", "2220000000", 29*min+59*time.Second),
					ev("a-30m", "d-exactly", "shift-100", "4440000000", 30*min),
					ev("b-30s", "e-10s", "deploy", "5550000000", 10*time.Second),
					ev("b-30s", "f-45s", "deploy", "6660000000", 45*time.Second),
					ev("c-2h", "g-1h5m", "shift-50", "7770000000", 65*min),
					ev("c-2h", "h-2h1m", "shift-50", "8880000000", 121*min),
				},
			},
		},
		{
			name: "health",
			desc: "The health gate: every target must report Healthy at the last stage's commit\n" +
				"(Progressing is not healthy; a healthy report at an older commit does not count).\n" +
				"Without a ferry commit (made by hand) a Healthy report at any commit counts.",
			in: planner.Input{
				Now:        now,
				HealthGate: true,
				Migrations: []planner.Migration{
					mig(m, eu1, to2, "a-progressing", "b-old-commit", "c-no-report", "e-hand-made", "f-hand-made-healthy"),
					mig("multi", eu1, []string{eu2, eu3}, "d-one-of-two"),
				},
				Workloads: []planner.WorkloadState{
					wl("a-progressing", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("b-old-commit", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("c-no-report", m, "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("d-one-of-two", "multi", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0"),
					wl("e-hand-made", m, "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("f-hand-made-healthy", m, "gke-eu-1=OR:100 gke-eu-2=OR:0"),
				},
				History: []planner.Event{
					ev(m, "b-old-commit", "deploy", "b0b0000000", 3*h),
					ev(m, "a-progressing", "shift-10", "3f2a1c0aaa", h),
					ev(m, "b-old-commit", "shift-10", "3f2a1c0bbb", h),
					ev(m, "c-no-report", "deploy", "3f2a1c0ccc", h),
					ev("multi", "d-one-of-two", "deploy", "3f2a1c0ddd", h),
				},
				Health: []planner.Observation{
					obs("a-progressing", eu2, "3f2a1c0aaa", planner.Progressing),
					obs("b-old-commit", eu2, "b0b0000000", planner.Healthy),
					obs("d-one-of-two", eu2, "3f2a1c0ddd", planner.Healthy),
					obs("d-one-of-two", eu3, "3f2a1c0ddd", planner.Progressing),
					obs("f-hand-made-healthy", eu2, "anything00", planner.Healthy),
				},
			},
		},
		{
			name: "no-health-gate",
			desc: "With HealthGate false (health kind none) only soak gates; reports, even Degraded, are ignored.",
			in: planner.Input{
				Now:        now,
				Migrations: []planner.Migration{mig(m, eu1, to2, "a-shifting", "b-not-started")},
				Workloads: []planner.WorkloadState{
					wl("a-shifting", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("b-not-started", "", "gke-eu-1=OR:100"),
				},
				History: []planner.Event{ev(m, "a-shifting", "shift-10", "aaa0000000", h)},
				Health:  []planner.Observation{obs("a-shifting", eu2, "aaa0000000", planner.Degraded)},
			},
		},
		{
			name: "pin-gates",
			desc: "The gates of a pin: validation problems, a pin by another migration, the source's health, paused.\n" +
				"paused stops every forward stage.",
			in: planner.Input{
				Now:        now,
				HealthGate: true,
				Migrations: []planner.Migration{
					mig(m, eu1, []string{eu2, eu3}, "a-one-problem", "b-three-problems", "c-pinned-by-other", "d-source-not-healthy", "e-ok"),
					mig("us-1-to-eu-2", us1, to2, "c-pinned-by-other"),
					withMig(mig("paused", eu1, to2, "f-not-started", "g-shifting"), func(m *planner.Migration) { m.Paused = true }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-one-problem", "", "gke-eu-1=OR:100", "Deployment/a nodeSelector accelerator nvidia-tesla-a100 not on gke-eu-2"),
					wl("b-three-problems", "", "gke-eu-1=OR:100", "StorageClass premium-rwo not on gke-eu-2", "StorageClass premium-rwo not on gke-eu-3", "machine type n2-highmem-64 not on gke-eu-3"),
					wl("c-pinned-by-other", "us-1-to-eu-2", "gke-eu-1=OR:50 gke-us-1=OR:50"),
					wl("d-source-not-healthy", "", "gke-eu-1=OR:100"),
					wl("e-ok", "", "gke-eu-1=OR:100"),
					wl("f-not-started", "", "gke-eu-1=OR:100"),
					wl("g-shifting", "paused", "gke-eu-1=OR:90 gke-eu-2=OR:10"),
				},
				History: []planner.Event{
					ev("us-1-to-eu-2", "c-pinned-by-other", "pin", "ccc0000000", h),
					ev("paused", "g-shifting", "shift-10", "ggg0000000", h),
				},
				Health: []planner.Observation{
					obs("a-one-problem", eu1, "x", planner.Healthy),
					obs("b-three-problems", eu1, "x", planner.Healthy),
					obs("d-source-not-healthy", eu1, "x", planner.Progressing),
					obs("e-ok", eu1, "x", planner.Healthy),
					obs("f-not-started", eu1, "x", planner.Healthy),
					obs("g-shifting", eu2, "ggg0000000", planner.Healthy),
				},
			},
		},
		{
			name: "waves",
			desc: "maxInFlight: wave-a allows 2, w1 is already pinned; not-started workloads get slots in name order\n" +
				"(w3 cannot: a validation problem). wave-b allows 1: x2 already has an open pin PR, so it goes first.",
			in: planner.Input{
				Now: now,
				Migrations: []planner.Migration{
					withMig(mig("wave-a", eu1, to2, "w1", "w2", "w3", "w4", "w5"), func(m *planner.Migration) { m.MaxInFlight = 2 }),
					withMig(mig("wave-b", eu1, to2, "x1", "x2"), func(m *planner.Migration) { m.MaxInFlight = 1 }),
				},
				Workloads: []planner.WorkloadState{
					wl("w1", "wave-a", "gke-eu-1=OR:100"),
					wl("w2", "", "gke-eu-1=OR:100"),
					wl("w3", "", "gke-eu-1=OR:100", "kind VerticalPodAutoscaler not on gke-eu-2"),
					wl("w4", "", "gke-eu-1=OR:100"),
					wl("w5", "", "gke-eu-1=OR:100"),
					wl("x1", "", "gke-eu-1=OR:100"),
					wl("x2", "", "gke-eu-1=OR:100"),
				},
				History: []planner.Event{ev("wave-a", "w1", "pin", "1110000000", h)},
				PRs:     []planner.PR{pr(7, "wave-b", "x2", "pin", planner.PROpen)},
			},
		},
		{
			name: "max-open",
			desc: "maxOpen 4 with 2 PRs open: #1 is stale (a is past shift-10) but still takes a slot, #2 carries b's deploy\n" +
				"(b needs no new slot). The abort's rollback (z) is exempt but takes a slot first; a gets the last one.",
			in: planner.Input{
				Now:     now,
				MaxOpen: 4,
				Migrations: []planner.Migration{
					mig(m, eu1, to2, "a-shifting", "b-pinned", "c-not-started", "d-not-started"),
					withMig(mig("z-abort", eu1, to2, "z"), func(m *planner.Migration) { m.Abort = true }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-shifting", m, "gke-eu-1=OR:50 gke-eu-2=OR:50"),
					wl("b-pinned", m, "gke-eu-1=OR:100"),
					wl("c-not-started", "", "gke-eu-1=OR:100"),
					wl("d-not-started", "", "gke-eu-1=OR:100"),
					wl("z", "z-abort", "gke-eu-1=OR:50 gke-eu-2=OR:50"),
				},
				History: []planner.Event{ev(m, "a-shifting", "shift-50", "aaa0000000", h)},
				PRs: []planner.PR{
					pr(1, m, "a-shifting", "shift-10", planner.PROpen),
					pr(2, m, "b-pinned", "deploy", planner.PROpen),
				},
			},
		},
		{
			name: "max-open-wave",
			desc: "maxOpen 2 with one pull request open: a wave's, which carries the pins of w1, w2 and w3.\n" +
				"It is one pull request, so one slot is left: w4's pin takes it and w5 waits.",
			in: planner.Input{
				Now:        now,
				MaxOpen:    2,
				Migrations: []planner.Migration{mig(m, eu1, to2, "w1", "w2", "w3", "w4", "w5")},
				Workloads: []planner.WorkloadState{
					wl("w1", "", "gke-eu-1=OR:100"),
					wl("w2", "", "gke-eu-1=OR:100"),
					wl("w3", "", "gke-eu-1=OR:100"),
					wl("w4", "", "gke-eu-1=OR:100"),
					wl("w5", "", "gke-eu-1=OR:100"),
				},
				PRs: []planner.PR{
					pr(3, m, "w1", "pin", planner.PROpen),
					pr(3, m, "w2", "pin", planner.PROpen),
					pr(3, m, "w3", "pin", planner.PROpen),
				},
			},
		},
		{
			name: "max-open-waves",
			desc: "pullRequests.group: wave, maxOpen 1, maxInFlight 3: the first wave's pins share one pull request,\n" +
				"so all three take the one slot; w4 and w5 wait for maxInFlight.",
			in: planner.Input{
				Now:     now,
				MaxOpen: 1,
				Waves:   true,
				Migrations: []planner.Migration{
					withMig(mig(m, eu1, to2, "w1", "w2", "w3", "w4", "w5"), func(m *planner.Migration) { m.MaxInFlight = 3 }),
				},
				Workloads: []planner.WorkloadState{
					wl("w1", "", "gke-eu-1=OR:100"),
					wl("w2", "", "gke-eu-1=OR:100"),
					wl("w3", "", "gke-eu-1=OR:100"),
					wl("w4", "", "gke-eu-1=OR:100"),
					wl("w5", "", "gke-eu-1=OR:100"),
				},
			},
		},
		{
			name: "pr-gates",
			desc: "PRs for the next stage: held, a foreign commit, closed unmerged (pauses the workload),\n" +
				"closed and then merged again (no longer pauses), open (the action updates it).",
			in: planner.Input{
				Now:        now,
				Migrations: []planner.Migration{mig(m, eu1, to2, "a-held", "b-foreign", "c-closed", "d-closed-then-merged", "e-open")},
				Workloads: []planner.WorkloadState{
					wl("a-held", m, "gke-eu-1=OR:100"),
					wl("b-foreign", m, "gke-eu-1=OR:100"),
					wl("c-closed", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("d-closed-then-merged", m, "gke-eu-1=OR:90 gke-eu-2=OR:10"),
					wl("e-open", "", "gke-eu-1=OR:100"),
				},
				History: []planner.Event{
					ev(m, "c-closed", "shift-10", "ccc0000000", h),
					ev(m, "d-closed-then-merged", "shift-10", "ddd0000000", h),
				},
				PRs: []planner.PR{
					func() planner.PR { p := pr(12, m, "a-held", "deploy", planner.PROpen); p.Held = true; return p }(),
					func() planner.PR { p := pr(13, m, "b-foreign", "deploy", planner.PROpen); p.Foreign = true; return p }(),
					pr(41, m, "c-closed", "shift-50", planner.PRClosed),
					pr(42, m, "d-closed-then-merged", "shift-50", planner.PRClosed),
					pr(43, m, "d-closed-then-merged", "shift-50", planner.PRMerged),
					pr(44, m, "e-open", "pin", planner.PROpen),
				},
			},
		},
		{
			name: "multi-target",
			desc: "Three targets and other serving clusters. The targets' part of the pool (source + targets) is split\n" +
				"evenly, the remainder to the first targets; gke-us-1 keeps its weight; share is over the pool.\n" +
				"e has nothing on the pool (all on gke-us-1): the pool is taken as 100. f shifts 11%: 4, 4, 3.",
			in: planner.Input{
				Now: now,
				Migrations: []planner.Migration{
					mig("eu-1-to-three", eu1, []string{eu2, eu3, eu4}, "a-deployed", "b-other-cluster", "c-shifting", "d-partial", "e-empty-pool"),
					withMig(mig("eu-1-to-three-by-11", eu1, []string{eu2, eu3, eu4}, "f-eleven"), func(m *planner.Migration) { m.Steps = []int{11, 100} }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-deployed", "eu-1-to-three", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0"),
					wl("b-other-cluster", "eu-1-to-three", "gke-eu-1=OR:60 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0 gke-us-1=OR:40"),
					wl("c-shifting", "eu-1-to-three", "gke-eu-1=OR:50 gke-eu-2=OR:17 gke-eu-3=OR:17 gke-eu-4=OR:16 gke-us-1=OR:100"),
					wl("d-partial", "eu-1-to-three", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0"),
					wl("e-empty-pool", "eu-1-to-three", "gke-eu-1=OR:0 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0 gke-us-1=OR:100"),
					wl("f-eleven", "eu-1-to-three-by-11", "gke-eu-1=OR:100 gke-eu-2=OR:0 gke-eu-3=OR:0 gke-eu-4=OR:0"),
				},
			},
		},
		{
			name: "unexplained",
			desc: "States no stage explains (edited by hand): the workload stops and the Wait names the fact.\n" +
				"c was deployed by the Migration, then its pin removed by hand; k's traffic was shifted, then its\n" +
				"weights went from the repo (a renamed route file).",
			in: planner.Input{
				Now: now,
				History: []planner.Event{
					ev(m, "c-not-pinned-but-deployed", "pin", "c100000", 3*time.Hour),
					ev(m, "c-not-pinned-but-deployed", "deploy", "c200000", 2*time.Hour),
					ev(m, "k-traffic-lost", "pin", "k100000", 3*time.Hour),
					ev(m, "k-traffic-lost", "deploy", "k200000", 2*time.Hour),
					ev(m, "k-traffic-lost", "shift-10", "k300000", time.Hour),
				},
				Migrations: []planner.Migration{mig(m, eu1, to2,
					"a-overlay-only", "b-weight-no-overlay", "c-not-pinned-but-deployed", "e-missing",
					"f-source-gone-with-traffic", "g-other-no-registration", "h-negative", "i-backend-only", "j-nothing", "k-traffic-lost")},
				Workloads: []planner.WorkloadState{
					wl("a-overlay-only", m, "gke-eu-1=OR:100 gke-eu-2=O:0"),
					wl("b-weight-no-overlay", m, "gke-eu-1=OR:90 gke-eu-2=R:10"),
					wl("c-not-pinned-but-deployed", "", "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("d-orphan", "gone-migration", "gke-eu-1=OR:100"),
					wl("f-source-gone-with-traffic", m, "gke-eu-1=-:20 gke-eu-2=OR:80"),
					wl("g-other-no-registration", m, "gke-eu-1=OR:90 gke-eu-2=OR:0 gke-us-1=O:10"),
					wl("h-negative", m, "gke-eu-1=OR:110 gke-eu-2=OR:-10"),
					wl("i-backend-only", m, "gke-eu-1=OR:100 gke-eu-2=-:0"),
					wl("j-nothing", m, ""),
					wl("k-traffic-lost", m, "gke-eu-1=OR gke-eu-2=OR"),
				},
			},
		},
		{
			name: "active-active",
			desc: "Workloads that already run on the target: a is pinned, then its source is drained from its\n" +
				"share and removed; b, pinned (its pin in the history), shifts from 40% to 50%; c runs on the target only\n" +
				"and is done; an abort of d, active-active when pinned, holds rather than remove a target ferry\n" +
				"did not deploy or guess the weights to restore.",
			in: planner.Input{
				Now: now,
				History: []planner.Event{
					ev(m, "b-pinned", "pin", "b100000", 2*time.Hour),
					ev("aborted", "d-aborted", "pin", "d100000", 2*time.Hour),
				},
				Migrations: []planner.Migration{
					mig(m, eu1, to2, "a-active-active", "b-pinned", "c-target-only"),
					withMig(mig("aborted", eu1, to2, "d-aborted"), func(m *planner.Migration) { m.Abort = true }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-active-active", "", "gke-eu-1=OR:60 gke-eu-2=OR:40"),
					wl("b-pinned", m, "gke-eu-1=OR:60 gke-eu-2=OR:40"),
					wl("c-target-only", "", "gke-eu-2=OR:100"),
					wl("d-aborted", "aborted", "gke-eu-1=OR:60 gke-eu-2=OR:40"),
				},
			},
		},
		{
			name: "retire",
			desc: "A Migration that retires gke-eu-1 moves each workload onto the clusters that already run it:\n" +
				"a (on gke-us-1 too) is pinned, then drained onto gke-us-1 alone and removed from gke-eu-1; b, pinned,\n" +
				"drains its share onto both of its other clusters; c, on gke-eu-1 alone, goes to the named target\n" +
				"gke-eu-2, deployed as any migration's; d is on gke-us-1 only and done. In a retirement that names\n" +
				"no target, e (on gke-eu-1 alone) waits, saying so.",
			in: planner.Input{
				Now: now,
				History: []planner.Event{
					ev("retire-eu-1", "b-pinned", "pin", "b100000", 2*time.Hour),
				},
				Migrations: []planner.Migration{
					withMig(mig("retire-eu-1", eu1, to2, "a-also-on-us-1", "b-pinned", "c-eu-1-only", "d-us-1-only"), func(m *planner.Migration) { m.Retire = true }),
					withMig(mig("retire-eu-1-nowhere", eu1, nil, "e-eu-1-only"), func(m *planner.Migration) { m.Retire = true }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-also-on-us-1", "", "gke-eu-1=OR:50 gke-us-1=OR:50"),
					wl("b-pinned", "retire-eu-1", "gke-eu-1=OR:40 gke-eu-2=OR:30 gke-us-1=OR:30"),
					wl("c-eu-1-only", "", "gke-eu-1=OR:100"),
					wl("d-us-1-only", "", "gke-us-1=OR:100"),
					wl("e-eu-1-only", "", "gke-eu-1=OR:100"),
				},
			},
		},
		{
			name: "abort",
			desc: "spec.abort at each phase: not started stays put, pinned is unpinned, a deployment without traffic on\n" +
				"the targets is undeployed, traffic goes back to the source (other clusters keep theirs); a cleaned-up\n" +
				"workload has nothing to roll back to; a done one stays done. rb-history (paused, not aborted) shows a\n" +
				"rollback started by a failed health gate going on from History: paused does not stop it, and a\n" +
				"rolled-back workload is not started again.",
			in: planner.Input{
				Now: now,
				Migrations: []planner.Migration{
					withMig(mig(m, eu1, to2, "a-not-started", "b-pinned", "c-deployed", "d-shifting", "e-shifted",
						"f-cleaned-up", "g-done", "h-rolled-back", "i-worker-deployed", "j-other-cluster"), func(m *planner.Migration) { m.Abort = true }),
					withMig(mig("rb-history", eu1, to2, "k-rolled-back-traffic", "l-undeployed", "n-unpinned"), func(m *planner.Migration) { m.Paused = true }),
				},
				Workloads: []planner.WorkloadState{
					wl("a-not-started", "", "gke-eu-1=OR:100"),
					wl("b-pinned", m, "gke-eu-1=OR:100"),
					wl("c-deployed", m, "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("d-shifting", m, "gke-eu-1=OR:50 gke-eu-2=OR:50"),
					wl("e-shifted", m, "gke-eu-1=OR:0 gke-eu-2=OR:100"),
					wl("f-cleaned-up", m, "gke-eu-2=OR:100"),
					wl("g-done", "", "gke-eu-2=OR:100"),
					wl("h-rolled-back", "", "gke-eu-1=OR:100"),
					wl("i-worker-deployed", m, "gke-eu-1=OR gke-eu-2=OR"),
					wl("j-other-cluster", m, "gke-eu-1=OR:30 gke-eu-2=OR:30 gke-us-1=OR:40"),
					wl("k-rolled-back-traffic", "rb-history", "gke-eu-1=OR:100 gke-eu-2=OR:0"),
					wl("l-undeployed", "rb-history", "gke-eu-1=OR:100"),
					wl("n-unpinned", "", "gke-eu-1=OR:100"),
				},
				History: []planner.Event{
					ev(m, "h-rolled-back", "pin", "h100000000", 5*h),
					ev(m, "h-rolled-back", "rollback", "h200000000", 4*h),
					ev(m, "h-rolled-back", "undeploy", "h300000000", 3*h),
					ev(m, "h-rolled-back", "unpin", "h400000000", 2*h),
					ev("rb-history", "k-rolled-back-traffic", "pin", "k100000000", 5*h),
					ev("rb-history", "k-rolled-back-traffic", "rollback", "k200000000", 1*min),
					ev("rb-history", "l-undeployed", "rollback", "l100000000", 5*h),
					ev("rb-history", "l-undeployed", "undeploy", "l200000000", 1*min),
					ev("rb-history", "n-unpinned", "rollback", "n100000000", 5*h),
					ev("rb-history", "n-unpinned", "undeploy", "n200000000", 4*h),
					ev("rb-history", "n-unpinned", "unpin", "n300000000", 3*h),
				},
			},
		},
		{
			name: "auto-rollback",
			desc: "A target reported Degraded after a stage starts a rollback (traffic back, or undeploy without traffic);\n" +
				"a Degraded report at an older commit is superseded by the reports at the last stage's commit.",
			in: planner.Input{
				Now:        now,
				HealthGate: true,
				Migrations: []planner.Migration{mig(m, eu1, []string{eu2, eu3}, "a-shifting", "b-worker", "c-old-degraded", "d-shifted")},
				Workloads: []planner.WorkloadState{
					wl("a-shifting", m, "gke-eu-1=OR:90 gke-eu-2=OR:5 gke-eu-3=OR:5"),
					wl("b-worker", m, "gke-eu-1=OR gke-eu-2=OR gke-eu-3=OR"),
					wl("c-old-degraded", m, "gke-eu-1=OR:90 gke-eu-2=OR:5 gke-eu-3=OR:5"),
					wl("d-shifted", m, "gke-eu-1=OR:0 gke-eu-2=OR:50 gke-eu-3=OR:50"),
				},
				History: []planner.Event{
					ev(m, "a-shifting", "shift-10", "abc1234aaa", h),
					ev(m, "b-worker", "deploy", "bbb0000000", h),
					ev(m, "c-old-degraded", "deploy", "c000000000", 2*h),
					ev(m, "c-old-degraded", "shift-10", "c100000000", h),
					ev(m, "d-shifted", "shift-100", "ddd0000000", 5*min),
				},
				Health: []planner.Observation{
					obs("a-shifting", eu2, "abc1234aaa", planner.Healthy),
					obs("a-shifting", eu3, "abc1234aaa", planner.Degraded),
					obs("b-worker", eu2, "ba00000000", planner.Degraded),
					obs("c-old-degraded", eu2, "c000000000", planner.Degraded),
					obs("c-old-degraded", eu2, "c100000000", planner.Healthy),
					obs("c-old-degraded", eu3, "c100000000", planner.Healthy),
					obs("d-shifted", eu2, "ddd0000000", planner.Degraded),
				},
			},
		},
		{
			name: "tail",
			desc: "After a Migration is done with a workload, later Migrations may move it on: a-eu-1-to-eu-2 moved w\n" +
				"and rolled back x, b-eu-2-to-eu-3 now moves both; the first keeps them Done and RolledBack\n" +
				"(x is on gke-eu-1, which b-eu-2-to-eu-3 cannot explain).",
			in: planner.Input{
				Now: now,
				Migrations: []planner.Migration{
					mig("a-eu-1-to-eu-2", eu1, to2, "w", "x"),
					mig("b-eu-2-to-eu-3", eu2, []string{eu3}, "w", "x"),
				},
				Workloads: []planner.WorkloadState{
					wl("w", "b-eu-2-to-eu-3", "gke-eu-3=OR:100"),
					wl("x", "b-eu-2-to-eu-3", "gke-eu-1=OR:100"),
				},
				History: []planner.Event{
					ev("a-eu-1-to-eu-2", "w", "pin", "w100000000", 9*h),
					ev("a-eu-1-to-eu-2", "w", "deploy", "w200000000", 8*h),
					ev("a-eu-1-to-eu-2", "w", "shift-100", "w300000000", 7*h),
					ev("a-eu-1-to-eu-2", "w", "cleanup", "w400000000", 6*h),
					ev("a-eu-1-to-eu-2", "w", "unpin", "w500000000", 5*h),
					ev("a-eu-1-to-eu-2", "x", "pin", "x100000000", 9*h),
					ev("a-eu-1-to-eu-2", "x", "rollback", "x200000000", 8*h),
					ev("a-eu-1-to-eu-2", "x", "unpin", "x300000000", 7*h),
					ev("b-eu-2-to-eu-3", "w", "pin", "w600000000", 4*h),
					ev("b-eu-2-to-eu-3", "w", "deploy", "w700000000", 3*h),
					ev("b-eu-2-to-eu-3", "w", "shift-100", "w800000000", 2*h),
					ev("b-eu-2-to-eu-3", "w", "cleanup", "w900000000", 1*h),
				},
			},
		},
	}
}
