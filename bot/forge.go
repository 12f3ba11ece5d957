package bot

import (
	"context"
	"errors"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/planner"
)

// ErrRateLimited is what a forge's error wraps when the forge refuses
// writes for now (GitHub's rate limits, beyond what its client waits out).
// The bot ends the run there, with the stages it made kept: the next
// scheduled run goes on from the repo.
var ErrRateLimited = errors.New("the forge's rate limit")

// Forge is the whole contract between the bot and the place its pull
// requests live: the local repo itself (Local), or GitHub (bot/github).
// What a forge can do beyond the four calls every forge has is explicit in
// its Capabilities; the bot calls Hold and the comment methods only on a
// forge whose Capabilities say it has them.
type Forge interface {
	// Capabilities says what the forge does beyond Publish, PullRequests,
	// Propose and Merge.
	Capabilities() Capabilities
	// Publish points branch at commit on the forge, if and only if it is
	// at old now (zero: the branch must not exist, or exist with no open
	// pull request, as a run killed after pushing it left it). Otherwise
	// it returns an error wrapping gitstore.ErrRefMoved.
	Publish(ctx context.Context, branch string, old, commit plumbing.Hash) error
	// PullRequests lists ferry's pull requests (head branches under
	// ferry/): every open one, and the most recent closed one per branch,
	// of every closed one created since the oldest Migration (see Before).
	PullRequests(ctx context.Context, before Before) ([]PullRequest, error)
	// Propose opens a pull request for p.Branch, or updates the open one,
	// and returns it. It opens none when the base branch is no longer
	// where p.Head was made (another run landed a stage since), and
	// returns an error wrapping gitstore.ErrRefMoved.
	Propose(ctx context.Context, p Proposal) (*PullRequest, error)
	// Merge merges pr, or enables auto-merge on it, but only while its head
	// is head; the squash or merge commit gets msg. It reports whether the
	// pull request is merged now.
	Merge(ctx context.Context, pr *PullRequest, head plumbing.Hash, msg Message) (bool, error)
	// Hold turns auto-merge off for pr and says why on it
	// (Capabilities.AutoMerge). The bot holds every pull request whose head
	// is not the commit ferry pushed, so a commit ferry did not write is
	// never merged.
	Hold(ctx context.Context, pr *PullRequest, why string) error
	// Close closes pr, one of ferry's that another pull request's merge of
	// the same stage superseded (two runs at once), saying why.
	Close(ctx context.Context, pr *PullRequest, why string) error
	// Comments returns the bodies of a pull request's comments, oldest
	// first (Capabilities.Comments).
	Comments(ctx context.Context, pr int) ([]string, error)
	// Comment adds a comment to a pull request (Capabilities.Comments).
	Comment(ctx context.Context, pr int, body string) error
}

// Before reports whether a merge commit landed on the base branch no later
// than the commit where the oldest Migration file there appeared. No stage
// of a Migration is proposed before its file is on the base branch, so a
// forge that lists closed pull requests newest first may stop at one
// merged at such a commit: every one created before it is older than
// every Migration. Both are the forge's word and git's (a merge commit,
// the base branch's history), never a date a commit claims. A nil Before
// knows no such commit: every closed pull request is listed.
type Before func(merge plumbing.Hash) bool

// Capabilities are what a forge does beyond the calls every forge has.
type Capabilities struct {
	// MergesAtOnce: a pull request never stays open (the local forge), so
	// maxOpen cannot be reached while auto-merge is on.
	MergesAtOnce bool
	// AutoMerge: a pull request can merge by itself later, once its checks
	// pass, so one whose head ferry did not write must be held.
	AutoMerge bool
	// Comments: pull requests carry comments, where ferry explains a pause.
	Comments bool
	// Descriptions: pull requests have a page people read, so the bot
	// writes Proposal.Body (it renders every overlay a stage touches,
	// before and after); a forge without leaves it empty.
	Descriptions bool
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
	// MergeCommit and MergedAt are, for a merged pull request, the
	// commit its merge made on the base branch and when the forge made
	// it: a stage's soak counts from then, not from a committer date,
	// which whoever pushes a commit writes.
	MergeCommit plumbing.Hash
	MergedAt    time.Time
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
