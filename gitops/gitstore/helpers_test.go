package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// when is the fixed time of every test commit, so that hashes are golden.
var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))

func sig() object.Signature {
	return object.Signature{Name: "Ferry Test", Email: "ferry@example.com", When: when}
}

func meta(msg string) CommitMeta { return CommitMeta{Author: sig(), Message: msg} }

// file is a test file: content and mode (zero mode: regular).
type file struct {
	data string
	mode filemode.FileMode
}

// newMemRepo returns an empty repo in memory.
func newMemRepo(tb testing.TB) *Store {
	tb.Helper()
	r, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return newRepo(r)
}

// writeFiles writes files as blobs and trees straight into s, without going
// through Commit, and returns the root tree.
func writeFiles(tb testing.TB, s storage.Storer, files map[string]file) plumbing.Hash {
	tb.Helper()
	type dir struct {
		files map[string]file
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]file{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, f := range files {
		d := root
		names := strings.Split(p, "/")
		for _, n := range names[:len(names)-1] {
			if d.dirs[n] == nil {
				d.dirs[n] = newDir()
			}
			d = d.dirs[n]
		}
		d.files[names[len(names)-1]] = f
	}
	put := func(obj plumbing.EncodedObject) plumbing.Hash {
		h, err := s.SetEncodedObject(obj)
		if err != nil {
			tb.Fatal(err)
		}
		return h
	}
	var write func(d *dir) plumbing.Hash
	write = func(d *dir) plumbing.Hash {
		var entries []object.TreeEntry
		for name, f := range d.files {
			obj := s.NewEncodedObject()
			obj.SetType(plumbing.BlobObject)
			w, _ := obj.Writer()
			w.Write([]byte(f.data))
			w.Close()
			mode := f.mode
			if mode == 0 {
				mode = filemode.Regular
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: put(obj)})
		}
		for name, sub := range d.dirs {
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: write(sub)})
		}
		slices.SortFunc(entries, gitOrder)
		obj := s.NewEncodedObject()
		if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
			tb.Fatal(err)
		}
		return put(obj)
	}
	return write(root)
}

// writeCommit writes a commit of tree straight into s.
func writeCommit(tb testing.TB, s storage.Storer, tree plumbing.Hash, msg string, parents ...plumbing.Hash) plumbing.Hash {
	tb.Helper()
	c := &object.Commit{Author: sig(), Committer: sig(), Message: msg, TreeHash: tree, ParentHashes: parents}
	obj := s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		tb.Fatal(err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// snapshot reads every file of commit through FS, symlinks as "-> target".
func snapshot(tb testing.TB, r *Store, commit plumbing.Hash) map[string]string {
	tb.Helper()
	fsys, err := r.FS(commit)
	if err != nil {
		tb.Fatal(err)
	}
	got := map[string]string{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case d.Type()&fs.ModeSymlink != 0:
			target, err := fsys.(fs.ReadLinkFS).ReadLink(p)
			if err != nil {
				return err
			}
			got[p] = "-> " + target
		default:
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			got[p] = fmt.Sprintf("%v %s", info.Mode(), b)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func countObjects(tb testing.TB, r *Store) int {
	tb.Helper()
	iter, err := r.s.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	if err := iter.ForEach(func(plumbing.EncodedObject) error { n++; return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}

// gitCLI runs git in dir with a fixed identity and dates and no user config.
func gitCLI(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := runGit(tb.Context(), dir, args...)
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "gc.auto=0", "-c", "core.fsmonitor=false"}, args...)...)
	cmd.Dir = dir
	date := when.Format(time.RFC3339)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ferry Test", "GIT_AUTHOR_EMAIL=ferry@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Ferry Test", "GIT_COMMITTER_EMAIL=ferry@example.com", "GIT_COMMITTER_DATE="+date,
	)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return buf.String(), err
}

func requireGit(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git CLI not found: skipping the check against real git")
	}
}
