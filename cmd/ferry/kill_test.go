package main

import (
	"bytes"
	"flag"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferry-dev/ferry/fixtures"
)

var killSeed = flag.Uint64("kill-seed", 0, "seed of TestRealKills (0: from the clock, printed)")

// TestRealKills SIGKILLs a real ferry process (this test binary run as
// ferry, a process of its own) at random moments of `ferry run --forge
// local` on a generated repo checked out at main, at least 30 times, then
// lets it run to the end. Each round must converge on what an
// uninterrupted run makes: the same tree, each stage committed once,
// `git fsck --strict` and `ferry verify` clean, no lock file left, and the
// user's untracked and ignored files where they were.
func TestRealKills(t *testing.T) {
	t.Parallel()
	ferry, err := exec.LookPath("ferry")
	if err != nil {
		t.Fatalf("testscript puts ferry on PATH: %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test ./cmd/ferry -run TestRealKills -kill-seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	files, err := fixtures.Generate(fixtures.GenerateOptions{Workloads: 4, Clusters: 2, Soak: "0s", MaxInFlight: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	newRepo := func(dir string) {
		if err := fixtures.WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "init", "-q", "-b", "main")
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", "Deployment repo")
		os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("my notes\n"), 0o644)
		os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("local.env\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "local.env"), []byte("TOKEN=mine\n"), 0o600)
	}
	runFerry := func(dir string) (int, string) {
		cmd := exec.Command(ferry, "run", "-C", dir)
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
	// finish runs ferry until a run changes nothing, and fails on a run
	// that does not succeed.
	finish := func(dir string) {
		for i := 0; ; i++ {
			before := gitTrim(t, dir, "rev-parse", "main")
			if code, out := runFerry(dir); code != 0 {
				t.Fatalf("ferry run after the kills: exit %d\n%s", code, out)
			}
			if gitTrim(t, dir, "rev-parse", "main") == before {
				return
			}
			if i > 50 {
				t.Fatal("ferry run does not converge")
			}
		}
	}

	ref := filepath.Join(t.TempDir(), "repo")
	newRepo(ref)
	start := time.Now()
	finish(ref)
	whole := time.Since(start)
	want := subjects(t, ref)
	if len(want) < 15 {
		t.Fatalf("the uninterrupted run made %d commits, want a whole migration", len(want))
	}
	wantTree := gitTrim(t, ref, "rev-parse", "main^{tree}")

	kills, rounds := 0, 0
	for kills < 30 {
		rounds++
		dir := filepath.Join(t.TempDir(), "repo")
		newRepo(dir)
		for attempt := 0; attempt < 40; attempt++ {
			cmd := exec.Command(ferry, "run", "-C", dir)
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
			if gitTrim(t, dir, "rev-parse", "main^{tree}") == wantTree {
				break
			}
		}
		finish(dir)
		checkConverged(t, ferry, dir, wantTree, want)
	}
	t.Logf("%d kills over %d rounds; an uninterrupted run takes %s", kills, rounds, whole.Round(time.Millisecond))
}

func checkConverged(t *testing.T, ferry, dir, wantTree string, want []string) {
	t.Helper()
	if got := gitTrim(t, dir, "rev-parse", "main^{tree}"); got != wantTree {
		t.Errorf("final tree %s, want %s (an uninterrupted run's)", got, wantTree)
	}
	if got := subjects(t, dir); !slices.Equal(got, want) {
		t.Errorf("stage commits differ from an uninterrupted run's:\ngot  %q\nwant %q", got, want)
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
	if out, err := exec.Command(ferry, "verify", "-C", dir).CombinedOutput(); err != nil {
		t.Errorf("ferry verify: %v\n%s", err, out)
	}
	filepath.WalkDir(filepath.Join(dir, ".git"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".lock") {
			t.Errorf("lock file left: %s", p)
		}
		return nil
	})
	for name, content := range map[string]string{"notes.txt": "my notes\n", "local.env": "TOKEN=mine\n"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
			t.Errorf("the user's %s: %q, %v; want it kept", name, b, err)
		}
	}
	if st := gitTrim(t, dir, "status", "--porcelain"); st != "?? notes.txt" {
		t.Errorf("git status --porcelain = %q, want only the untracked notes.txt", st)
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
