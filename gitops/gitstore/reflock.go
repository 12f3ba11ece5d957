package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"

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
	f, err := fs.OpenFile(string(name)+".lock", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: %s.lock exists: another writer is changing it", ErrRefMoved, name)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return &refLock{fs: fs, name: string(name), f: f}, nil
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
