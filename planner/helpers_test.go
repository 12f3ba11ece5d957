package planner_test

import (
	"strconv"
	"strings"
	"time"

	"github.com/ferry-dev/ferry/planner"
)

// now is the time every test plans for.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const (
	eu1 = "gke-eu-1"
	eu2 = "gke-eu-2"
	eu3 = "gke-eu-3"
	eu4 = "gke-eu-4"
	us1 = "gke-us-1"
)

// mig is a Migration with the defaults of the design: steps 10, 50, 100,
// soak 30m, maxInFlight 5.
func mig(name, from string, to []string, workloads ...string) planner.Migration {
	return planner.Migration{
		Name:        name,
		From:        from,
		To:          to,
		Workloads:   workloads,
		Steps:       []int{10, 50, 100},
		Soak:        30 * time.Minute,
		MaxInFlight: 5,
	}
}

// wl builds a workload from a compact description of its clusters: one
// "cluster=FLAGS[:weight]" per field, FLAGS holding O for an overlay and R
// for a registration ("-" for neither), and the weight present when the
// cluster has a traffic backend. A workload without any weight has no
// traffic.
func wl(name, pinnedBy, clusters string, problems ...string) planner.WorkloadState {
	w := planner.WorkloadState{Name: name, PinnedBy: pinnedBy, Clusters: map[string]planner.Presence{}, Problems: problems}
	for f := range strings.FieldsSeq(clusters) {
		c, rest, _ := strings.Cut(f, "=")
		flags, weight, hasWeight := strings.Cut(rest, ":")
		p := planner.Presence{Overlay: strings.Contains(flags, "O"), Registration: strings.Contains(flags, "R")}
		if p != (planner.Presence{}) {
			w.Clusters[c] = p
		}
		if hasWeight {
			n, err := strconv.Atoi(weight)
			if err != nil {
				panic(err)
			}
			if w.Weights == nil {
				w.Weights = map[string]int{}
			}
			w.Weights[c] = n
		}
	}
	return w
}

// ev is a stage commit made ago before now.
func ev(m, w, stage, commit string, ago time.Duration) planner.Event {
	st, err := planner.ParseStage(stage)
	if err != nil {
		panic(err)
	}
	return planner.Event{Migration: m, Workload: w, Stage: st, Commit: commit, Time: now.Add(-ago)}
}

func obs(w, c, commit string, h planner.Health) planner.Observation {
	return planner.Observation{Workload: w, Cluster: c, Commit: commit, State: h}
}

func pr(n int, m, w, stage string, state planner.PRState) planner.PR {
	st, err := planner.ParseStage(stage)
	if err != nil {
		panic(err)
	}
	return planner.PR{Number: n, Migration: m, Workload: w, Stage: st, State: state}
}
