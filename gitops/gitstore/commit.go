package gitstore

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Change is one edit of a file in a commit.
type Change struct {
	// Path is slash-separated, relative to the root, and clean: no "",
	// ".", ".." or ".git" element, no leading or doubled slash.
	Path string
	// Data is the new content of the file. An existing file keeps its mode
	// (executable, symlink); a new file is a regular 0644 file, and the
	// directories above it are created.
	Data []byte
	// Delete removes the file or the whole directory at Path; Data is
	// ignored. Deleting a path that does not exist is not an error.
	// Directories left empty are removed.
	Delete bool
}

// CommitMeta describes the commit that [Store.Commit] writes.
type CommitMeta struct {
	// Author is required (name and email). A zero When means now.
	Author object.Signature
	// Committer defaults to Author when zero.
	Committer object.Signature
	// Message is stored as given; end it with a newline as git does.
	Message string
}

func (m CommitMeta) withDefaults() (CommitMeta, error) {
	if m.Author.Name == "" || m.Author.Email == "" {
		return m, fmt.Errorf("commit: author name and email are required")
	}
	if m.Author.When.IsZero() {
		m.Author.When = time.Now()
	}
	if m.Committer == (object.Signature{}) {
		m.Committer = m.Author
	}
	if m.Committer.When.IsZero() {
		m.Committer.When = m.Author.When
	}
	return m, nil
}

// Commit writes a commit whose tree is parent's tree with changes applied and
// whose only parent is parent (a zero parent makes a root commit on an empty
// tree). It moves no ref: see [Store.UpdateRef].
//
// Only the new blobs and the trees on the changed paths are written; every
// other tree is reused by hash, so the cost does not depend on the number of
// files in the repo. When the resulting tree equals parent's, Commit writes
// nothing and returns [ErrEmptyCommit]. A bad path returns an error wrapping
// [ErrInvalidPath], and a change that would write over a directory or
// through a file wraps [ErrPathConflict]; both are [*fs.PathError] naming
// the path.
//
// ctx is checked before work starts; object I/O itself is local and not
// cancellable.
func (r *Store) Commit(ctx context.Context, parent plumbing.Hash, changes []Change, m CommitMeta) (plumbing.Hash, error) {
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}
	m, err := m.withDefaults()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	root, err := buildEdits(changes)
	if err != nil {
		return plumbing.ZeroHash, err
	}

	var parentTree plumbing.Hash
	var parents []plumbing.Hash
	if !parent.IsZero() {
		pc, err := object.GetCommit(r.s, parent)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit: read parent %s: %w", parent, err)
		}
		parentTree = pc.TreeHash
		parents = []plumbing.Hash{parent}
	}

	tree, err := r.applyEdits(parentTree, root, "")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if tree.IsZero() { // everything was deleted: the empty tree
		if tree, err = r.writeTree(nil); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if tree == parentTree {
		return plumbing.ZeroHash, ErrEmptyCommit
	}

	c := &object.Commit{
		Author:       m.Author,
		Committer:    m.Committer,
		Message:      m.Message,
		TreeHash:     tree,
		ParentHashes: parents,
	}
	obj := r.s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: encode: %w", err)
	}
	h, err := r.s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: write: %w", err)
	}
	return h, nil
}

// edit is the set of changes under one path element.
type edit struct {
	change   *Change
	children map[string]*edit
}

