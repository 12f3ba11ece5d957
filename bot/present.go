package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/planner"
)

// what says in words what a stage does, for the commit subject.
func what(a planner.Action) string {
	to := strings.Join(a.To, ", ")
	switch a.Stage.Kind {
	case planner.Pin:
		return fmt.Sprintf("pin for the move from %s to %s", a.From, to)
	case planner.Deploy:
		return fmt.Sprintf("deploy to %s alongside %s", to, a.From)
	case planner.Shift:
		return fmt.Sprintf("shift %d%% of traffic to %s", a.Stage.Percent, to)
	case planner.Cleanup:
		return fmt.Sprintf("remove from %s", a.From)
	case planner.Unpin:
		return fmt.Sprintf("unpin, moved to %s", to)
	case planner.Rollback:
		return fmt.Sprintf("roll all traffic back to %s", a.From)
	case planner.Undeploy:
		return fmt.Sprintf("remove from %s after the rollback", to)
	}
	return a.Stage.String()
}

// message is the commit message of a stage: the subject of DESIGN.md
// section 4, what changed, and the trailers.
func (b *Bot) message(s *Snapshot, a planner.Action, e *gitops.Edit) Message {
	var body strings.Builder
	if len(a.Gates) > 0 {
		fmt.Fprintf(&body, "Gates: %s.\n", joinGates(a.Gates, "; "))
	}
	if len(a.Weights) > 0 {
		fmt.Fprintf(&body, "Weights: %s.\n", formatWeights(a.Weights))
	}
	for _, r := range e.Removals {
		fmt.Fprintf(&body, "Removal: %s\n", r)
	}
	if body.Len() > 0 {
		body.WriteString("\n")
	}
	body.WriteString(convention.Trailers{Migration: a.Migration, Workloads: []string{a.Workload}, Stage: a.Stage.String()}.String())
	return Message{Subject: convention.Subject(a.Migration, a.Workload, what(a)), Body: body.String()}
}

func joinGates(gs []planner.Gate, sep string) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.String()
	}
	return strings.Join(parts, sep)
}

