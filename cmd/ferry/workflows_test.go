package main

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/fixtures"
)

// The sample repos' GitHub workflows call ferry; every command and flag
// they use must exist, or a user copying them gets a failing job.
func TestSampleWorkflowsCallRealCommands(t *testing.T) {
	for _, name := range fixtures.Names() {
		fsys, err := fixtures.Repo(name)
		if err != nil {
			t.Fatal(err)
		}
		files, err := fs.Glob(fsys, ".github/workflows/*.yml")
		if err != nil || len(files) < 2 {
			t.Fatalf("%s: workflows %v, %v; want the planner and the PR check", name, files, err)
		}
		calls := 0
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				t.Fatal(err)
			}
			var wf struct {
				On          map[string]any `yaml:"on"`
				Concurrency struct {
					Group string `yaml:"group"`
				} `yaml:"concurrency"`
				Jobs map[string]struct {
					Steps []struct {
						Uses string            `yaml:"uses"`
						With map[string]any    `yaml:"with"`
						Run  string            `yaml:"run"`
						Env  map[string]string `yaml:"env"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			if err := yaml.Unmarshal(data, &wf); err != nil {
				t.Fatalf("%s/%s: %v", name, f, err)
			}
			if len(wf.On) == 0 || len(wf.Jobs) == 0 {
				t.Errorf("%s/%s: no triggers or no jobs", name, f)
			}
			// The planner also runs when a gate may have opened; the check
			// also gates a merge queue.
			want := map[string][]string{
				"ferry.yml":       {"schedule", "pull_request", "status", "check_suite"},
				"ferry-check.yml": {"pull_request", "merge_group"},
			}[path.Base(f)]
			for _, on := range want {
				if _, ok := wf.On[on]; !ok {
					t.Errorf("%s/%s: not run on %s", name, f, on)
				}
			}
			if path.Base(f) == "ferry.yml" && wf.Concurrency.Group == "" {
				t.Errorf("%s/%s: the planner has no concurrency group: two runs at once", name, f)
			}
			for _, job := range wf.Jobs {
				for _, step := range job.Steps {
					// GitHub's context pasted into a shell line is a script
					// injection; it goes through env.
					if strings.Contains(step.Run, "${{") {
						t.Errorf("%s/%s: %q interpolates GitHub's context into the shell; pass it through env", name, f, step.Run)
					}
					if step.Uses != "" {
						checkPinned(t, name+"/"+f, string(data), step.Uses, step.With)
					}
					if strings.HasPrefix(step.Uses, "actions/checkout@") && step.With["persist-credentials"] != false {
						t.Errorf("%s/%s: checkout keeps its credentials; set persist-credentials: false", name, f)
					}
					for _, line := range strings.Split(step.Run, "\n") {
						args := shellWords(line)
						if len(args) == 0 || args[0] != "ferry" {
							continue
						}
						calls++
						root := newRootCmd(processEnv())
						cmd, rest, err := root.Find(args[1:])
						if err != nil || cmd == root {
							t.Errorf("%s/%s: %q: no such command (%v)", name, f, line, err)
							continue
						}
						if err := cmd.ParseFlags(rest); err != nil {
							t.Errorf("%s/%s: %q: %v", name, f, line, err)
						}
					}
				}
			}
		}
		if calls < 2 {
			t.Errorf("%s: %d ferry calls in the workflows, want ferry run and ferry check", name, calls)
		}
	}
}

// pinnedSHA is an action pinned by commit, with the release it is as a
// comment: actions/checkout@<40 hex> # v4.2.2.
var pinnedSHA = regexp.MustCompile(`@[0-9a-f]{40} # v[0-9]+\.[0-9]+\.[0-9]+$`)

// checkPinned requires every action of a sample workflow pinned by commit
// SHA, and ferry's own action at an exact release that its version input
// installs (ferry has no release commit yet for the samples to name; a
// user pins it by the release's commit like the others).
func checkPinned(t *testing.T, where, text, uses string, with map[string]any) {
	t.Helper()
	if ref, ok := strings.CutPrefix(uses, "ferry-dev/ferry@"); ok {
		if with["version"] != ref || !regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(ref) {
			t.Errorf("%s: %s installs version %v; want the action's own exact release", where, uses, with["version"])
		}
		return
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "uses: "+uses) {
			if !pinnedSHA.MatchString(strings.TrimSpace(line)) {
				t.Errorf("%s: %q is not pinned by commit SHA with its release as a comment", where, strings.TrimSpace(line))
			}
			return
		}
	}
	t.Errorf("%s: no line uses %s", where, uses)
}

// shellWords splits a command line on spaces, keeping double-quoted
// strings together (enough for a workflow's run lines).
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
