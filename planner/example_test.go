package planner_test

import (
	"fmt"
	"os"
	"time"

	"github.com/ferry-dev/ferry/planner"
)

func ExampleMake() {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	p := planner.Make(planner.Input{
		Now: now,
		Migrations: []planner.Migration{{
			Name:      "eu-1-to-eu-2",
			From:      "gke-eu-1",
			To:        []string{"gke-eu-2"},
			Workloads: []string{"playlist-api", "recs-model"},
			Steps:     []int{10, 50, 100},
			Soak:      30 * time.Minute,
		}},
		Workloads: []planner.WorkloadState{
			{
				Name:     "playlist-api",
				PinnedBy: "eu-1-to-eu-2",
				Clusters: map[string]planner.Presence{
					"gke-eu-1": {Overlay: true, Registration: true},
					"gke-eu-2": {Overlay: true, Registration: true},
				},
				Weights: map[string]int{"gke-eu-1": 90, "gke-eu-2": 10},
			},
			{
				Name:     "recs-model",
				Clusters: map[string]planner.Presence{"gke-eu-1": {Overlay: true, Registration: true}},
				Weights:  map[string]int{"gke-eu-1": 100},
				Problems: []string{"Deployment/recs-model nodeSelector accelerator nvidia-tesla-a100 not on gke-eu-2"},
			},
		},
		History: []planner.Event{{
			Migration: "eu-1-to-eu-2",
			Workload:  "playlist-api",
			Stage:     planner.Stage{Kind: planner.Shift, Percent: 10},
			Commit:    "3f2a1c0e5d",
			Time:      now.Add(-45 * time.Minute),
		}},
	})
	if err := p.WriteText(os.Stdout); err != nil {
		fmt.Println(err)
	}
	fmt.Println(p.Entries[0].Next.Weights, p.Entries[0].Next.Gates)
	// Output:
	// MIGRATION     WORKLOAD      PHASE        SHARE  NEXT/WAIT
	// eu-1-to-eu-2  playlist-api  shifting     10%    shift-50
	// eu-1-to-eu-2  recs-model    not-started  0%     wait: validation: Deployment/recs-model nodeSelector accelerator nvidia-tesla-a100 not on gke-eu-2
	// map[gke-eu-1:50 gke-eu-2:50] [soak 45m of 30m]
}
