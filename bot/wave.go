package bot

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/planner"
)

// GroupWave is pullRequests.group for one pull request per stage for all
// the workloads of a wave.
const GroupWave = "wave"

// groups orders the plan's actions into pull requests: one action each,
// or with group: wave, the actions of one Migration, stage and wave
// together.
func (b *Bot) groups(s *Snapshot) [][]planner.Action {
	wave := s.Repo.Config.PullRequests.Group == GroupWave
	var out [][]planner.Action
	at := map[string]int{}
	for _, e := range s.Plan.Entries {
		if e.Next == nil {
			continue
		}
		a := *e.Next
		if !wave {
			out = append(out, []planner.Action{a})
			continue
		}
		key := convention.WaveBranch(a.Migration, b.waveOf(s, a), a.Stage)
		if i, ok := at[key]; ok {
			out[i] = append(out[i], a)
			continue
		}
		at[key] = len(out)
		out = append(out, []planner.Action{a})
	}
	return out
}

// waveOf is the wave of an action's workload (planner.Migration.Wave).
func (b *Bot) waveOf(s *Snapshot, a planner.Action) int {
	for i := range s.Input.Migrations {
		if m := &s.Input.Migrations[i]; m.Name == a.Migration {
			return m.Wave(a.Workload)
		}
	}
	return 1
}

func workloadsOf(acts []planner.Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.Workload
	}
	return out
}

// sortedChanges are the changes by path, in path order.
func sortedChanges(byPath map[string]gitops.Change) []gitops.Change {
	out := make([]gitops.Change, 0, len(byPath))
	for _, p := range slices.Sorted(maps.Keys(byPath)) {
		out = append(out, byPath[p])
	}
	return out
}

// carryWave makes one stage for several workloads in one commit and one
// pull request, with a Ferry-Workload trailer per workload.
func (b *Bot) carryWave(ctx context.Context, s *Snapshot, acts []planner.Action) (Outcome, error) {
	first := acts[0]
	out := Outcome{Action: first, Branch: convention.WaveBranch(first.Migration, b.waveOf(s, first), first.Stage), Workloads: workloadsOf(acts)}
	// Each workload's edit is made on the tree with the earlier ones
	// applied: workloads of a wave may share a file (an ApplicationSet of
	// the environment, a hub's file per cluster), and the later edit of
	// it then holds both.
	byPath := map[string]gitops.Change{}
	var edits []*gitops.Edit
	var made []planner.Action
	for _, a := range acts {
		cur := *s
		cur.Repo = s.Repo.At(gitops.Overlay(s.Repo.FS(), sortedChanges(byPath)))
		e, err := b.Edit(ctx, &cur, a)
		if errors.Is(err, gitops.ErrNoChange) {
			continue // nothing to do for this one in the tree as it is now
		}
		if err != nil {
			if out.Failed == nil {
				out.Failed = map[string]error{}
			}
			out.Failed[a.Workload] = err // this workload only: the wave goes on without it
			continue
		}
		edits = append(edits, e)
		made = append(made, a)
		for _, c := range e.Changes {
			byPath[c.Path] = c
		}
	}
	changes := sortedChanges(byPath)
	if len(made) == 0 {
		if len(out.Failed) == 0 {
			out.Skipped = "the stage changes nothing in the tree as it is now"
		}
		return out, nil
	}
	acts = made
	out.Workloads = workloadsOf(acts)
	msg := b.waveMessage(s, acts, edits)
	if b.opts.DryRun {
		return out, nil
	}
	body := func() string { return b.waveBody(s, acts, edits) }
	return b.land(ctx, s, out, changes, msg, body)
}
