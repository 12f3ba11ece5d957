package bot_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/planner"
	"github.com/ferry-dev/ferry/rewrite"
)

// snapshot loads fsys as the bot would observe it.
func snapshot(t *testing.T, fsys fs.FS) *bot.Snapshot {
	t.Helper()
	repo, err := gitops.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s := &bot.Snapshot{Repo: repo, States: map[string]*gitops.State{}}
	for _, w := range repo.Workloads {
		st, err := repo.ReadState(w)
		if err != nil {
			t.Fatal(err)
		}
		s.States[w.Name] = st
	}
	return s
}

func workload(t *testing.T, s *bot.Snapshot, name string) *gitops.Workload {
	t.Helper()
	w, ok := s.Repo.Workload(name)
	if !ok {
		t.Fatalf("no workload %s", name)
	}
	return w
}

func TestBody(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	rr := render.New()
	b, err := bot.New(nil, bot.Options{Forge: &bot.Local{}, Renderer: rr})
	if err != nil {
		t.Fatal(err)
	}
	const mig, name = "eu-1-to-eu-2", "playlist-api"
	from, to := "gke-eu-1", []string{"gke-eu-2"}
	start := snapshot(t, fsys)
	w := workload(t, start, name)

	deploy, err := start.Repo.DeployEdit(t.Context(), w, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// The tree once deployed and drained: the source at weight 0.
	drainedFS := gitops.Overlay(start.Repo.FS(), deploy.Changes)
	deployed := snapshot(t, drainedFS)
	weights, err := deployed.Repo.WeightsEdit(workload(t, deployed, name), map[string]int{"gke-eu-1": 0, "gke-eu-2": 70, "gke-us-1": 30})
	if err != nil {
		t.Fatal(err)
	}
	drained := snapshot(t, gitops.Overlay(drainedFS, weights.Changes))
	cleanup, err := drained.Repo.RemoveEdit(t.Context(), workload(t, drained, name), []string{from})
	if err != nil {
		t.Fatal(err)
	}
	pin, err := start.Repo.PinEdit(w, mig)
	if err != nil {
		t.Fatal(err)
	}
	shift, err := deployed.Repo.WeightsEdit(workload(t, deployed, name), map[string]int{"gke-eu-1": 35, "gke-eu-2": 35, "gke-us-1": 30})
	if err != nil {
		t.Fatal(err)
	}

	// A change in the base changes the Deployment on every cluster.
	deployment := "apps/playlist-api/base/deployment.yaml"
	data, err := fs.ReadFile(fsys, deployment)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "playlist-api:4.12.0") {
		t.Fatalf("%s has no image playlist-api:4.12.0", deployment)
	}
	bump := &gitops.Edit{Changes: []gitops.Change{{Path: deployment, Data: []byte(strings.ReplaceAll(string(data), "playlist-api:4.12.0", "playlist-api:4.13.0"))}}}

	action := func(k planner.Kind, gates ...planner.Gate) planner.Action {
		return planner.Action{Migration: mig, Workload: name, Stage: planner.Stage{Kind: k}, From: from, To: to, Gates: gates}
	}
	tests := []struct {
		name string
		s    *bot.Snapshot
		a    planner.Action
		e    *gitops.Edit
		want []string // substrings the body must hold
		// details lists the clusters each <details> block must name; an
		// added block must show "+" lines, a removed one "-" lines.
		details string
		sign    string
	}{
		{
			name: "deploy", s: start, a: action(planner.Deploy, planner.Gate{Kind: planner.GateHealthy, Cluster: "gke-eu-1", Commit: "3f2a1c0"}), e: deploy,
			want:    []string{"```mermaid\nflowchart LR", "- gke-eu-1 healthy at 3f2a1c0", "### Rendered manifests", "- `gke-eu-2`: new overlay `apps/playlist-api/overlays/gke-eu-2`"},
			details: "gke-eu-2", sign: "+",
		},
		{
			name: "cleanup", s: drained, a: action(planner.Cleanup, planner.Gate{Kind: planner.GateSoak, Elapsed: 31 * time.Minute, Soak: 30 * time.Minute}), e: cleanup,
			want:    []string{"```mermaid\nflowchart LR", "- soak 31m of 30m", "- `gke-eu-1`: overlay `apps/playlist-api/overlays/gke-eu-1` removed"},
			details: "gke-eu-1", sign: "-",
		},
		{
			name: "pin", s: start, a: action(planner.Pin), e: pin,
			want: []string{"```mermaid\nflowchart LR", "- no gate applies to this stage", "`kustomize build` renders the same on every cluster before and after."},
		},
		{
			name: "shift", s: deployed, a: planner.Action{Migration: mig, Workload: name, Stage: planner.Stage{Kind: planner.Shift, Percent: 50}, From: from, To: to}, e: shift,
			want: []string{"traffic/playlist-api.yaml"},
		},
		{
			name: "base change", s: start, a: action(planner.Shift), e: bump,
			want: []string{
				"<details><summary>gke-eu-1: Deployment/playlist/playlist-api (+1 -1)</summary>",
				"<details><summary>gke-us-1: Deployment/playlist/playlist-api (+1 -1)</summary>",
				"-        image: eu.gcr.io/music-shared/playlist-api:4.12.0\n+        image: eu.gcr.io/music-shared/playlist-api:4.13.0\n",
			},
		},
	}
	summary := regexp.MustCompile(`<details><summary>([^:]+): (\S+) \(\+(\d+) -(\d+)\)</summary>`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.Body(tt.s, tt.a, tt.e)
			if len(got) >= 65536 {
				t.Errorf("Body is %d bytes, over GitHub's limit", len(got))
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Body does not say %q:\n%s", w, got)
				}
			}
			blocks := strings.Split(got, "<details>")[1:]
			if tt.name == "base change" {
				if len(blocks) != 2 {
					t.Errorf("Body has %d <details> blocks, want 2:\n%s", len(blocks), got)
				}
				return
			}
			if tt.details == "" {
				if len(blocks) > 0 {
					t.Errorf("Body has %d <details> blocks, want none:\n%s", len(blocks), got)
				}
				if strings.Contains(got, "### Rendered manifests") && !strings.Contains(got, "renders the same") {
					t.Errorf("Body shows rendered manifests for a stage that renders nothing:\n%s", got)
				}
				return
			}
			if len(blocks) < 3 {
				t.Fatalf("Body has %d <details> blocks, want one per object of the overlay:\n%s", len(blocks), got)
			}
			for _, blk := range blocks {
				m := summary.FindStringSubmatch("<details>" + blk)
				if m == nil {
					t.Errorf("block without a summary:\n%s", blk)
					continue
				}
				if m[1] != tt.details {
					t.Errorf("block %s names cluster %s, want %s", m[2], m[1], tt.details)
				}
				if (tt.sign == "+" && m[4] != "0") || (tt.sign == "-" && m[3] != "0") {
					t.Errorf("block %s is not all %s: (+%s -%s)", m[2], tt.sign, m[3], m[4])
				}
				if !strings.Contains(blk, "```diff\n@@ ") || !strings.Contains(blk, "\n"+tt.sign+"kind: ") || !strings.Contains(blk, "</details>") {
					t.Errorf("block %s has no %q diff of the object:\n%s", m[2], tt.sign, blk)
				}
			}
			if !strings.Contains(got, tt.details+": Deployment/") {
				t.Errorf("Body has no block for the Deployment on %s:\n%s", tt.details, got)
			}
		})
	}
}

