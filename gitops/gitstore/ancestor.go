package gitstore

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// IsAncestor reports whether ancestor is on descendant's first-parent
// history (descendant itself included).
func (r *Store) IsAncestor(ctx context.Context, ancestor, descendant plumbing.Hash) (bool, error) {
	found := false
	err := r.Log(ctx, descendant, func(c *object.Commit) error {
		if c.Hash == ancestor {
			found = true
			return ErrStop
		}
		return nil
	})
	return found, err
}
