package gitstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Store is a git repository read and written at the object level. It has no
// worktree and never touches one. A Store is safe for concurrent use.
type Store struct {
	repo *git.Repository
	s    storage.Storer

	// refMu serialises the check-then-set of UpdateRef within this process;
	// see UpdateRef for what holds across processes.
	refMu sync.Mutex
}

// largeObject is the size over which the on-disk storage does not read an
// object when it is looked up, only when it is read: a tree FS states
// such a blob before deciding whether to read it. Larger than any file
// ferry itself writes or reads whole (a CRD of 800 KB).
const largeObject = 1 << 20

func newRepo(r *git.Repository) *Store {
	st := r.Storer
	objects := ""
	if fst, ok := st.(*filesystem.Storage); ok {
		// go-billy's default chroot resolves symlinks with an Lstat per
		// path element on every object file it opens; the bound OS
		// filesystem checks paths without that, and reading 10,000
		// workloads is a fifth faster. Not for a linked worktree, whose
		// objects live in another directory (commondir).
		root := fst.Filesystem().Root()
		if _, err := os.Stat(filepath.Join(root, "commondir")); errors.Is(err, fs.ErrNotExist) {
			st = filesystem.NewStorageWithOptions(osfs.New(root, osfs.WithBoundOS()), cache.NewObjectLRUDefault(),
				filesystem.Options{LargeObjectThreshold: largeObject})
			objects = filepath.Join(root, "objects")
		}
	}
	if fsr, ok := st.(interface{ Filesystem() billy.Filesystem }); ok {
		recoverLocks(fsr.Filesystem())
	}
	ls := &lockedStorer{Storer: st, objects: objects}
	if objects != "" {
		ls.read = cache.NewObjectLRU(readCacheSize)
		ls.packs = newPacks(st.(*filesystem.Storage).Filesystem(), cache.NewObjectLRUDefault())
	}
	if wrapped, err := git.Open(ls, nil); err == nil {
		r = wrapped
	}
	return &Store{repo: r, s: ls}
}

// Open opens the local repository at path, bare or with a worktree (path may
// be any directory inside it). The worktree, if any, is never read or written.
func Open(path string) (*Store, error) {
	// DetectDotGit alone misses a bare repository (it only looks for a
	// ".git" up the tree), so try path itself first.
	// EnableDotGitCommonDir reads a linked worktree's objects and refs
	// where git keeps them, in the main repository.
	r, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	return newRepo(r), nil
}

// CloneOptions tunes [Clone]. The zero value clones every branch, full depth,
// without authentication.
type CloneOptions struct {
	// Auth authenticates to the remote; nil for none.
	Auth transport.AuthMethod
	// Branch, when set, clones only this branch (a short name, "main") and
	// points HEAD at it.
	Branch string
	// Depth, when > 0, makes a shallow clone of that many commits.
	Depth int
}

func (o CloneOptions) validate() error {
	if o.Depth < 0 {
		return fmt.Errorf("clone: negative depth %d", o.Depth)
	}
	if o.Branch != "" && !plumbing.NewBranchReferenceName(o.Branch).IsBranch() {
		return fmt.Errorf("clone: invalid branch %q", o.Branch)
	}
	return nil
}

// Clone clones url into memory, without a worktree. ctx bounds the transfer.
func Clone(ctx context.Context, url string, o CloneOptions) (*Store, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	co := &git.CloneOptions{
		URL:   url,
		Auth:  o.Auth,
		Depth: o.Depth,
		Tags:  git.NoTags,
	}
	if o.Branch != "" {
		co.ReferenceName = plumbing.NewBranchReferenceName(o.Branch)
		co.SingleBranch = true
	}
	r, err := git.CloneContext(ctx, memory.NewStorage(), nil, co)
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", url, err)
	}
	return newRepo(r), nil
}

