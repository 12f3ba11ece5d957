package render

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is returned by every write to the adapted file system.
var errReadOnly = errors.New("render: the repo file system is read-only")

// probeKind is one kind of question a build asks the file system.
type probeKind uint8

const (
	probeFile probeKind = iota // the content of a file (or that it cannot be read)
	probeStat                  // whether a path is missing, a file or a directory
	probeDir                   // the names (and kinds) in a directory
	probeGlob                  // the matches of a glob pattern
)

// probe is one recorded question: its kind and the slash path (relative to
// the fs.FS root, "." for the root) or glob pattern it was asked about.
type probe struct {
	kind probeKind
	path string
}

// digest is the sha256 of a probe's answer.
type digest [sha256.Size]byte

// readSet is everything one build asked the file system, with the answers'
// digests. Asking the same questions of another fs.FS and getting the same
// digests means the build would read the same bytes and render the same.
type readSet map[probe]digest

// measure asks fsys the question p and returns the digest of the answer and,
// for a probeFile, the content. A missing path is an answer; any other error
// is returned, and the answer is then not cacheable.
func measure(fsys fs.FS, p probe) (digest, []byte, error) {
	h := sha256.New()
	switch p.kind {
	case probeFile:
		b, err := ReadFileAtMost(fsys, p.path, MaxFileSize)
		if err != nil {
			// kustomize reads a resource before trying it as a directory.
			fi, serr := fs.Stat(fsys, p.path)
			switch {
			case isNotExist(serr):
				h.Write([]byte("missing"))
				return digest(h.Sum(nil)), nil, &fs.PathError{Op: "open", Path: p.path, Err: fs.ErrNotExist}
			case serr == nil && fi.IsDir():
				h.Write([]byte("dir"))
				return digest(h.Sum(nil)), nil, &fs.PathError{Op: "read", Path: p.path, Err: errIsDir}
			}
			return digest{}, nil, err
		}
		h.Write([]byte("file\x00"))
		h.Write(b)
		return digest(h.Sum(nil)), b, nil
	case probeStat:
		fi, err := fs.Stat(fsys, p.path)
		switch {
		case isNotExist(err):
			h.Write([]byte("missing"))
		case err != nil:
			return digest{}, nil, err
		case fi.IsDir():
			h.Write([]byte("dir"))
		default:
			h.Write([]byte("file"))
		}
		return digest(h.Sum(nil)), nil, nil
	case probeDir:
		ents, err := fs.ReadDir(fsys, p.path)
		if err != nil {
			if isNotExist(err) {
				h.Write([]byte("missing"))
				return digest(h.Sum(nil)), nil, err
			}
			return digest{}, nil, err
		}
		h.Write([]byte("dir\x00"))
		var names []string
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() {
				n += "/"
			}
			h.Write([]byte(n + "\x00"))
			names = append(names, e.Name())
		}
		return digest(h.Sum(nil)), []byte(strings.Join(names, "\x00")), nil
	case probeGlob:
		matches, err := fs.Glob(fsys, p.path)
		if err != nil {
			return digest{}, nil, err
		}
		h.Write([]byte("glob\x00"))
		for _, m := range matches {
			h.Write([]byte(m + "\x00"))
		}
		return digest(h.Sum(nil)), []byte(strings.Join(matches, "\x00")), nil
	}
	return digest{}, nil, errors.New("render: unknown probe")
}

// errIsDir answers a read of a directory.
var errIsDir = errors.New("is a directory")

// isNotExist reports whether err means the path is absent. A path through a
// file ("a/file/b") or one fs.FS refuses ("../x") is absent too.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || errors.Is(err, syscall.ENOTDIR)
}

// answered reports whether err is an answer to a probe (the path is missing,
// or a directory was read as a file) rather than a failure to ask.
func answered(err error) bool {
	return err == nil || isNotExist(err) || errors.Is(err, errIsDir)
}

// valid reports whether asking fsys every question of rs gives the same
// answers. memo holds answers already computed for fsys.
func (rs readSet) valid(fsys fs.FS, memo map[probe]digest) bool {
	for p, want := range rs {
		got, ok := memo[p]
		if !ok {
			var err error
			got, _, err = measure(fsys, p)
			if !answered(err) {
				return false
			}
			memo[p] = got
		}
		if got != want {
			return false
		}
	}
	return true
}

// recordingFS adapts an fs.FS to kustomize's filesys.FileSystem, read-only,
// rooted at "/", and records every question asked with a digest of its
// answer.
type recordingFS struct {
	fsys fs.FS

	mu    sync.Mutex
	reads readSet
	err   error // first error other than "not found": the reads are not cacheable
	// bounded is the first file refused for a bound: when the build
	// fails, it is the reason, whatever kustomize made of the refusal.
	bounded error
}

var _ filesys.FileSystem = (*recordingFS)(nil)

func newRecordingFS(fsys fs.FS) *recordingFS {
	return &recordingFS{fsys: fsys, reads: make(readSet)}
}

