package bot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"
)

// Worktree keeps a checked-out base branch's files in step with the
// commits the local forge lands on it, as `git merge --ff-only` would: it
// changes only the files the new commits change, and never removes or
// overwrites a file git does not track (notes, an ignored local.env).
type Worktree struct {
	root string
	repo *git.Repository
	wt   *git.Worktree
	base plumbing.ReferenceName
	// tmp is where files are written before they are renamed into the
	// worktree: in the git directory, so that a run killed in between
	// leaves nothing among the user's files. "" writes beside the file.
	tmp string
	// gitDir is the git directory, where the catch-up lock is ("": none).
	gitDir string
}

// DirtyError is the refusal of a worktree with changes to tracked files
// that no commit of the base branch explains: ferry would move the branch
// under them.
type DirtyError struct {
	Dir, File, Why, Base string
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("-C %s: %s %s and %s is checked out; ferry run --forge local moves %s: commit or stash it first", e.Dir, e.File, e.Why, e.Base, e.Base)
}

// maxBehind bounds how far back in the base branch's history a worktree
// that a killed run left behind is looked for.
const maxBehind = 1000

// FollowWorktree returns a Worktree when dir is a repo with a worktree
// whose HEAD is the base branch, nil otherwise. A worktree that an earlier
// run left behind the branch (killed before it caught up) is caught up
// first; one with changes to tracked files of its own is a *DirtyError.
func FollowWorktree(dir, base string) (*Worktree, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, nil // opening the repo itself reports it
	}
	tmp, gitDir := "", ""
	if fsr, ok := r.Storer.(interface{ Filesystem() billy.Filesystem }); ok {
		gitDir = fsr.Filesystem().Root()
		removeDead(gitDir, "index.ferry-")
		if tmp = filepath.Join(gitDir, "ferry", "tmp"); os.MkdirAll(tmp, 0o755) != nil {
			tmp = ""
		}
		removeDead(tmp, "")
		r.Storer = followStorer{Storer: r.Storer, gitDir: gitDir}
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, nil // bare
	}
	head, err := r.Reference(plumbing.HEAD, false)
	if err != nil || head.Target() != plumbing.NewBranchReferenceName(base) {
		return nil, nil
	}
	f := &Worktree{root: wt.Filesystem.Root(), repo: r, wt: wt, base: head.Target(), tmp: tmp, gitDir: gitDir}
	if err := f.catchUp(dir); err != nil {
		return nil, err
	}
	return f, nil
}

// CatchUp brings the worktree to the base branch's new head. A nil
// Worktree has nothing to do.
func (f *Worktree) CatchUp() error {
	if f == nil {
		return nil
	}
	return f.catchUp(f.root)
}

func (f *Worktree) catchUp(dir string) error {
	defer lockWorktree(f.gitDir)()
	ref, err := f.repo.Reference(f.base, true)
	if err != nil {
		return err
	}
	head, err := f.repo.CommitObject(ref.Hash())
	if err != nil {
		return err
	}
	at, err := f.checkedOut(dir, head)
	if err != nil || at.Hash == head.Hash {
		return err
	}
	from, err := at.Tree()
	if err != nil {
		return err
	}
	to, err := head.Tree()
	if err != nil {
		return err
	}
	changes, err := object.DiffTree(from, to)
	if err != nil {
		return err
	}
	// First every check, then every write: a file in the way stops the
	// catch-up before anything changed.
	for _, c := range changes {
		action, err := c.Action()
		if err != nil {
			return err
		}
		if action == merkletrie.Insert {
			if err := f.mayCreate(dir, c.To); err != nil {
				return err
			}
		}
	}
	for _, c := range changes {
		if err := f.apply(c); err != nil {
			return err
		}
	}
	// The index follows; the files are already there.
	return f.wt.Reset(&git.ResetOptions{Commit: head.Hash, Mode: git.MixedReset})
}

