package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ferry-dev/ferry/bot/convention"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// Local is the forge of the embedded default: the repo on disk. A pull
// request is a branch under ferry/, merged into the base branch at once
// with the configured method, then deleted.
type Local struct {
	Repo *gitstore.Store
	Base string // the base branch, e.g. "main"
	// Method is squash (the default), merge or rebase.
	Method string
	// Author signs merge commits; Now dates them (time.Now when nil).
	Author object.Signature
	Now    func() time.Time
}

var _ Forge = (*Local)(nil)

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Publish moves the branch with compare-and-swap.
func (l *Local) Publish(_ context.Context, branch string, old, commit plumbing.Hash) error {
	return l.Repo.UpdateRef(plumbing.NewBranchReferenceName(branch), old, commit)
}

// Close deletes the pull request's branch, if it is still at its head.
func (l *Local) Close(_ context.Context, pr *PullRequest, _ string) error {
	err := l.Repo.DeleteRef(plumbing.NewBranchReferenceName(pr.Branch), pr.Head)
	if errors.Is(err, gitstore.ErrRefMoved) {
		return nil // moved on: the next pass sees it again
	}
	return err
}

// PullRequests lists the ferry/ branches as open pull requests. A branch
// whose stage already landed on the base (a run stopped between merging and
// deleting it) is deleted and not listed.
func (l *Local) PullRequests(ctx context.Context, _ Before) ([]PullRequest, error) {
	branches, err := l.Repo.Branches("ferry/")
	if err != nil {
		return nil, err
	}
	base, err := l.Repo.Resolve(plumbing.NewBranchReferenceName(l.Base).String())
	if err != nil {
		return nil, err
	}
	var out []PullRequest
	for _, name := range slices.Sorted(maps.Keys(branches)) {
		head := branches[name]
		merged, err := l.landed(ctx, base, head)
		if err != nil {
			return nil, err
		}
		if merged {
			if err := l.Repo.DeleteRef(plumbing.NewBranchReferenceName(name), head); err != nil && !errors.Is(err, gitstore.ErrRefMoved) {
				return nil, err
			}
			continue
		}
		out = append(out, PullRequest{Branch: name, Head: head, State: planner.PROpen})
	}
	return out, nil
}

// landed reports whether the base's first-parent history, back to the
// branch commit's parent, holds the branch commit, a merge of it (a
// reviewer ran git merge), or a commit with the same ferry trailers
// (ferry squashed or rebased it).
func (l *Local) landed(ctx context.Context, base, head plumbing.Hash) (bool, error) {
	hc, err := l.Repo.CommitObject(head)
	if err != nil {
		return false, err
	}
	want := stageOf(hc.Message)
	if want == "" || hc.NumParents() == 0 {
		return false, nil
	}
	stop := hc.ParentHashes[0]
	found := false
	err = l.Repo.Log(ctx, base, func(c *object.Commit) error {
		if c.Hash == head || slices.Contains(c.ParentHashes[min(1, len(c.ParentHashes)):], head) || stageOf(c.Message) == want {
			found = true
			return gitstore.ErrStop
		}
		if c.Hash == stop {
			return gitstore.ErrStop
		}
		return nil
	})
	return found, err
}

// stageOf returns a message's ferry trailers as one key, or "".
func stageOf(msg string) string {
	t, ok := convention.ReadTrailers(msg)
	if !ok {
		return ""
	}
	return t.Key()
}

// Capabilities: a pull request is merged as it is made, never stays open
// and has no comments.
func (l *Local) Capabilities() Capabilities { return Capabilities{MergesAtOnce: true} }

// errNoSuchCapability is what Local answers to the calls its Capabilities
// do not offer; the bot does not make them.
var errNoSuchCapability = errors.New("the local forge merges each pull request at once: it has no auto-merge and no comments")

// Hold is not offered: a local pull request never waits to merge.
func (l *Local) Hold(context.Context, *PullRequest, string) error { return errNoSuchCapability }

// Comments is not offered.
func (l *Local) Comments(context.Context, int) ([]string, error) { return nil, errNoSuchCapability }

// Comment is not offered.
func (l *Local) Comment(context.Context, int, string) error { return errNoSuchCapability }

// Propose has nothing to do: the branch is the pull request.
func (l *Local) Propose(_ context.Context, p Proposal) (*PullRequest, error) {
	return &PullRequest{Branch: p.Branch, Head: p.Head, State: planner.PROpen}, nil
}

// Merge lands the branch on the base at once: a squash commit, a merge
// commit, or (rebase) the branch commit itself. The branch must sit on the
// base's tip; otherwise the error wraps gitstore.ErrRefMoved and the bot
// regenerates the stage from the new base.
func (l *Local) Merge(ctx context.Context, pr *PullRequest, head plumbing.Hash, msg Message) (bool, error) {
	return l.merge(ctx, pr, head, msg, l.Method)
}

func (l *Local) merge(ctx context.Context, pr *PullRequest, head plumbing.Hash, msg Message, method string) (bool, error) {
	ref := plumbing.NewBranchReferenceName(pr.Branch)
	cur, err := l.Repo.Resolve(ref.String())
	if errors.Is(err, gitstore.ErrUnknownRevision) {
		return false, fmt.Errorf("%w: branch %s is gone (merged or deleted by another run)", gitstore.ErrRefMoved, pr.Branch)
	}
	if err != nil {
		return false, err
	}
	if cur != head {
		return false, fmt.Errorf("%w: branch %s is at %s, not at %s that ferry pushed", gitstore.ErrRefMoved, pr.Branch, short(cur), short(head))
	}
	hc, err := l.Repo.CommitObject(head)
	if err != nil {
		return false, err
	}
	baseRef := plumbing.NewBranchReferenceName(l.Base)
	tip, err := l.Repo.Resolve(baseRef.String())
	if err != nil {
		return false, err
	}
	if hc.NumParents() != 1 || hc.ParentHashes[0] != tip {
		return false, fmt.Errorf("%w: %s is not on the tip of %s", gitstore.ErrRefMoved, pr.Branch, l.Base)
	}
	sig := l.Author
	sig.When = l.now()
	meta := gitstore.CommitMeta{Author: hc.Author, Committer: sig, Message: msg.String()}
	var landed plumbing.Hash
	switch method {
	case "rebase":
		landed = head
	case "merge":
		meta.Author = sig
		landed, err = l.Repo.CommitTree(ctx, hc.TreeHash, []plumbing.Hash{tip, head}, meta)
	default:
		landed, err = l.Repo.CommitTree(ctx, hc.TreeHash, []plumbing.Hash{tip}, meta)
	}
	if err != nil {
		return false, err
	}
	if err := l.Repo.UpdateRef(baseRef, tip, landed); err != nil {
		return false, err
	}
	if err := l.Repo.DeleteRef(ref, head); err != nil && !errors.Is(err, gitstore.ErrRefMoved) {
		return true, err
	}
	return true, nil
}

func short(h plumbing.Hash) string { return h.String()[:7] }
