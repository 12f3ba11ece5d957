package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/planner"
)

// cannotSay is a health provider that cannot read one workload's health
// (its Application is missing, its API answers 403) and reports the
// others healthy.
type cannotSay struct{ workload string }

func (h cannotSay) Observe(_ context.Context, workload, cluster string, _ plumbing.Hash) (planner.Health, error) {
	if workload == h.workload {
		return planner.Unknown, errors.New("applications.argoproj.io \"" + workload + "-" + cluster + "\" is forbidden")
	}
	return planner.Healthy, nil
}

// A health provider's error about one workload holds that workload, the
// plan saying why, and the others go on: the run does not fail.
func TestHealthErrorHoldsOneWorkload(t *testing.T) {
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := newRepo(t, fsys)
	clk := &clock{t: epoch}
	local := &bot.Local{Repo: repo, Base: "main", Author: bot.DefaultAuthor, Now: clk.Now}
	b, err := bot.New(repo, bot.Options{Forge: local, Now: clk.Now, Health: cannotSay{workload: "playlist-api"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(t.Context(), false)
	if err != nil {
		t.Fatalf("run: %v, want the other workloads to go on", err)
	}
	held := false
	for _, e := range rep.Plan.Entries {
		if e.Workload == "playlist-api" {
			if e.Wait == nil || e.Wait.Kind != planner.GateHealthy || !strings.Contains(e.Wait.String(), "health unknown: applications.argoproj.io \"playlist-api-gke-eu-1\" is forbidden") {
				t.Errorf("playlist-api waits on %v, want its health unknown with the provider's error", e.Wait)
			}
			held = true
		}
	}
	if !held {
		t.Error("playlist-api is not in the plan")
	}
	if rep.Merged() == 0 {
		t.Error("no stage landed: the other workloads did not go on")
	}
}
