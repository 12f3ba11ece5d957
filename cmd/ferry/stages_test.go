package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/render"
)

// TestStagesEndToEnd migrates every sample repo to the end with ferry run
// --forge local on a virtual clock, merging what waits for a reviewer as
// one would (git merge), and compares the commits that land on main,
// subject and diff, with testdata/stages/FIXTURE.diff. After every stage,
// each kustomization that reads a file the stage changed (a parent list,
// an overlay, a workload's folder) must build with kubectl kustomize and
// with krusty, to the same YAML (with krusty alone where kubectl is not
// installed).
//
// go test ./cmd/ferry -run TestStagesEndToEnd -update rewrites the diffs.
func TestStagesEndToEnd(t *testing.T) {
	// Without kubectl (.ci/run installs it where Debian has it) the stages
	// still run and must build with krusty; the comparison waits for it.
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not on PATH: each stage is built with krusty alone")
	}
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := fixtures.WriteRepo(dir, name); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "init", "-q", "-b", "main")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-q", "-m", "Deployment repo")
			first := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))

			clk := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			argo := fakeArgoCD(t, dir)
			vars := map[string]string{"ARGOCD_SERVER": argo, "ARGOCD_AUTH_TOKEN": "test-token"}
			e := processEnv()
			e.getenv = func(k string) string { return vars[k] }
			e.now = func() time.Time { return clk }
			finished := false
			for pass := 0; pass < 60 && !finished; pass++ {
				var stdout, stderr bytes.Buffer
				if code := runWith(t.Context(), e, []string{"run", "-C", dir}, nil, &stdout, &stderr); code != exitOK {
					t.Fatalf("pass %d: ferry run exited %d:\n%s%s", pass, code, stdout.String(), stderr.String())
				}
				// What waits for a reviewer is merged as one would.
				for _, br := range strings.Fields(git(t, dir, "for-each-ref", "--format=%(refname:short)", "refs/heads/ferry/")) {
					git(t, dir, "merge", "-q", "--no-ff", "-m", "Merge "+br, br)
				}
				// Only a pass that merged nothing can be the last.
				if strings.Contains(stdout.String(), " 0 stages merged") {
					finished = planFinished(t, e, dir)
				}
				clk = clk.Add(31 * time.Minute)
			}
			if !finished {
				var plan bytes.Buffer
				runWith(t.Context(), e, []string{"plan", "-C", dir}, nil, &plan, &plan)
				t.Fatalf("the migration did not finish:\n%s\n%s", plan.String(), git(t, dir, "log", "--oneline", "main"))
			}

			var diffs bytes.Buffer
			commits := strings.Fields(git(t, dir, "rev-list", "--first-parent", "--reverse", first+"..main"))
			parents := 0
			for _, c := range commits {
				diffs.WriteString(git(t, dir, "show", "--diff-merges=first-parent", "--format=### %s%n", "--no-color", c))
				parents += buildsAfter(t, kubectl, dir, c)
			}
			if name == fixtures.AppOfApps && parents == 0 {
				t.Error("no stage changed a parent list: the test checks nothing it was written for")
			}
			fixtures.Golden(t, filepath.Join("testdata", "stages", name+".diff"), diffs.Bytes(), *update,
				"go test ./cmd/ferry -run TestStagesEndToEnd -update")
		})
	}
}

// fakeArgoCD serves Argo CD's Application API for the repo's health kind
// argocd: every Application synced and healthy at main's head, as the
// cluster would be once it applied the merge.
func fakeArgoCD(t *testing.T, repo string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-token" || !strings.HasPrefix(r.URL.Path, "/api/v1/applications/") {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		head, err := exec.Command("git", "-C", repo, "rev-parse", "main").Output()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": map[string]any{
			"health": map[string]any{"status": "Healthy"},
			"sync":   map[string]any{"status": "Synced", "revision": strings.TrimSpace(string(head))},
		}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// planFinished reports whether ferry plan says every workload is done.
func planFinished(t *testing.T, e *env, dir string) bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runWith(t.Context(), e, []string{"plan", "-C", dir, "-o", "json"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("ferry plan exited %d: %s", code, stderr.String())
	}
	var plan struct {
		Entries []struct {
			Phase string          `json:"phase"`
			Next  json.RawMessage `json:"next"`
			Wait  struct {
				Gate string `json:"gate"`
			} `json:"wait"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil {
		t.Fatalf("ferry plan -o json: %v\n%s", err, stdout.String())
	}
	for _, en := range plan.Entries {
		// As Plan.Finished: done, or stopped for good on its validation.
		stopped := en.Next == nil && (en.Wait.Gate == "validation" || en.Wait.Gate == "unreadable")
		if en.Phase != "done" && !stopped {
			return false
		}
	}
	return true
}

// buildsAfter checks out commit c and builds, with kubectl kustomize and
// with krusty, every kustomization that reads a file c changed. It
// returns how many of them are not an overlay of a workload.
func buildsAfter(t *testing.T, kubectl, repo, c string) int {
	t.Helper()
	tree := t.TempDir()
	archive := exec.Command("git", "-C", repo, "archive", c)
	untar := exec.Command("tar", "-x", "-C", tree)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatal(err)
	}
	if err := untar.Wait(); err != nil {
		t.Fatal(err)
	}
	changed := strings.Fields(git(t, repo, "diff", "--name-only", c+"^1", c))
	fsys := os.DirFS(tree)
	incs, err := gitops.NewIncludes(fsys).All(changed)
	if err != nil {
		t.Fatal(err)
	}
	r := &render.Renderer{Order: render.OrderLegacy}
	parents := 0
	for _, inc := range incs {
		if !strings.Contains(inc.Dir, "/overlays/") {
			parents++
		}
		res, err := r.Build(context.Background(), fsys, inc.Dir)
		if err != nil {
			t.Errorf("after %s: krusty: %s (reads %s): %v", abbrev(c), inc.Dir, inc.Via, err)
			continue
		}
		if kubectl == "" {
			continue
		}
		cmd := exec.Command(kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", filepath.Join(tree, filepath.FromSlash(inc.Dir)))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		want, err := cmd.Output()
		if err != nil {
			t.Errorf("after %s: kubectl kustomize %s (reads %s): %v\n%s", abbrev(c), inc.Dir, inc.Via, err, stderr.Bytes())
			continue
		}
		if diff := cmp.Diff(string(want), string(res.YAML)); diff != "" {
			t.Errorf("after %s: %s: krusty and kubectl kustomize differ (-kubectl +krusty):\n%s", abbrev(c), inc.Dir, diff)
		}
	}
	return parents
}

func abbrev(c string) string { return c[:min(len(c), 10)] }

// git runs git in dir with a fixed identity and dates, and returns its
// output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Platform Team", "GIT_AUTHOR_EMAIL=platform@example.com",
		"GIT_COMMITTER_NAME=Platform Team", "GIT_COMMITTER_EMAIL=platform@example.com",
		"GIT_AUTHOR_DATE=2026-11-02T08:00:00Z", "GIT_COMMITTER_DATE=2026-11-02T08:00:00Z",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
