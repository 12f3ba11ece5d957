package bot

import (
	"context"

	"github.com/ferry-dev/ferry/planner"
	"github.com/go-git/go-git/v5/plumbing"
)

// Forge is what the bot needs of the place its pull requests live: the
// local repo itself, or GitHub.
type Forge interface {
	// Publish points branch at commit on the forge, if and only if it is
	// at old now (zero: the branch must not exist). Otherwise it returns an
	// error wrapping gitstore.ErrRefMoved.
	Publish(ctx context.Context, branch string, old, commit plumbing.Hash) error
	// PullRequests lists ferry's pull requests (head branches under
	// ferry/): every open one, and the most recent closed one per branch.
	PullRequests(ctx context.Context) ([]PullRequest, error)
	// Propose opens a pull request for p.Branch, or updates the open one,
	// and returns it.
	Propose(ctx context.Context, p Proposal) (*PullRequest, error)
	// Merge merges pr, or enables auto-merge on it, but only while its head
	// is head; the squash or merge commit gets msg. It reports whether the
	// pull request is merged now.
	Merge(ctx context.Context, pr *PullRequest, head plumbing.Hash, msg Message) (bool, error)
}

// PullRequest is one of ferry's pull requests, as the forge reports it.
type PullRequest struct {
	Number int
	Branch string
	Head   plumbing.Hash
	State  planner.PRState
	Labels []string
	// AutoMerge is set while the forge will merge the pull request by
	// itself once its checks pass.
	AutoMerge bool
}

// Holder is implemented by forges whose pull requests can merge by
// themselves later (GitHub's auto-merge). Hold turns that off for pr and
// says why on it. The bot holds every pull request whose head is not the
// commit ferry pushed, so a commit ferry did not write is never merged.
type Holder interface {
	Hold(ctx context.Context, pr *PullRequest, why string) error
}

// Proposal is a pull request to open or update.
type Proposal struct {
	Branch string
	Base   string
	Head   plumbing.Hash
	Title  string
	Body   string
	Labels []string
	// Method is the merge method: squash, merge or rebase.
	Method string
}

// Message is a commit message: a subject line and a body that ends with
// ferry's trailers.
type Message struct {
	Subject string
	Body    string
}

// String is the message as git stores it.
func (m Message) String() string {
	if m.Body == "" {
		return m.Subject + "\n"
	}
	return m.Subject + "\n\n" + m.Body + "\n"
}

// Commenter is implemented by forges whose pull requests carry comments.
// The bot uses it to say on a pull request why its workload waits and how
// to resume, once.
type Commenter interface {
	// Comments returns the bodies of a pull request's comments, oldest
	// first.
	Comments(ctx context.Context, pr int) ([]string, error)
	Comment(ctx context.Context, pr int, body string) error
}
