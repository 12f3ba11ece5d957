package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxSymlinkHops bounds symlink resolution, as Linux's MAXSYMLINKS does.
const maxSymlinkHops = 40

// FS returns the tree of commit as a read-only file system. It implements
// [fs.ReadFileFS], [fs.ReadDirFS], [fs.StatFS] and [fs.ReadLinkFS], and is
// safe for concurrent use.
//
// Trees are decoded when a path first goes through them (and kept for the
// life of the FS); blobs are read when a file is read or stated. Every file
// and directory has the commit's committer time as its modification time.
// See the package documentation for symlinks and submodules.
func (r *Store) FS(commit plumbing.Hash) (fs.FS, error) {
	c, err := object.GetCommit(r.s, commit)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", commit, err)
	}
	return &treeFS{
		s:       r.s,
		root:    c.TreeHash,
		modTime: c.Committer.When,
		dirs:    make(map[plumbing.Hash]*dirTree),
	}, nil
}

type treeFS struct {
	s       storer.EncodedObjectStorer
	root    plumbing.Hash
	modTime time.Time

	mu   sync.Mutex
	dirs map[plumbing.Hash]*dirTree
}

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// dirTree is a decoded tree without its submodule entries, sorted by name
// (fs order, which differs from git order for directories).
type dirTree struct {
	entries []object.TreeEntry
	byName  map[string]int
}

func (t *treeFS) dir(h plumbing.Hash) (*dirTree, error) {
	t.mu.Lock()
	d, ok := t.dirs[h]
	t.mu.Unlock()
	if ok {
		return d, nil
	}
	tree, err := object.GetTree(t.s, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	d = &dirTree{byName: make(map[string]int, len(tree.Entries))}
	for _, e := range tree.Entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		d.entries = append(d.entries, e)
	}
	slices.SortFunc(d.entries, func(a, b object.TreeEntry) int { return strings.Compare(a.Name, b.Name) })
	for i, e := range d.entries {
		d.byName[e.Name] = i
	}
	t.mu.Lock()
	t.dirs[h] = d
	t.mu.Unlock()
	return d, nil
}

// node is a resolved path: the root (mode Dir, name "."), a directory, a
// file or, when not followed, a symlink.
type node struct {
	name string // base name of the path asked for
	mode filemode.FileMode
	hash plumbing.Hash
}

// resolve walks name from the root. Symlinks met on the way are followed;
// the last element is followed only when follow is set.
func (t *treeFS) resolve(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	base := name[strings.LastIndexByte(name, '/')+1:]
	if name == "." {
		return node{name: ".", mode: filemode.Dir, hash: t.root}, nil
	}
	type frame struct {
		name string
		hash plumbing.Hash
	}
	stack := []frame{{hash: t.root}}
	pathOf := func(last string) string {
		var b strings.Builder
		for _, f := range stack[1:] {
			b.WriteString(f.name)
			b.WriteByte('/')
		}
		b.WriteString(last)
		return b.String()
	}
	var lastLink *SymlinkError
	hops := 0
	comps := strings.Split(name, "/")
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			// Only a symlink target brings ".." (name is a valid fs path).
			if len(stack) == 1 {
				if lastLink == nil {
					return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
				}
				return node{}, &fs.PathError{Op: op, Path: name, Err: lastLink}
			}
			stack = stack[:len(stack)-1]
			continue
		}
		d, err := t.dir(stack[len(stack)-1].hash)
		if err != nil {
			return node{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		i, ok := d.byName[c]
		if !ok {
			return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		e := d.entries[i]
		switch e.Mode {
		case filemode.Dir:
			stack = append(stack, frame{name: c, hash: e.Hash})
		case filemode.Symlink:
			if len(comps) == 0 && !follow {
				return node{name: base, mode: e.Mode, hash: e.Hash}, nil
			}
			hops++
			if hops > maxSymlinkHops {
				return node{}, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
			}
			target, err := t.readBlob(e.Hash)
			if err != nil {
				return node{}, &fs.PathError{Op: op, Path: name, Err: err}
			}
			lastLink = &SymlinkError{Path: pathOf(c), Target: string(target)}
			if len(target) == 0 || target[0] == '/' {
				return node{}, &fs.PathError{Op: op, Path: name, Err: lastLink}
			}
			comps = append(strings.Split(string(target), "/"), comps...)
		default: // regular or executable file
			if len(comps) > 0 {
				return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
			}
			return node{name: base, mode: e.Mode, hash: e.Hash}, nil
		}
	}
	return node{name: base, mode: filemode.Dir, hash: stack[len(stack)-1].hash}, nil
}

func (t *treeFS) readBlob(h plumbing.Hash) ([]byte, error) {
	b, _, err := t.readBlobAtMost(h, -1)
	return b, err
}

// readBlobAtMost reads the blob h unless it holds more than limit bytes
// (limit < 0: any size); for a larger one it returns no data and the
// blob's size. The on-disk storage does not read a large object when it
// is looked up (see largeObject), so a blob over the limit is never read.
func (t *treeFS) readBlobAtMost(h plumbing.Hash, limit int64) ([]byte, int64, error) {
	obj, err := t.s.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	if limit >= 0 && obj.Size() > limit {
		return nil, obj.Size(), nil
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	return b, int64(len(b)), nil
}

func (t *treeFS) info(n node) (*fileInfo, error) {
	fi := &fileInfo{name: n.name, mode: fsMode(n.mode), modTime: t.modTime}
	if n.mode != filemode.Dir {
		// The on-disk storage reads only the object's header for its size;
		// EncodedObject would inflate the whole blob.
		if sz, ok := t.s.(interface {
			EncodedObjectSize(plumbing.Hash) (int64, error)
		}); ok {
			size, err := sz.EncodedObjectSize(n.hash)
			if err != nil {
				return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
			}
			fi.size = size
			return fi, nil
		}
		obj, err := t.s.EncodedObject(plumbing.BlobObject, n.hash)
		if err != nil {
			return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
		}
		fi.size = obj.Size()
	}
	return fi, nil
}

func fsMode(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Dir:
		return fs.ModeDir | 0o755
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	default:
		return 0o644
	}
}

// Open implements [fs.FS].
func (t *treeFS) Open(name string) (fs.File, error) {
	n, err := t.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	fi, err := t.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if n.mode == filemode.Dir {
		d, err := t.dir(n.hash)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &openDir{fsys: t, info: fi, path: name, d: d}, nil
	}
	return &openFile{fsys: t, info: fi, path: name, hash: n.hash}, nil
}

// ReadFile implements [fs.ReadFileFS].
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	n, err := t.resolve("read", name, true)
	if err != nil {
		return nil, err
	}
	if n.mode == filemode.Dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	b, err := t.readBlob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, nil
}

