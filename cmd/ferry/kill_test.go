// The real-process tests run ferry as processes of their own, hundreds of
// times. Built with the race detector each ferry process is several times
// slower, and they test processes dying, not data races, so they build
// without it: `make test` runs them in a second, plain `go test`.

//go:build !race

package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferry-dev/ferry/fixtures"
	fakegh "github.com/ferry-dev/ferry/fixtures/github"
)

var killSeed = flag.Uint64("kill-seed", 0, "seed of the real-kill tests (0: from the clock, printed)")

// killRepo is the generated repo the real-kill and two-process tests
// migrate: a whole migration of four workloads, no soak, health none.
func killRepo(t *testing.T) fstest.MapFS {
	t.Helper()
	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: 4, Clusters: 2, Soak: "0s", MaxInFlight: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(files["ferry.yaml"].Data)
	i := strings.Index(cfg, "health:\n")
	j := strings.Index(cfg, "pullRequests:")
	if i < 0 || j < i {
		t.Fatalf("generated ferry.yaml has no health section:\n%s", cfg)
	}
	files["ferry.yaml"] = &fstest.MapFile{Data: []byte(cfg[:i] + "health:\n  kind: none\n" + cfg[j:])}
	return files
}

// A forgeRun is one forge's side of the tests: a fresh repo, a ferry run
// against it, and what it ends as.
type forgeRun struct {
	name string
	// setup makes a fresh repo and returns the ferry command line (after
	// "ferry") and environment that run against it.
	setup func(t *testing.T) (args, env []string, end func() ending)
}

// ending is what a repo ends as: the base branch's tree, the subjects of
// its commits (sorted), and the failures of the checks that do not
// compare with another run.
type ending struct {
	tree     string
	subjects []string
	problems []string
}

func localForge(t *testing.T, ferry string) forgeRun {
	files := killRepo(t)
	return forgeRun{name: "local", setup: func(t *testing.T) ([]string, []string, func() ending) {
		dir := filepath.Join(t.TempDir(), "repo")
		if err := fixtures.WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "init", "-q", "-b", "main")
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", "Deployment repo")
		os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("my notes\n"), 0o644)
		os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("local.env\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "local.env"), []byte("TOKEN=mine\n"), 0o600)
		return []string{"run", "-C", dir}, nil, func() ending {
			e := ending{tree: gitTrim(t, dir, "rev-parse", "main^{tree}"), subjects: subjects(t, dir)}
			e.problems = append(e.problems, repoProblems(t, ferry, dir)...)
			for name, content := range map[string]string{"notes.txt": "my notes\n", "local.env": "TOKEN=mine\n"} {
				if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
					e.problems = append(e.problems, fmt.Sprintf("the user's %s: %q, %v; want it kept", name, b, err))
				}
			}
			if st := gitTrim(t, dir, "status", "--porcelain"); st != "?? notes.txt" {
				e.problems = append(e.problems, fmt.Sprintf("git status --porcelain = %q, want only the untracked notes.txt", st))
			}
			return e
		}
	}}
}

func githubForge(t *testing.T, ferry string) forgeRun {
	files := killRepo(t)
	return forgeRun{name: "github", setup: func(t *testing.T) ([]string, []string, func() ending) {
		srv := fakegh.New(t, files, fakegh.Options{Token: "s3cret-token"})
		env := []string{"GITHUB_TOKEN=s3cret-token", "FERRY_SEAL_KEY=the repo's seal secret",
			"GITHUB_API_URL=" + srv.URL(), "GITHUB_GRAPHQL_URL=" + srv.GraphQLURL()}
		return []string{"run", "--forge", "github", "--repo", srv.GitURL()}, env, func() ending {
			bare := srv.BarePath()
			e := ending{tree: gitTrim(t, bare, "rev-parse", "main^{tree}"), subjects: subjects(t, bare)}
			clone := filepath.Join(t.TempDir(), "clone")
			// --no-local: a receive-pack of a killed run may still be
			// ending, and its quarantine folder must not be copied.
			git(t, "", "clone", "-q", "--no-local", bare, clone)
			e.problems = append(e.problems, repoProblems(t, ferry, bare)...)
			verify := exec.Command(ferry, "verify", "-C", clone)
			verify.Env = append(os.Environ(), env...)
			if out, err := verify.CombinedOutput(); err != nil {
				e.problems = append(e.problems, fmt.Sprintf("ferry verify: %v\n%s", err, out))
			}
			heads := map[string][]string{}
			for _, pr := range srv.PRs() {
				if pr.State == "open" {
					e.problems = append(e.problems, fmt.Sprintf("PR #%d (%s) is still open", pr.Number, pr.HeadRef))
				}
				heads[pr.HeadRef] = append(heads[pr.HeadRef], fmt.Sprintf("#%d %s merged=%v head %.7s: %q", pr.Number, pr.State, pr.Merged, pr.HeadSHA, pr.Comments))
			}
			for ref, prs := range heads {
				if len(prs) > 1 {
					e.problems = append(e.problems, fmt.Sprintf("%d pull requests for %s:\n%s", len(prs), ref, strings.Join(prs, "\n")))
				}
			}
			return e
		}
	}}
}

