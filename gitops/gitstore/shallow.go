package gitstore

import (
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// ShallowBoundary reports whether commit is where a shallow clone's
// history ends: its parents are not in the repository.
func (r *Store) ShallowBoundary(commit plumbing.Hash) bool {
	shallow, err := r.s.Shallow()
	return err == nil && slices.Contains(shallow, commit)
}

// Shallow reports whether the repository is a shallow clone: its history
// ends at commits whose parents it does not have.
func (r *Store) Shallow() bool {
	shallow, err := r.s.Shallow()
	return err == nil && len(shallow) > 0
}
