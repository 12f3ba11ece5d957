//go:build !unix

package bot

// lockWorktree needs flock: elsewhere two ferry processes on one checkout
// are not serialized, and the later one may stop on the other's catch-up
// as on a change of the user's (a DirtyError, nothing written).
func lockWorktree(gitDir string) func() { return func() {} }
