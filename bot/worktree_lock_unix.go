//go:build unix

package bot

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockWorktree holds, until the returned func is called, an exclusive
// flock on the git directory's ferry/worktree.flock, so that two ferry
// processes on one checkout catch it up one after the other: one that
// read the branch while the other was writing its files would take the
// other's catch-up for a change of the user's. The kernel drops the flock
// when the process dies, however it dies. Without a git directory, or when
// the file cannot be made, nothing is held.
func lockWorktree(gitDir string) func() {
	if gitDir == "" {
		return func() {}
	}
	f, err := os.OpenFile(filepath.Join(gitDir, "ferry", "worktree.flock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return func() {}
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX) != nil {
		f.Close()
		return func() {}
	}
	return func() { f.Close() } // closing the file drops the flock
}
