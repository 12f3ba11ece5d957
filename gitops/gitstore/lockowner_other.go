//go:build !unix

package gitstore

// record and recoverDead need flock: elsewhere a dead process's lock
// keeps the StaleLock rule.
func intend(gitDir, lock string) {}
func record(gitDir, lock string) {}
func recoverDead(gitDir string)  {}
