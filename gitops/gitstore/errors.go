package gitstore

import (
	"errors"
	"fmt"
)

var (
	// ErrEmptyCommit is returned by [Store.Commit] when the changes leave the
	// parent's tree as it is. No commit is written.
	ErrEmptyCommit = errors.New("gitstore: no change")

	// ErrRefMoved is wrapped by the errors of [Store.UpdateRef] and
	// [Store.Push] when the ref is not where the caller expected it: someone
	// else moved (or created, or deleted) it first.
	ErrRefMoved = errors.New("gitstore: ref moved")

	// ErrInvalidPath is wrapped when a [Change] path is not a clean,
	// relative, slash-separated path of non-empty names (no "..", no ".git").
	ErrInvalidPath = errors.New("invalid path")

	// ErrPathConflict is wrapped when a [Change] would write a file over a
	// directory or a submodule, or through a file or a submodule, or when
	// two changes name the same path.
	ErrPathConflict = errors.New("path conflict")

	// ErrUnknownRevision is wrapped by [Store.Resolve] when rev names no
	// commit.
	ErrUnknownRevision = errors.New("unknown revision")

	// ErrStop may be returned by the function given to [Store.Log] to stop the
	// walk early; Log then returns nil.
	ErrStop = errors.New("gitstore: stop")
)

// SymlinkError is returned when a symlink in a tree points outside the tree:
// an absolute target, or a relative one that climbs above the root.
type SymlinkError struct {
	Path   string // the link, slash-separated from the root of the tree
	Target string // what the link points to
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("symlink %s points outside the tree (-> %s)", e.Path, e.Target)
}
