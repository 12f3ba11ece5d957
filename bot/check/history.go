package check

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
)

// Failure is the first commit of a history that breaks an invariant.
type Failure struct {
	Commit     plumbing.Hash
	Subject    string
	Violations []Violation
}

// FirstParents returns head and its first parents back to since, exclusive,
// oldest first. A zero since, or one that is not on the first-parent
// history, goes back to the root commit.
func FirstParents(ctx context.Context, repo *gitstore.Store, since, head plumbing.Hash) ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	err := repo.Log(ctx, head, func(c *object.Commit) error {
		if c.Hash == since {
			return gitstore.ErrStop
		}
		out = append(out, c.Hash)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// History checks every commit of head's first-parent history after since
// (see FirstParents) as a change from its first parent, oldest first, and
// returns the first that breaks an invariant, or nil. The root commit is
// checked against the empty tree, with rules 1, 2 and 6 only.
func History(ctx context.Context, repo *gitstore.Store, since, head plumbing.Hash, r *render.Renderer) (*Failure, error) {
	return Options{Renderer: r}.History(ctx, repo, since, head)
}

// History is the package's History with o.
func (o Options) History(ctx context.Context, repo *gitstore.Store, since, head plumbing.Hash) (*Failure, error) {
	commits, err := FirstParents(ctx, repo, since, head)
	if err != nil {
		return nil, err
	}
	c, err := o.checker(repo)
	if err != nil {
		return nil, err
	}
	for i, h := range commits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		commit, err := repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		var parent plumbing.Hash
		if len(commit.ParentHashes) > 0 {
			parent = commit.ParentHashes[0]
		}
		if i == 0 && parent != plumbing.ZeroHash && repo.ShallowBoundary(h) {
			// Its parent is not in this clone: nothing to compare it with.
			// Only the oldest commit can be the boundary (Log stops there),
			// so the shallow list is read once, not once a commit.
			continue
		}
		rep, err := c.change(ctx, parent, h)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", short(h), err)
		}
		if len(rep.Violations) > 0 {
			subject, _, _ := strings.Cut(commit.Message, "\n")
			return &Failure{Commit: h, Subject: subject, Violations: rep.Violations}, nil
		}
	}
	return nil, nil
}
