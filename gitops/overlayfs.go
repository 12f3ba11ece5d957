package gitops

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/gitops/render"
)

// Change is one edit of a file: new content, or a deletion of a file or a
// whole directory. It is what a stage commits.
type Change = gitstore.Change

// Overlay returns base with changes applied on top, without writing
// anything: what the tree will be once the changes are committed. It is
// how a stage proves that the overlays it touches still build before it
// commits.
func Overlay(base fs.FS, changes []Change) fs.FS {
	o := &overlayFS{base: base, files: map[string][]byte{}, dirs: map[string]bool{}}
	for _, c := range changes {
		if c.Delete {
			o.deleted = append(o.deleted, c.Path)
			for p := range o.files {
				if p == c.Path || strings.HasPrefix(p, c.Path+"/") {
					delete(o.files, p)
				}
			}
			continue
		}
		o.files[c.Path] = c.Data
	}
	for p := range o.files {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			o.dirs[d] = true
		}
		o.dirs["."] = true
	}
	return o
}

type overlayFS struct {
	base    fs.FS
	files   map[string][]byte
	dirs    map[string]bool // directories holding an added file
	deleted []string
}

func (o *overlayFS) gone(name string) bool {
	for _, d := range o.deleted {
		if name == d || strings.HasPrefix(name, d+"/") {
			if _, ok := o.files[name]; ok || o.dirs[name] {
				return false
			}
			return true
		}
	}
	return false
}

func (o *overlayFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := o.files[name]; ok {
		return &memFile{name: path.Base(name), r: strings.NewReader(string(data)), size: int64(len(data))}, nil
	}
	if o.dirs[name] {
		ents, err := o.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &memDir{name: path.Base(name), ents: ents}, nil
	}
	if o.gone(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := o.base.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err == nil && info.IsDir() {
		f.Close()
		ents, err := o.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &memDir{name: path.Base(name), ents: ents, info: info}, nil
	}
	return f, nil
}

// ReadFileAtMost reads name unless it holds more than limit bytes, as
// [render.ReadFileAtMost] describes; a file of the base is read through
// the base's own method when it has one.
func (o *overlayFS) ReadFileAtMost(name string, limit int64) ([]byte, int64, error) {
	if data, ok := o.files[name]; ok {
		if int64(len(data)) > limit {
			return nil, int64(len(data)), nil
		}
		return data, int64(len(data)), nil
	}
	switch {
	case !fs.ValidPath(name):
		return nil, 0, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	case o.dirs[name]:
		return nil, 0, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	case o.gone(name):
		return nil, 0, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	b, err := render.ReadFileAtMost(o.base, name, limit)
	if se := (*render.SizeError)(nil); errors.As(err, &se) {
		return nil, se.Size, nil
	}
	return b, int64(len(b)), err
}

func (o *overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if o.gone(name) && !o.dirs[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	byName := map[string]fs.DirEntry{}
	var baseErr error
	if !o.gone(name) || o.dirs[name] {
		ents, err := fs.ReadDir(o.base, name)
		baseErr = err
		for _, e := range ents {
			p := path.Join(name, e.Name())
			if !o.gone(p) {
				byName[e.Name()] = e
			}
		}
	}
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	for p, data := range o.files {
		if rest, ok := strings.CutPrefix(p, prefix); ok && !strings.Contains(rest, "/") {
			byName[rest] = fs.FileInfoToDirEntry(memInfo{name: rest, size: int64(len(data))})
		}
	}
	for d := range o.dirs {
		if rest, ok := strings.CutPrefix(d, prefix); ok && rest != "" && d != "." && !strings.Contains(rest, "/") {
			byName[rest] = fs.FileInfoToDirEntry(memInfo{name: rest, dir: true})
		}
	}
	if len(byName) == 0 && baseErr != nil && !o.dirs[name] {
		return nil, baseErr
	}
	out := make([]fs.DirEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

type memFile struct {
	name string
	r    *strings.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{name: f.name, size: f.size}, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	name string
	ents []fs.DirEntry
	off  int
	info fs.FileInfo // the base's, when the directory is in the base
}

func (d *memDir) Stat() (fs.FileInfo, error) {
	if d.info != nil {
		return d.info, nil
	}
	return memInfo{name: d.name, dir: true}, nil
}
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