// repoProblems runs the checks on a git directory or worktree that hold
// whatever the run was: fsck, and no lock file left.
func repoProblems(t *testing.T, ferry, dir string) []string {
	var out []string
	if b, err := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
		out = append(out, fmt.Sprintf("git fsck --strict: %v\n%s", err, b))
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		if b, err := exec.Command(ferry, "verify", "-C", dir).CombinedOutput(); err != nil {
			out = append(out, fmt.Sprintf("ferry verify: %v\n%s", err, b))
		}
		dir = filepath.Join(dir, ".git")
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".lock") {
			out = append(out, "lock file left: "+p)
		}
		return nil
	})
	return out
}

// runFerry runs ferry with args and env to its end.
func runFerry(t *testing.T, ferry string, args, env []string) (int, string) {
	cmd := exec.Command(ferry, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// finish runs ferry until a run ends with nothing left to do: two runs
// in a row that succeed and change nothing.
func finish(t *testing.T, ferry string, args, env []string, end func() ending) ending {
	t.Helper()
	last := ""
	for i := 0; i < 60; i++ {
		code, out := runFerry(t, ferry, args, env)
		if code != 0 {
			t.Fatalf("ferry %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		e := end()
		if e.tree+strings.Join(e.subjects, "\n") == last {
			return e
		}
		last = e.tree + strings.Join(e.subjects, "\n")
	}
	t.Fatal("ferry run does not converge")
	return ending{}
}

func ferryOnPath(t *testing.T) string {
	t.Helper()
	ferry, err := exec.LookPath("ferry")
	if err != nil {
		t.Fatalf("testscript puts ferry on PATH: %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
	return ferry
}

func converged(t *testing.T, got, want ending) {
	t.Helper()
	for _, p := range got.problems {
		t.Error(p)
	}
	if got.tree != want.tree {
		t.Errorf("final tree %s, want %s (an uninterrupted run's)", got.tree, want.tree)
	}
	if !slices.Equal(got.subjects, want.subjects) {
		t.Errorf("stage commits differ from an uninterrupted run's:\ngot  %q\nwant %q", got.subjects, want.subjects)
	}
}

// TestRealKills SIGKILLs a real ferry process (this test binary run as
// ferry, a process of its own) at random moments of `ferry run`, for the
// local forge on a repo checked out at main and for the GitHub forge
// against the fake GitHub, at least 30 times each, then lets it run to
// the end. Each round must converge on what an uninterrupted run makes:
// the same tree, each stage committed once, `git fsck --strict` and
// `ferry verify` clean, no lock file left, no pull request twice or left
// open, and the user's untracked and ignored files where they were.
func TestRealKills(t *testing.T) {
	t.Parallel()
	ferry := ferryOnPath(t)
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test ./cmd/ferry -run TestRealKills -kill-seed %d)", seed, seed)
	for i, f := range []forgeRun{localForge(t, ferry), githubForge(t, ferry)} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			args, env, end := f.setup(t)
			start := time.Now()
			want := finish(t, ferry, args, env, end)
			whole := time.Since(start)
			converged(t, want, want)
			if len(want.subjects) < 15 {
				t.Fatalf("the uninterrupted run made %d commits, want a whole migration", len(want.subjects))
			}
			kills, rounds := 0, 0
			for kills < 30 && !t.Failed() {
				rounds++
				args, env, end := f.setup(t)
				for attempt := 0; attempt < 40; attempt++ {
					cmd := exec.Command(ferry, args...)
					cmd.Env = append(os.Environ(), env...)
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					done := make(chan error, 1)
					go func() { done <- cmd.Wait() }()
					select {
					case <-done:
					case <-time.After(time.Duration(rng.Int64N(int64(whole) / 2))):
						cmd.Process.Kill() // SIGKILL
						if err := <-done; err != nil && strings.Contains(err.Error(), "killed") {
							kills++
						}
					}
					if end().tree == want.tree {
						break
					}
				}
				converged(t, finish(t, ferry, args, env, end), want)
			}
			t.Logf("%s: %d kills over %d rounds; an uninterrupted run takes %s", f.name, kills, rounds, whole.Round(time.Millisecond))
		})
	}
}

// TestTwoProcesses runs two ferry processes at once on the same repo, five
// rounds for each forge: together they must make what one makes alone,
// each stage once.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	ferry := ferryOnPath(t)
	for _, f := range []forgeRun{localForge(t, ferry), githubForge(t, ferry)} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			args, env, end := f.setup(t)
			want := finish(t, ferry, args, env, end)
			for round := range 5 {
				args, env, end := f.setup(t)
				var wg sync.WaitGroup
				codes := make([]int, 2)
				outs := make([]string, 2)
				for p := range 2 {
					wg.Go(func() { codes[p], outs[p] = runFerry(t, ferry, args, env) })
				}
				wg.Wait()
				for p := range 2 {
					// The one that loses a race for a ref says so and exits 1;
					// it must not be anything worse.
					if codes[p] != 0 && codes[p] != 1 {
						t.Errorf("round %d: ferry process %d exited %d\n%s", round, p, codes[p], outs[p])
					}
				}
				converged(t, finish(t, ferry, args, env, end), want)
				if t.Failed() {
					t.Logf("round %d: the two processes said:\n%s\n----\n%s", round, outs[0], outs[1])
					return
				}
			}
		})
	}
}

// subjects are the subjects of main's commits, sorted.
func subjects(t *testing.T, dir string) []string {
	s := strings.Split(gitTrim(t, dir, "log", "--format=%s", "main"), "\n")
	slices.Sort(s)
	return s
}

// gitTrim is git with the output's surrounding space trimmed.
func gitTrim(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(git(t, dir, args...))
}