// Resolve returns the commit that rev names: "HEAD", a full ref name
// ("refs/heads/main"), a branch, a tag (annotated tags are peeled), a
// remote-tracking branch ("origin/main"), a full 40-digit commit hash or
// an unambiguous prefix of one (4 digits or more), tried in that order. An unknown rev returns an error wrapping [ErrUnknownRevision].
func (r *Store) Resolve(rev string) (plumbing.Hash, error) {
	if i := strings.IndexAny(rev, "~^"); i > 0 {
		return r.ancestor(rev, i)
	}
	if len(rev) == 40 {
		if _, err := hex.DecodeString(rev); err == nil {
			h := plumbing.NewHash(rev)
			if _, err := object.GetCommit(r.s, h); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w (%w)", rev, ErrUnknownRevision, err)
			}
			return h, nil
		}
	}
	var names []plumbing.ReferenceName
	switch {
	case rev == "HEAD":
		names = []plumbing.ReferenceName{plumbing.HEAD}
	case strings.HasPrefix(rev, "refs/"):
		names = []plumbing.ReferenceName{plumbing.ReferenceName(rev)}
	default:
		names = []plumbing.ReferenceName{
			plumbing.NewBranchReferenceName(rev),
			plumbing.NewTagReferenceName(rev),
			plumbing.ReferenceName("refs/remotes/" + rev),
		}
	}
	for _, n := range names {
		ref, err := r.repo.Reference(n, true)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			continue
		}
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
		}
		return r.peel(rev, ref.Hash())
	}
	if len(rev) >= 4 && len(rev) < 40 {
		if _, err := hex.DecodeString(rev + rev[:len(rev)%2]); err == nil {
			// A short hash, as ferry and git print them.
			if h, err := r.repo.ResolveRevision(plumbing.Revision(rev)); err == nil {
				if _, err := object.GetCommit(r.s, *h); err == nil {
					return *h, nil
				}
			}
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, ErrUnknownRevision)
}

// ancestor resolves rev[:i] followed by git's ~N and ^ suffixes: main~2,
// HEAD^, v1.0^^ (first parents only).
func (r *Store) ancestor(rev string, i int) (plumbing.Hash, error) {
	h, err := r.Resolve(rev[:i])
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for rest := rev[i:]; rest != ""; {
		n := 1
		op := rest[0]
		rest = rest[1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 {
			if n, err = strconv.Atoi(rest[:j]); err != nil || (op == '^' && n > 1) {
				return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w: only first parents (^ or ^1, ~N)", rev, ErrUnknownRevision)
			}
			rest = rest[j:]
		}
		if op != '~' && op != '^' {
			return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, ErrUnknownRevision)
		}
		for range n {
			c, err := object.GetCommit(r.s, h)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
			}
			if c.NumParents() == 0 {
				return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w: %s has no parent", rev, ErrUnknownRevision, h.String()[:7])
			}
			h = c.ParentHashes[0]
		}
	}
	return h, nil
}

// peel follows annotated tags down to a commit.
func (r *Store) peel(rev string, h plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		obj, err := r.s.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			t, err := object.DecodeTag(r.s, obj)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
			}
			h = t.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w: %s is a %s", rev, ErrUnknownRevision, h, obj.Type())
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w: tag chain too long", rev, ErrUnknownRevision)
}

// DefaultBranch is the branch HEAD names: the one checked out, a bare
// repository's default, or in a clone the remote's default branch. It is
// "main" when HEAD names no branch (detached).
func (r *Store) DefaultBranch() string {
	for _, n := range []plumbing.ReferenceName{"refs/remotes/origin/HEAD", plumbing.HEAD} {
		ref, err := r.repo.Reference(n, false)
		if err != nil || ref.Type() != plumbing.SymbolicReference {
			continue
		}
		t := ref.Target()
		if t.IsBranch() {
			return t.Short()
		}
		if t.IsRemote() {
			return strings.TrimPrefix(t.String(), "refs/remotes/origin/")
		}
	}
	return "main"
}

// Hash names a git object: go-git's, so callers of this package need not
// import go-git for it.
type Hash = plumbing.Hash

// ParseHash reads a hash written as 40 hexadecimal digits.
func ParseHash(s string) Hash { return plumbing.NewHash(s) }

// ZeroHash is the hash of no object.
var ZeroHash Hash
