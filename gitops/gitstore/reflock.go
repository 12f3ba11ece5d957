package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// refLock is git's own protocol for changing a ref on disk: create
// <ref>.lock exclusively, write the new value into it, rename it over the
// ref. A reader sees the old value or the new one, never an empty file,
// and another process (ferry, or git itself) that wants the ref at the
// same moment fails to create the lock instead of overwriting.
type refLock struct {
	fs   billy.Filesystem
	name string
	f    billy.File
}

// lockRef takes the lock of name, or returns nil, nil when the repository
// is not on disk (in memory, the storer's own compare-and-swap suffices).
func (r *Store) lockRef(name plumbing.ReferenceName) (*refLock, error) {
	fsr, ok := r.s.(*lockedStorer).Storer.(interface{ Filesystem() billy.Filesystem })
	if !ok {
		return nil, nil
	}
	fs := fsr.Filesystem()
	lock := string(name) + ".lock"
	intend(fs.Root(), lock)
	f, err := fs.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if errors.Is(err, os.ErrExist) {
		recoverDead(fs.Root())
		if removeStale(fs, lock) || !exists(fs, lock) {
			f, err = fs.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		}
	}
	if errors.Is(err, os.ErrExist) {
		return nil, &LockError{Path: filepath.Join(fs.Root(), lock), Err: ErrRefMoved}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	record(fs.Root(), lock)
	return &refLock{fs: fs, name: string(name), f: f}, nil
}

func exists(fs billy.Filesystem, name string) bool {
	_, err := fs.Stat(name)
	return err == nil
}

// StaleLock is how old a ref's lock file must be before ferry takes it for
// one that a killed process left: ferry and git hold a ref lock for the
// moment it takes to write one line and rename it.
const StaleLock = 2 * time.Minute

// A LockError reports a ref's lock file held by another writer: one that
// is changing the ref now, or a dead process's if it stays. It wraps
// ErrRefMoved, so the stage is regenerated on the next run, and says how
// to remove the file if no writer is left.
type LockError struct {
	Path string
	Err  error
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%s exists: another git or ferry process is changing the ref (if none is running, remove it: rm %s; ferry removes it itself once it is %s old)", e.Path, e.Path, StaleLock)
}

func (e *LockError) Unwrap() error { return e.Err }

// removeStale removes the lock file name when it is older than StaleLock,
// and reports whether it did.
func removeStale(fs billy.Filesystem, name string) bool {
	info, err := fs.Stat(name)
	if err != nil || time.Since(info.ModTime()) < StaleLock {
		return false
	}
	return fs.Remove(name) == nil
}

// recoverLocks removes the ref lock files under refs/ (and packed-refs's)
// that a killed process left, older than StaleLock: go-git reads
// refs/heads/main.lock as a branch, and an empty one fails every listing
// of the branches.
func recoverLocks(fs billy.Filesystem) {
	recoverDead(fs.Root())
	removeStale(fs, "packed-refs.lock")
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := fs.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			switch {
			case e.IsDir():
				walk(p)
			case strings.HasSuffix(e.Name(), ".lock"):
				removeStale(fs, p)
			}
		}
	}
	walk("refs")
}

// commit writes h and renames the lock over the ref.
func (l *refLock) commit(h plumbing.Hash) error {
	if _, err := io.WriteString(l.f, h.String()+"\n"); err != nil {
		l.release()
		return err
	}
	if err := l.f.Close(); err != nil {
		l.fs.Remove(l.name + ".lock")
		return err
	}
	return l.fs.Rename(l.name+".lock", l.name)
}

// release gives the lock up without changing the ref.
func (l *refLock) release() {
	l.f.Close()
	l.fs.Remove(l.name + ".lock")
}
