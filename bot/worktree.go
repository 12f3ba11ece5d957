package bot

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Worktree keeps a checked-out base branch's files in step with the
// commits the local forge lands on it, as a push to it would not.
type Worktree struct {
	wt   *git.Worktree
	repo *git.Repository
	base plumbing.ReferenceName
}

// DirtyError is FollowWorktree's refusal of a worktree with uncommitted
// changes to tracked files: ferry would move the branch under them.
type DirtyError struct {
	Dir, File, Status, Base string
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("-C %s: %s has uncommitted changes (%s) and %s is checked out; ferry run --forge local moves %s: commit or stash them first", e.Dir, e.File, e.Status, e.Base, e.Base)
}

// FollowWorktree returns a Worktree when dir is a repo with a worktree
// whose HEAD is the base branch, nil otherwise, and a *DirtyError when
// that worktree has uncommitted changes to tracked files.
func FollowWorktree(dir, base string) (*Worktree, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, nil // opening the repo itself reports it
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, nil // bare
	}
	head, err := r.Reference(plumbing.HEAD, false)
	if err != nil || head.Target() != plumbing.NewBranchReferenceName(base) {
		return nil, nil
	}
	st, err := wt.Status()
	if err != nil {
		return nil, err
	}
	for name, s := range st {
		if s.Worktree != git.Untracked && (s.Worktree != git.Unmodified || s.Staging != git.Unmodified) {
			return nil, &DirtyError{Dir: dir, File: name, Status: string(s.Worktree), Base: base}
		}
	}
	return &Worktree{wt: wt, repo: r, base: plumbing.NewBranchReferenceName(base)}, nil
}

// CatchUp checks the base branch's new head out into the worktree. A nil
// Worktree has nothing to do.
func (f *Worktree) CatchUp() error {
	if f == nil {
		return nil
	}
	ref, err := f.repo.Reference(f.base, true)
	if err != nil {
		return err
	}
	return f.wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset})
}