// Repo text in a pull request body (file names, YAML keys and values, a
// registration's removal) cannot mention anyone, link, or add markup: it
// is in code spans, or escaped.
func TestBodyEscapesRepoText(t *testing.T) {
	t.Parallel()
	fsys, err := fixtures.Repo(fixtures.AppSetHTTPRoute)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(nil, bot.Options{Forge: &bot.Local{}})
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot(t, fsys)
	const evil = "@octocat ``[x](https://evil.example)`` <img src=x> #1"
	e := &gitops.Edit{
		Changes:  []gitops.Change{{Path: "apps/x/" + evil + ".yaml", Delete: true}},
		Results:  []rewrite.Result{{File: "apps/" + evil, Line: 3, Path: `.metadata.annotations["` + evil + `"]`, Old: evil, New: "`\n::warning::" + evil}},
		Removals: []string{"gke-eu-1: " + evil},
	}
	a := planner.Action{Migration: "eu-1-to-eu-2", Workload: "playlist-api", Stage: planner.Stage{Kind: planner.Cleanup}, From: "gke-eu-1", To: []string{"gke-eu-2"}}
	body := b.Body(s, a, e)
	prose := withoutCodeSpans(body)
	for _, bad := range []string{"@octocat", "](https://", "#1"} {
		if strings.Contains(prose, bad) {
			t.Errorf("the body has %q outside a code span:\n%s", bad, prose)
		}
	}
	if unescaped := regexp.MustCompile("(^|[^\\\\])[<`]"); unescaped.MatchString(strings.ReplaceAll(prose, "```", "")) {
		t.Errorf("the body has an unescaped < or ` outside code:\n%s", prose)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("a body line starts a workflow command: %q", line)
		}
	}
}

// withoutCodeSpans replaces each inline code span of body (a run of
// backticks up to the next run of the same length, as CommonMark reads
// them) and each fenced block by "CODE".
func withoutCodeSpans(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); {
		if body[i] != '`' {
			b.WriteByte(body[i])
			i++
			continue
		}
		n := 0
		for i+n < len(body) && body[i+n] == '`' {
			n++
		}
		fence := body[i : i+n]
		end := -1
		for j := i + n; j < len(body); {
			k := strings.Index(body[j:], fence)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(body) && body[k+m] == '`' {
				m++
			}
			if m == n {
				end = k
				break
			}
			j = k + m
		}
		if end < 0 {
			b.WriteString(fence)
			i += n
			continue
		}
		b.WriteString("CODE")
		i = end + n
	}
	return b.String()
}