// Hash returns the git object hash at name (a blob, or a tree for a
// directory), not following a symlink at the end: two trees with the same
// hash at a path hold the same there. Trees on the way are decoded once
// for the life of the FS.
func (t *treeFS) Hash(name string) (plumbing.Hash, error) {
	n, err := t.resolve("stat", name, false)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return n.hash, nil
}

// ReadFileAtMost reads the file name unless it holds more than limit
// bytes; for a larger file it returns no data and the file's size,
// without reading it. It is how a caller bounds what a tree makes it
// read (a 50 MB file in one workload's folder).
func (t *treeFS) ReadFileAtMost(name string, limit int64) ([]byte, int64, error) {
	n, err := t.resolve("read", name, true)
	if err != nil {
		return nil, 0, err
	}
	if n.mode == filemode.Dir {
		return nil, 0, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	b, size, err := t.readBlobAtMost(n.hash, limit)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, size, nil
}

// ReadDir implements [fs.ReadDirFS].
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := t.resolve("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if n.mode != filemode.Dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	d, err := t.dir(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(d.entries))
	for i, e := range d.entries {
		out[i] = &dirEntry{fsys: t, e: e}
	}
	return out, nil
}

// Stat implements [fs.StatFS].
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	return t.stat("stat", name, true)
}

// Lstat implements [fs.ReadLinkFS]: it does not follow a final symlink.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) {
	return t.stat("lstat", name, false)
}

func (t *treeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	n, err := t.resolve(op, name, follow)
	if err != nil {
		return nil, err
	}
	fi, err := t.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return fi, nil
}

// ReadLink implements [fs.ReadLinkFS]. It returns the target as stored, even
// one that points outside the tree.
func (t *treeFS) ReadLink(name string) (string, error) {
	n, err := t.resolve("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	b, err := t.readBlob(n.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(b), nil
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

type dirEntry struct {
	fsys *treeFS
	e    object.TreeEntry
}

func (de *dirEntry) Name() string      { return de.e.Name }
func (de *dirEntry) IsDir() bool       { return de.e.Mode == filemode.Dir }
func (de *dirEntry) Type() fs.FileMode { return fsMode(de.e.Mode).Type() }
func (de *dirEntry) Info() (fs.FileInfo, error) {
	return de.fsys.info(node{name: de.e.Name, mode: de.e.Mode, hash: de.e.Hash})
}

// openFile reads its blob on the first Read.
type openFile struct {
	fsys *treeFS
	info *fileInfo
	path string
	hash plumbing.Hash
	r    *bytes.Reader
}

func (f *openFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *openFile) Close() error               { return nil }

func (f *openFile) Read(p []byte) (int, error) {
	if f.r == nil {
		b, err := f.fsys.readBlob(f.hash)
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		f.r = bytes.NewReader(b)
	}
	return f.r.Read(p)
}

type openDir struct {
	fsys   *treeFS
	info   *fileInfo
	path   string
	d      *dirTree
	offset int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *openDir) Close() error               { return nil }

func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errors.New("is a directory")}
}

// ReadDir implements [fs.ReadDirFile].
func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.d.entries[d.offset:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.offset += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, e := range rest {
		out[i] = &dirEntry{fsys: d.fsys, e: e}
	}
	return out, nil
}
