package bot

import (
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// ResetIndexTo runs the reset that ends a catch-up, to commit h, as a
// follower that read the branch before it moved would.
func (f *Worktree) ResetIndexTo(h plumbing.Hash) error {
	return f.wt.Reset(&git.ResetOptions{Commit: h, Mode: git.MixedReset})
}