// checkedOut is the commit of the base branch's first-parent history whose
// tree the index holds, when the worktree has no change of its own to a
// tracked file.
func (f *Worktree) checkedOut(dir string, head *object.Commit) (*object.Commit, error) {
	st, err := f.wt.Status()
	if err != nil {
		return nil, err
	}
	headTree, err := head.Tree()
	if err != nil {
		return nil, err
	}
	for name, s := range st {
		if s.Worktree != git.Unmodified && s.Worktree != git.Untracked {
			if f.asAt(headTree, name) {
				continue // a catch-up killed half-way wrote it: the next one ends it
			}
			return nil, &DirtyError{Dir: dir, File: name, Why: "has uncommitted changes", Base: f.base.Short()}
		}
	}
	idx, err := f.repo.Storer.Index()
	if err != nil {
		return nil, err
	}
	c := head
	for range maxBehind {
		same, err := holds(idx, c)
		if err != nil || same {
			return c, err
		}
		if c.NumParents() == 0 {
			break
		}
		if c, err = c.Parent(0); err != nil {
			return nil, err
		}
	}
	for name, s := range st {
		if s.Staging != git.Unmodified && s.Staging != git.Untracked {
			return nil, &DirtyError{Dir: dir, File: name, Why: "has staged changes", Base: f.base.Short()}
		}
	}
	return nil, &DirtyError{Dir: dir, File: "the index", Why: "matches no commit of the branch", Base: f.base.Short()}
}

// asAt reports whether the worktree's file name is as t has it (absent
// when t has none): what a catch-up to t writes, so no change of the
// user's.
func (f *Worktree) asAt(t *object.Tree, name string) bool {
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(name)))
	file, ferr := t.File(name)
	if ferr != nil {
		return errors.Is(err, os.ErrNotExist) && errors.Is(ferr, object.ErrFileNotFound)
	}
	want, werr := file.Contents()
	return err == nil && werr == nil && string(data) == want
}

// holds reports whether the index holds exactly c's tree.
func holds(idx *index.Index, c *object.Commit) (bool, error) {
	t, err := c.Tree()
	if err != nil {
		return false, err
	}
	// The tree's entries, not its files: an object.File reads its blob.
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	n := 0
	for {
		name, entry, err := w.Next()
		if errors.Is(err, io.EOF) {
			return n == len(idx.Entries), nil
		}
		if err != nil {
			return false, err
		}
		if !entry.Mode.IsFile() {
			continue
		}
		n++
		e, err := idx.Entry(name)
		if err != nil || e.Hash != entry.Hash || e.Mode != entry.Mode {
			return false, nil
		}
	}
}

// mayCreate refuses a new file whose path holds a file git does not
// track, unless it already has the new content.
func (f *Worktree) mayCreate(dir string, to object.ChangeEntry) error {
	p := filepath.Join(f.root, filepath.FromSlash(to.Name))
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	want, werr := blob(f.repo, to.TreeEntry.Hash)
	if err == nil && werr == nil && string(data) == string(want) {
		return nil
	}
	return &DirtyError{Dir: dir, File: to.Name, Why: "is not tracked, and a commit ferry landed adds it", Base: f.base.Short()}
}

// apply makes one change of the diff in the worktree's files.
func (f *Worktree) apply(c *object.Change) error {
	action, err := c.Action()
	if err != nil {
		return err
	}
	if action == merkletrie.Delete {
		p := filepath.Join(f.root, filepath.FromSlash(c.From.Name))
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		// Folders the removal empties go too, as git removes them.
		for d := filepath.Dir(p); d != f.root && strings.HasPrefix(d, f.root); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
		return nil
	}
	return f.write(c.To)
}

// write writes one file of the new tree, through a temporary file renamed
// into place.
func (f *Worktree) write(to object.ChangeEntry) error {
	p := filepath.Join(f.root, filepath.FromSlash(to.Name))
	data, err := blob(f.repo, to.TreeEntry.Hash)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if to.TreeEntry.Mode == filemode.Symlink {
		os.Remove(p)
		return os.Symlink(string(data), p)
	}
	perm := os.FileMode(0o644)
	if to.TreeEntry.Mode == filemode.Executable {
		perm = 0o755
	}
	dir, pattern := filepath.Dir(p), ".ferry-*"
	if f.tmp != "" {
		dir, pattern = f.tmp, fmt.Sprintf("%d-*", os.Getpid())
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		if f.tmp == "" {
			return err
		}
		g := *f
		g.tmp = "" // the git directory is on another file system
		return g.write(to)
	}
	return nil
}

func blob(r *git.Repository, h plumbing.Hash) ([]byte, error) {
	b, err := r.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