func buildEdits(changes []Change) (*edit, error) {
	root := &edit{}
	for i := range changes {
		ch := &changes[i]
		if err := validPath(ch.Path); err != nil {
			return nil, err
		}
		n := root
		for name := range strings.SplitSeq(ch.Path, "/") {
			if n.children == nil {
				n.children = make(map[string]*edit)
			}
			c, ok := n.children[name]
			if !ok {
				c = &edit{}
				n.children[name] = c
			}
			n = c
		}
		if n.change != nil {
			return nil, &fs.PathError{Op: "commit", Path: ch.Path, Err: fmt.Errorf("%w: changed twice", ErrPathConflict)}
		}
		n.change = ch
	}
	// A file written at a path cannot also hold other changed files.
	var check func(n *edit) error
	check = func(n *edit) error {
		if n.change != nil && !n.change.Delete && len(n.children) > 0 {
			return &fs.PathError{Op: "commit", Path: n.change.Path, Err: fmt.Errorf("%w: written as a file and as a directory", ErrPathConflict)}
		}
		for _, c := range n.children {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	return root, check(root)
}

func validPath(p string) error {
	bad := p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.ContainsRune(p, 0)
	if !bad {
		for name := range strings.SplitSeq(p, "/") {
			if name == "." || name == ".." || strings.EqualFold(name, ".git") {
				bad = true
				break
			}
		}
	}
	if bad {
		return &fs.PathError{Op: "commit", Path: p, Err: ErrInvalidPath}
	}
	return nil
}

// applyEdits returns the hash of the tree h (zero: an empty tree) with e
// applied, writing it if it is new. It returns the zero hash when the result
// is empty, so that the caller drops the directory.
func (r *Store) applyEdits(h plumbing.Hash, e *edit, dir string) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !h.IsZero() {
		t, err := object.GetTree(r.s, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit: read tree %s: %w", dir, err)
		}
		entries = slices.Clone(t.Entries)
	}
	index := make(map[string]int, len(entries))
	for i, en := range entries {
		index[en.Name] = i
	}
	removed := false
	set := func(en object.TreeEntry) {
		if i, ok := index[en.Name]; ok {
			entries[i] = en
			return
		}
		index[en.Name] = len(entries)
		entries = append(entries, en)
	}
	remove := func(name string) {
		if i, ok := index[name]; ok {
			entries[i].Name = "" // dropped below
			delete(index, name)
			removed = true
		}
	}

	for _, name := range slices.Sorted(maps.Keys(e.children)) {
		c := e.children[name]
		p := dir + name
		if c.change != nil && c.change.Delete {
			remove(name)
		}
		var cur *object.TreeEntry
		if i, ok := index[name]; ok {
			cur = &entries[i]
		}
		switch {
		case len(c.children) > 0:
			var base plumbing.Hash
			if cur != nil {
				if cur.Mode != filemode.Dir {
					if onlyDeletes(c) { // nothing to delete under a file
						continue
					}
					return plumbing.ZeroHash, &fs.PathError{Op: "commit", Path: p, Err: fmt.Errorf("%w: not a directory", ErrPathConflict)}
				}
				base = cur.Hash
			}
			sub, err := r.applyEdits(base, c, p+"/")
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if sub.IsZero() {
				remove(name)
			} else {
				set(object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: sub})
			}
		case c.change != nil && !c.change.Delete:
			mode := filemode.Regular
			if cur != nil {
				if cur.Mode == filemode.Dir || cur.Mode == filemode.Submodule {
					return plumbing.ZeroHash, &fs.PathError{Op: "commit", Path: p, Err: fmt.Errorf("%w: is a directory or submodule", ErrPathConflict)}
				}
				mode = cur.Mode
			}
			bh, err := r.writeBlob(c.change.Data)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("commit %s: %w", p, err)
			}
			set(object.TreeEntry{Name: name, Mode: mode, Hash: bh})
		}
	}
	if removed {
		entries = slices.DeleteFunc(entries, func(en object.TreeEntry) bool { return en.Name == "" })
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	return r.writeTree(entries)
}

func onlyDeletes(e *edit) bool {
	if e.change != nil && !e.change.Delete {
		return false
	}
	for _, c := range e.children {
		if !onlyDeletes(c) {
			return false
		}
	}
	return true
}

// gitOrder sorts tree entries as git does: by name, a directory's name
// compared as if it ended in "/".
func gitOrder(a, b object.TreeEntry) int {
	ka, kb := a.Name, b.Name
	if a.Mode == filemode.Dir {
		ka += "/"
	}
	if b.Mode == filemode.Dir {
		kb += "/"
	}
	return strings.Compare(ka, kb)
}

func (r *Store) writeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	slices.SortFunc(entries, gitOrder)
	t := &object.Tree{Entries: entries}
	obj := r.s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: encode tree: %w", err)
	}
	return r.store(obj)
}

func (r *Store) writeBlob(data []byte) (plumbing.Hash, error) {
	obj := r.s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.store(obj)
}

// store writes obj unless the repo already has it.
func (r *Store) store(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h := obj.Hash()
	if r.s.HasEncodedObject(h) == nil {
		return h, nil
	}
	return r.s.SetEncodedObject(obj)
}

// CommitTree writes a commit of an existing tree with the given parents,
// as a merge does: a squash (one parent, the branch's tree), a merge commit
// (two parents). It moves no ref.
func (r *Store) CommitTree(ctx context.Context, tree plumbing.Hash, parents []plumbing.Hash, m CommitMeta) (plumbing.Hash, error) {
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}
	m, err := m.withDefaults()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := object.GetTree(r.s, tree); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: read tree %s: %w", tree, err)
	}
	c := &object.Commit{Author: m.Author, Committer: m.Committer, Message: m.Message, TreeHash: tree, ParentHashes: parents}
	obj := r.s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: encode: %w", err)
	}
	return r.s.SetEncodedObject(obj)
}

// CommitObject returns the commit h.
func (r *Store) CommitObject(h plumbing.Hash) (*object.Commit, error) {
	return object.GetCommit(r.s, h)
}
