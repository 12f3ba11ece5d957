package gitstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Log calls fn for from and each of its first parents, newest first: the
// history of a branch as its merges recorded it. fn returns [ErrStop] to end
// the walk early (Log then returns nil); any other error ends it and is
// returned. ctx is checked between commits. A shallow clone's history ends
// at its shallow boundary without error.
func (r *Store) Log(ctx context.Context, from plumbing.Hash, fn func(*object.Commit) error) error {
	shallow, err := r.s.Shallow()
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	isShallow := func(h plumbing.Hash) bool { return slices.Contains(shallow, h) }
	h := from
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := object.GetCommit(r.s, h)
		if err != nil {
			if h != from && errors.Is(err, plumbing.ErrObjectNotFound) && isShallow(h) {
				return nil
			}
			return fmt.Errorf("log: read commit %s: %w", h, err)
		}
		if err := fn(c); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
		if len(c.ParentHashes) == 0 || isShallow(h) {
			return nil
		}
		h = c.ParentHashes[0]
	}
}