func formatWeights(w map[string]int) string {
	var parts []string
	for _, c := range sortedKeys(w) {
		parts = append(parts, fmt.Sprintf("%s=%d", c, w[c]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stages lists the stages of a migration for a workload, in order.
func stages(m *gitops.Migration, traffic bool) []planner.Stage {
	out := []planner.Stage{{Kind: planner.Pin}, {Kind: planner.Deploy}}
	if traffic {
		for _, p := range m.Spec.Steps {
			out = append(out, planner.Stage{Kind: planner.Shift, Percent: p})
		}
	}
	return append(out, planner.Stage{Kind: planner.Cleanup}, planner.Stage{Kind: planner.Unpin})
}

func migration(s *Snapshot, name string) *gitops.Migration {
	for _, m := range s.Repo.Migrations {
		if m.Metadata.Name == name {
			return m
		}
	}
	return nil
}

// renderTimeout bounds the builds of one pull request body.
const renderTimeout = 2 * time.Minute

// Body is the pull request's description of action a made by edit e on
// the snapshot s: see DESIGN.md section 4. It renders the overlays that e
// touches, before and after, to show the manifest diff per cluster.
func (b *Bot) Body(s *Snapshot, a planner.Action, e *gitops.Edit) string {
	return b.body(s, a, e)
}

// body is the pull request's description: which stage of how many, a
// chart of the stages, why it is safe now, what changes, what removal
// deletes, the rendered manifests per cluster, what comes next, and how
// to stop.
func (b *Bot) body(s *Snapshot, a planner.Action, e *gitops.Edit) string {
	var sb strings.Builder
	m := migration(s, a.Migration)
	st := s.States[a.Workload]
	hasTraffic := st != nil && st.Weights != nil
	var all []planner.Stage
	if m != nil {
		all = stages(m, hasTraffic)
	}
	idx := slices.Index(all, a.Stage)
	if idx >= 0 {
		fmt.Fprintf(&sb, "**Stage %d of %d** of migration `%s` for `%s`: %s.\n\n", idx+1, len(all), a.Migration, a.Workload, what(a))
	} else {
		fmt.Fprintf(&sb, "**%s** in migration `%s` for `%s`: %s.\n\n", a.Stage, a.Migration, a.Workload, what(a))
	}
	if len(all) > 0 {
		sb.WriteString("```mermaid\nflowchart LR\n")
		for i, x := range all {
			style := ""
			switch {
			case i == idx:
				style = ":::current"
			case idx >= 0 && i < idx:
				style = ":::done"
			}
			fmt.Fprintf(&sb, "  s%d[%s]%s\n", i, x, style)
			if i > 0 {
				fmt.Fprintf(&sb, "  s%d --> s%d\n", i-1, i)
			}
		}
		sb.WriteString("  classDef done fill:#d3f9d8\n  classDef current fill:#ffd43b,stroke:#e67700\n```\n\n")
	}
	sb.WriteString("### Why it is safe now\n\n")
	if len(a.Gates) == 0 {
		sb.WriteString("- no gate applies to this stage\n")
	}
	for _, g := range a.Gates {
		fmt.Fprintf(&sb, "- %s\n", mdText(g.String()))
	}
	sb.WriteString("\n### What changes\n\n")
	for _, c := range e.Changes {
		if c.Delete {
			fmt.Fprintf(&sb, "- delete %s\n", code(c.Path))
		}
	}
	for _, r := range e.Results {
		switch {
		case r.Old == "":
			fmt.Fprintf(&sb, "- %s %s: add %s\n", code(fmt.Sprintf("%s:%d", r.File, r.Line)), code(r.Path), code(r.New))
		case r.New == "":
			fmt.Fprintf(&sb, "- %s %s: remove %s\n", code(fmt.Sprintf("%s:%d", r.File, r.Line)), code(r.Path), code(r.Old))
		default:
			fmt.Fprintf(&sb, "- %s %s: %s → %s\n", code(fmt.Sprintf("%s:%d", r.File, r.Line)), code(r.Path), code(r.Old), code(r.New))
		}
	}
	for _, d := range e.Built {
		fmt.Fprintf(&sb, "- %s is new and builds\n", code(d))
	}
	for _, d := range e.Parents {
		fmt.Fprintf(&sb, "- %s reads a changed file and still builds\n", code(d))
	}
	for _, u := range e.Unverified {
		fmt.Fprintf(&sb, "- not validated (validate.unverifiable: proceed; health and soak alone gate it): %s\n", mdText(u))
	}
	if len(e.Derivation) > 0 {
		sb.WriteString("\n### How the target is derived\n\n")
		sb.WriteString(derivation(e.Derivation))
	}
	if len(e.Leftovers) > 0 {
		sb.WriteString("\nPlease check these lines of the derived files; they still mention the source cluster:\n\n")
		for _, l := range e.Leftovers {
			fmt.Fprintf(&sb, "- %s\n", code(l.String()))
		}
	}
	if len(e.Removals) > 0 {
		sb.WriteString("\n### What the removal deletes\n\n")
		for _, r := range e.Removals {
			fmt.Fprintf(&sb, "- %s\n", mdText(r))
		}
	}
	var tail strings.Builder
	tail.WriteString("\n### What comes next\n\n")
	if idx >= 0 && idx+1 < len(all) {
		next := all[idx+1]
		fmt.Fprintf(&tail, "`%s`, once this is merged", next)
		if next.Kind == planner.Shift || next.Kind == planner.Cleanup {
			// The gates of planner's gateForward for these two stages.
			if m != nil && m.Spec.Soak.Duration > 0 {
				soak := m.Spec.Soak.Duration
				fmt.Fprintf(&tail, " and has soaked for %s", planner.FormatDuration(soak, min(soak, time.Minute)))
			}
			if s.Input.HealthGate {
				tail.WriteString(", with every target reporting the workload healthy at its commit")
			}
		}
		tail.WriteString(".\n")
	} else {
		tail.WriteString("Nothing: this is the last stage.\n")
	}
	fmt.Fprintf(&tail, "\n### How to stop it\n\n- pause this workload: add the `%s` label to this pull request\n- pause the migration: set `spec.paused: true` in %s\n- roll back: set `spec.abort: true` there; ferry puts all traffic back on the source and removes the targets\n", convention.HoldLabel, migFile(m))
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	writeManifestDiffs(&sb, b.manifestDiffs(ctx, s, a, e), maxBody-sb.Len()-tail.Len())
	sb.WriteString(tail.String())
	return sb.String()
}

func migFile(m *gitops.Migration) string {
	if m == nil {
		return "the Migration"
	}
	return code(m.File)
}

// derivation lists each replacement of a derivation once, with the
// places it was made: "- `gke-eu-1` → `gke-eu-2` (name): `f:3`, `g:7`".
func derivation(rs []gitops.Replacement) string {
	type key struct{ old, new, key string }
	var order []key
	at := map[key][]string{}
	for _, r := range rs {
		k := key{r.Old, r.New, r.Key}
		if r.Within != "" {
			k.key += ", inside " + r.Within
		}
		if _, ok := at[k]; !ok {
			order = append(order, k)
		}
		at[k] = append(at[k], code(fmt.Sprintf("%s:%d", r.File, r.Line)))
	}
	var sb strings.Builder
	for _, k := range order {
		fmt.Fprintf(&sb, "- %s → %s (%s): %s\n", code(k.old), code(k.new), mdText(k.key), strings.Join(at[k], ", "))
	}
	return sb.String()
}

// code renders repo text as one inline code span, which GitHub shows as
// it is: no mention, link, markup or HTML. The fence is longer than any
// run of backticks in s, and a line break becomes a space.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText renders text that may hold repo text (file names, values) as
// plain Markdown prose: markup characters are escaped, and @, # and URLs
// get a zero-width space so GitHub neither mentions, links an issue nor
// autolinks.
func mdText(s string) string {
	var b strings.Builder
	t := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	for i, r := range t {
		switch {
		case strings.ContainsRune("\\`*_{}[]<>()#+!|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
			if r == '#' {
				b.WriteString("\u200b")
			}
		case r == '@':
			b.WriteString("@\u200b")
		case r == ':' && strings.HasPrefix(t[i:], "://"):
			b.WriteString(":\u200b")
		default:
			b.WriteRune(r)
		}
	}
	return strings.ReplaceAll(b.String(), "www.", "www\u200b.")
}

// waveMessage is the commit message of a wave's stage.
func (b *Bot) waveMessage(s *Snapshot, acts []planner.Action, edits []*gitops.Edit) Message {
	first := acts[0]
	var body strings.Builder
	for i, a := range acts {
		m := b.message(s, a, edits[i])
		fmt.Fprintf(&body, "%s: %s\n", a.Workload, strings.TrimPrefix(m.Subject, convention.Subject(a.Migration, a.Workload, "")))
	}
	body.WriteString("\n")
	body.WriteString(convention.Trailers{Migration: first.Migration, Workloads: workloadsOf(acts), Stage: first.Stage.String()}.String())
	return Message{Subject: convention.WaveSubject(first.Migration, b.waveOf(s, first), stageWords(first), len(acts)), Body: body.String()}
}

func stageWords(a planner.Action) string {
	if a.Stage.Kind == planner.Shift {
		return fmt.Sprintf("shift %d%% of traffic to %s", a.Stage.Percent, strings.Join(a.To, ", "))
	}
	return a.Stage.String()
}

// waveBody is the pull request's description of a wave's stage: each
// workload's body, folded.
func (b *Bot) waveBody(s *Snapshot, acts []planner.Action, edits []*gitops.Edit) string {
	first := acts[0]
	var sb strings.Builder
	fmt.Fprintf(&sb, "This pull request makes stage `%s` for %d workloads of migration `%s` at once (`pullRequests.group: wave`): %s.\n\n",
		first.Stage, len(acts), first.Migration, strings.Join(workloadsOf(acts), ", "))
	for i, a := range acts {
		fmt.Fprintf(&sb, "<details><summary>%s</summary>\n\n%s\n</details>\n\n", a.Workload, b.body(s, a, edits[i]))
	}
	return sb.String()
}

// pauseMarker ends every comment in which ferry explains a pause, so it
// says so once.
const pauseMarker = "<!-- ferry: paused -->"

// pauseComment is the comment that explains why pr pauses e's workload and
// how to resume; "" when a person's label holds it, which needs no word.
func pauseComment(e planner.Entry, pr *planner.PR) string {
	var why string
	switch {
	case pr.State == planner.PRClosed:
		why = fmt.Sprintf("ferry paused `%s` in migration `%s`: this pull request was closed without merging, and ferry never opens it again by itself.\n\n"+
			"To resume, reopen this pull request: ferry regenerates it from the base branch on its next run. "+
			"To stop the migration instead, set `spec.paused: true` (or `spec.abort: true` to roll back) in the Migration.", e.Workload, e.Migration)
	case pr.Foreign:
		why = fmt.Sprintf("ferry paused `%s` in migration `%s`: the head of this pull request is a commit ferry did not write, and ferry merges only its own commits.\n\n"+
			"To resume, close this pull request and delete its branch: ferry opens a new one from the base branch. "+
			"To keep the change, make it in a pull request of its own after the migration.", e.Workload, e.Migration)
	default:
		return ""
	}
	return why + "\n\n" + pauseMarker
}

// holdComment says why ferry turned auto-merge off on pr.
func holdComment(pr PullRequest) string {
	return fmt.Sprintf("ferry turned auto-merge off: the head %s is not a commit ferry wrote for %s, and ferry merges only its own commits. "+
		"To go on, close this pull request and delete the branch; ferry opens it again from the base branch.", short(pr.Head), code(pr.Branch)) + "\n\n" + pauseMarker
}

func (b *Bot) progress(o Outcome) {
	if b.opts.Progress == nil {
		return
	}
	a := o.Action
	for _, w := range slices.Sorted(maps.Keys(o.Failed)) {
		fmt.Fprintf(b.opts.Progress, "%s: %s: failed: %v\n", w, a.Stage, o.Failed[w])
	}
	if len(o.Failed) > 0 && o.Commit.IsZero() {
		return // nothing else was made
	}
	if len(o.Workloads) > 0 {
		a.Workload = strings.Join(o.Workloads, ", ")
	}
	switch {
	case o.Skipped != "":
		fmt.Fprintf(b.opts.Progress, "%s: %s: skipped: %s\n", a.Workload, a.Stage, o.Skipped)
	case b.opts.DryRun:
		fmt.Fprintf(b.opts.Progress, "%s: %s: would commit on %s\n", a.Workload, a.Stage, o.Branch)
	case o.Merged:
		fmt.Fprintf(b.opts.Progress, "%s: %s: merged %s\n", a.Workload, a.Stage, short(o.Commit))
	default:
		fmt.Fprintf(b.opts.Progress, "%s: %s: pull request %s open at %s\n", a.Workload, a.Stage, o.Branch, short(o.Commit))
	}
}
