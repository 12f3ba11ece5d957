package bot_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
)

// gitIn runs git in dir with a fixed identity and returns its output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Dev", "-c", "user.email=dev@example.com"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// aheadRepo is a repo checked out at main whose main moved one commit
// ahead of the worktree, as the local forge moves it: the commit adds
// b.txt and removes d/old.txt. The worktree also holds an untracked
// notes.txt and an ignored local.env.
func aheadRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: the worktree tests compare with git's own view")
	}
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", "a\n")
	write(".gitignore", "*.env\n")
	write("d/old.txt", "old\n")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	// The next commit, made without touching the worktree or the index.
	gitIn(t, dir, "branch", "-q", "next")
	other := t.TempDir()
	gitIn(t, dir, "worktree", "add", "-q", other, "next")
	if err := os.WriteFile(filepath.Join(other, "b.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, other, "rm", "-q", "d/old.txt")
	gitIn(t, other, "add", "b.txt")
	gitIn(t, other, "commit", "-q", "-m", "two")
	gitIn(t, dir, "update-ref", "refs/heads/main", gitIn(t, dir, "rev-parse", "next"))
	write("notes.txt", "my notes\n")
	write("local.env", "SECRET=1\n")
	return dir
}

// A worktree behind its branch (a run was killed before it caught up) is
// brought to the branch's head as git merge --ff-only would: the branch's
// changes only, and the files git does not track stay.
func TestFollowWorktreeCatchesUp(t *testing.T) {
	t.Parallel()
	dir := aheadRepo(t)
	w, err := bot.FollowWorktree(dir, "main")
	if err != nil || w == nil {
		t.Fatalf("FollowWorktree = %v, %v; want the worktree, caught up", w, err)
	}
	for name, want := range map[string]string{"b.txt": "b\n", "notes.txt": "my notes\n", "local.env": "SECRET=1\n", "a.txt": "a\n"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("d/, emptied by the commit, is still there: %v", err)
	}
	if got := gitIn(t, dir, "status", "--porcelain"); got != "?? notes.txt" {
		t.Errorf("git status after the catch-up = %q, want only the untracked notes.txt", got)
	}
	if err := w.CatchUp(); err != nil {
		t.Errorf("CatchUp at the head: %v", err)
	}
}

// A file git does not track where the branch adds one, or a change of the
// user's own to a tracked file, stops ferry before it writes anything.
func TestFollowWorktreeRefuses(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(dir string) error{
		"untracked file in the way": func(dir string) error { return os.WriteFile(filepath.Join(dir, "b.txt"), []byte("mine\n"), 0o644) },
		"tracked file changed":      func(dir string) error { return os.WriteFile(filepath.Join(dir, "a.txt"), []byte("changed\n"), 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := aheadRepo(t)
			if err := setup(dir); err != nil {
				t.Fatal(err)
			}
			before := gitIn(t, dir, "status", "--porcelain")
			_, err := bot.FollowWorktree(dir, "main")
			var de *bot.DirtyError
			if !errors.As(err, &de) {
				t.Fatalf("FollowWorktree error = %v, want a *bot.DirtyError", err)
			}
			if after := gitIn(t, dir, "status", "--porcelain"); after != before {
				t.Errorf("git status changed from %q to %q: ferry wrote before refusing", before, after)
			}
		})
	}
}

// TestFollowerNeverMovesTheBranch: a follower's catch-up ends with a reset
// of the index to the commit it caught up to. go-git's reset also sets the
// branch to that commit, so with another ferry process landing a stage in
// between, main went back and the stage was lost (found by
// TestTwoProcesses). The follower must leave the branch where it is.
func TestFollowerNeverMovesTheBranch(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	one := gitIn(t, dir, "rev-parse", "HEAD")
	f, err := bot.FollowWorktree(dir, "main")
	if err != nil || f == nil {
		t.Fatalf("FollowWorktree = %v, %v", f, err)
	}
	// Another process lands a stage: main moves on.
	two := gitIn(t, dir, "commit-tree", "-p", one, "-m", "two", gitIn(t, dir, "rev-parse", "HEAD^{tree}"))
	gitIn(t, dir, "update-ref", "refs/heads/main", two, one)
	// This follower's catch-up, which read main before it moved, ends.
	if err := f.ResetIndexTo(plumbing.NewHash(one)); err != nil {
		t.Fatal(err)
	}
	if at := gitIn(t, dir, "rev-parse", "main"); at != two {
		t.Errorf("main is at %.7s after the follower's reset, want %.7s where the other process put it", at, two)
	}
}
