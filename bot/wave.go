package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
		key := WaveBranch(a.Migration, b.waveOf(s, a), a.Stage)
		if i, ok := at[key]; ok {
			out[i] = append(out[i], a)
			continue
		}
		at[key] = len(out)
		out = append(out, []planner.Action{a})
	}
	return out
}

// WaveBranch is the branch of a wave's stage:
// ferry/<migration>/wave-<n>/<stage>.
func WaveBranch(migration string, n int, st planner.Stage) string {
	return fmt.Sprintf("ferry/%s/wave-%d/%s", migration, n, st)
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

// carryWave makes one stage for several workloads in one commit and one
// pull request, with a Ferry-Workload trailer per workload.
func (b *Bot) carryWave(ctx context.Context, s *Snapshot, acts []planner.Action) (Outcome, error) {
	first := acts[0]
	out := Outcome{Action: first, Branch: WaveBranch(first.Migration, b.waveOf(s, first), first.Stage), Workloads: workloadsOf(acts)}
	var changes []gitops.Change
	var edits []*gitops.Edit
	var made []planner.Action
	for _, a := range acts {
		e, err := b.Edit(ctx, s, a)
		if errors.Is(err, gitops.ErrNoChange) {
			continue // nothing to do for this one in the tree as it is now
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", a.Workload, err)
		}
		edits = append(edits, e)
		made = append(made, a)
		changes = append(changes, e.Changes...)
	}
	if len(made) == 0 {
		out.Skipped = "the stage changes nothing in the tree as it is now"
		return out, nil
	}
	acts = made
	out.Workloads = workloadsOf(acts)
	msg := b.waveMessage(s, acts, edits)
	if b.opts.DryRun {
		return out, nil
	}
	body := func() string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "This pull request makes stage `%s` for %d workloads of migration `%s` at once (`pullRequests.group: wave`): %s.\n\n",
			first.Stage, len(acts), first.Migration, strings.Join(out.Workloads, ", "))
		for i, a := range acts {
			fmt.Fprintf(&sb, "<details><summary>%s</summary>\n\n%s\n</details>\n\n", a.Workload, b.body(s, a, edits[i]))
		}
		return sb.String()
	}
	return b.land(ctx, s, out, changes, msg, body)
}

// waveMessage is the commit message of a wave's stage.
func (b *Bot) waveMessage(s *Snapshot, acts []planner.Action, edits []*gitops.Edit) Message {
	first := acts[0]
	var body strings.Builder
	for i, a := range acts {
		m := b.message(s, a, edits[i])
		fmt.Fprintf(&body, "%s: %s\n", a.Workload, strings.TrimPrefix(m.Subject, fmt.Sprintf("ferry(%s): %s: ", a.Migration, a.Workload)))
	}
	fmt.Fprintf(&body, "\n%s: %s\n", TrailerMigration, first.Migration)
	for _, a := range acts {
		fmt.Fprintf(&body, "%s: %s\n", TrailerWorkload, a.Workload)
	}
	fmt.Fprintf(&body, "%s: %s", TrailerStage, first.Stage)
	n := b.waveOf(s, first)
	return Message{Subject: fmt.Sprintf("ferry(%s): wave %d: %s for %d workloads", first.Migration, n, stageWords(first), len(acts)), Body: body.String()}
}

func stageWords(a planner.Action) string {
	if a.Stage.Kind == planner.Shift {
		return fmt.Sprintf("shift %d%% of traffic to %s", a.Stage.Percent, strings.Join(a.To, ", "))
	}
	return a.Stage.String()
}