// ask measures p on the underlying fs.FS and records the answer.
func (r *recordingFS) ask(p probe) ([]byte, error) {
	d, b, err := measure(r.fsys, p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !answered(err) {
		if r.err == nil {
			r.err = err
		}
		return nil, err
	}
	r.reads[p] = d
	return b, err
}

// snapshot returns a copy of the reads recorded so far and whether they can
// be cached.
func (r *recordingFS) snapshot() (readSet, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := make(readSet, len(r.reads))
	for p, d := range r.reads {
		rs[p] = d
	}
	return rs, r.err == nil
}

// rel maps a kustomize path (absolute, rooted at "/") to an fs.FS path.
func rel(name string) string {
	p := path.Clean("/" + filepath.ToSlash(name))
	if p == "/" {
		return "."
	}
	return p[1:]
}

// abs maps an fs.FS path to the absolute path kustomize sees.
func abs(name string) string {
	if name == "." {
		return "/"
	}
	return "/" + name
}

func (r *recordingFS) kind(name string) (isDir, exists bool) {
	p := rel(name)
	d, _, err := measure(r.fsys, probe{probeStat, p})
	if err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
		return false, false
	}
	r.mu.Lock()
	r.reads[probe{probeStat, p}] = d
	r.mu.Unlock()
	switch d {
	case statDir:
		return true, true
	case statFile:
		return false, true
	}
	return false, false
}

var statDir, statFile = func() (digest, digest) {
	return sha256.Sum256([]byte("dir")), sha256.Sum256([]byte("file"))
}()

func (r *recordingFS) Create(string) (filesys.File, error)  { return nil, errReadOnly }
func (r *recordingFS) Mkdir(string) error                   { return errReadOnly }
func (r *recordingFS) MkdirAll(string) error                { return errReadOnly }
func (r *recordingFS) RemoveAll(string) error               { return errReadOnly }
func (r *recordingFS) WriteFile(string, []byte) error       { return errReadOnly }
func (r *recordingFS) IsDir(name string) bool               { d, _ := r.kind(name); return d }
func (r *recordingFS) Exists(name string) bool              { _, e := r.kind(name); return e }
func (r *recordingFS) ReadFile(name string) ([]byte, error) { return r.readFile(name) }

func (r *recordingFS) readFile(name string) ([]byte, error) {
	b, err := r.ask(probe{probeFile, rel(name)})
	var se *SizeError
	if errors.As(err, &se) {
		err = fmt.Errorf("%s: %w: %w", rel(name), ErrTooBig, se)
	} else if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathError(err)}
	} else {
		err = bound(rel(name), b)
	}
	if err != nil {
		r.mu.Lock()
		if r.bounded == nil {
			r.bounded = err
		}
		r.mu.Unlock()
		return nil, err
	}
	return b, nil
}

// unwrapPathError strips fs.PathError so the error names kustomize's path,
// not the fs.FS one.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r *recordingFS) Open(name string) (filesys.File, error) {
	if d, _ := r.kind(name); d {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	b, err := r.readFile(name)
	if err != nil {
		return nil, err
	}
	return &file{Reader: bytes.NewReader(b), name: path.Base(rel(name)), size: int64(len(b))}, nil
}

func (r *recordingFS) ReadDir(name string) ([]string, error) {
	b, err := r.ask(probe{probeDir, rel(name)})
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: unwrapPathError(err)}
	}
	if len(b) == 0 {
		return []string{}, nil
	}
	return strings.Split(string(b), "\x00"), nil
}

func (r *recordingFS) CleanedAbs(name string) (filesys.ConfirmedDir, string, error) {
	p := rel(name)
	isDir, exists := r.kind(name)
	switch {
	case !exists:
		return "", "", &fs.PathError{Op: "stat", Path: abs(p), Err: fs.ErrNotExist}
	case isDir:
		return filesys.ConfirmedDir(abs(p)), "", nil
	}
	return filesys.ConfirmedDir(abs(path.Dir(p))), path.Base(p), nil
}

func (r *recordingFS) Glob(pattern string) ([]string, error) {
	pat := rel(pattern)
	b, err := r.ask(probe{probeGlob, pat})
	if err != nil {
		return nil, err
	}
	var matches []string
	if len(b) > 0 {
		for _, m := range strings.Split(string(b), "\x00") {
			matches = append(matches, abs(m))
		}
	}
	if filesys.IsHiddenFilePath(pattern) {
		return matches, nil
	}
	return filesys.RemoveHiddenFiles(matches), nil
}

func (r *recordingFS) Walk(root string, walkFn filepath.WalkFunc) error {
	err := r.walk(abs(rel(root)), walkFn)
	if errors.Is(err, filepath.SkipDir) || errors.Is(err, filepath.SkipAll) {
		return nil
	}
	return err
}

func (r *recordingFS) walk(name string, walkFn filepath.WalkFunc) error {
	isDir, exists := r.kind(name)
	if !exists {
		return walkFn(name, nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist})
	}
	info := fileInfo{name: path.Base(name), dir: isDir}
	if !isDir {
		return walkFn(name, info, nil)
	}
	names, err := r.ReadDir(name)
	if err := walkFn(name, info, err); err != nil || names == nil {
		return err
	}
	slices.Sort(names)
	for _, n := range names {
		if err := r.walk(path.Join(name, n), walkFn); err != nil {
			if errors.Is(err, filepath.SkipDir) {
				if sub, _ := r.kind(path.Join(name, n)); !sub {
					return nil // SkipDir on a file skips the rest of its directory
				}
				continue
			}
			return err
		}
	}
	return nil
}

// file is a read-only filesys.File over a file's content.
type file struct {
	*bytes.Reader
	name string
	size int64
}

func (f *file) Write([]byte) (int, error) { return 0, errReadOnly }
func (f *file) Close() error              { return nil }
func (f *file) Stat() (os.FileInfo, error) {
	return fileInfo{name: f.name, size: f.size}, nil
}

var _ io.ReadWriteCloser = (*file)(nil)

// fileInfo is the little kustomize asks of a file's info.
type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }
