package rewrite

import (
	"errors"
	"fmt"
)

// Conditions an edit can fail on. Errors returned by [Apply] wrap one of
// them in an [*EditError] naming the file, the line and the path.
var (
	ErrNotFound    = errors.New("not found")
	ErrExists      = errors.New("already exists")
	ErrAmbiguous   = errors.New("matches more than one node")
	ErrAnchored    = errors.New("the node is shared through an anchor with its aliases")
	ErrMergeKey    = errors.New("the key comes from a merge key (<<); edit the anchor it merges")
	ErrTemplated   = errors.New("the value is a template or substitution variable")
	ErrType        = errors.New("the value does not fit the node's type")
	ErrUnsupported = errors.New("this shape cannot be edited byte-minimally")
	ErrConflict    = errors.New("edits overlap")
	ErrVerify      = errors.New("the result is not the intended tree")
)

// A ParseError reports a file that is not YAML rewrite can edit: not UTF-8
// text, malformed, too large, or holding duplicate keys.
type ParseError struct {
	File string
	Line int // 0 when the position is unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// An EditError reports an edit that cannot be made safely.
type EditError struct {
	File string
	Line int // 0 when the path does not reach the file
	Path string
	Err  error
}

func (e *EditError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Path, e.Err)
}

func (e *EditError) Unwrap() error { return e.Err }
