package main

import (
	"io/fs"
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
				On   map[string]any `yaml:"on"`
				Jobs map[string]struct {
					Steps []struct {
						Run string `yaml:"run"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			if err := yaml.Unmarshal(data, &wf); err != nil {
				t.Fatalf("%s/%s: %v", name, f, err)
			}
			if len(wf.On) == 0 || len(wf.Jobs) == 0 {
				t.Errorf("%s/%s: no triggers or no jobs", name, f)
			}
			for _, job := range wf.Jobs {
				for _, step := range job.Steps {
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
