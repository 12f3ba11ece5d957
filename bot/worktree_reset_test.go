package bot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestFollowerNeverMovesTheBranch: a follower's catch-up ends with a reset
// of the index to the commit it caught up to. go-git's reset also sets the
// branch to that commit, so with another ferry process landing a stage in
// between, main went back and the stage was lost (found by
// TestTwoProcesses). The follower must leave the branch where it is.
func TestFollowerNeverMovesTheBranch(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Dev", "-c", "user.email=dev@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "-A")
	run("commit", "-q", "-m", "one")
	one := run("rev-parse", "HEAD")
	f, err := FollowWorktree(dir, "main")
	if err != nil || f == nil {
		t.Fatalf("FollowWorktree = %v, %v", f, err)
	}
	// Another process lands a stage: main moves on.
	tree := run("rev-parse", "HEAD^{tree}")
	two := run("commit-tree", "-p", one, "-m", "two", tree)
	run("update-ref", "refs/heads/main", two, one)
	// This follower's catch-up, which read main before it moved, ends.
	if err := f.wt.Reset(&git.ResetOptions{Commit: plumbing.NewHash(one), Mode: git.MixedReset}); err != nil {
		t.Fatal(err)
	}
	if at := run("rev-parse", "main"); at != two {
		t.Errorf("main is at %.7s after the follower's reset, want %.7s where the other process put it", at, two)
	}
}
