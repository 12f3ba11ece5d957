package gitstore

import (
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
)

// lockedStorer makes go-git's storage safe for concurrent use within a
// process: the on-disk storage keeps unguarded caches (the loose object
// list that a write clears while a read walks it, the packfile index it
// loads on first use). Writes take the lock alone, reads share it, and the
// lazily loaded index is loaded once under the lock alone before any read
// that goes to go-git (objects in packs and loose ones are read by packs
// and readLoose, which share nothing unguarded).
type lockedStorer struct {
	storage.Storer
	mu     sync.RWMutex
	warmed sync.Once
	// objects, when set, is the objects directory of an on-disk repo:
	// new objects are written there by writeLoose, not by go-git.
	objects string
	// read holds objects already read, by hash: go-git opens a loose
	// object's file (an Lstat per path element, and an open) before it
	// looks in its own cache, and in the planner's passes and the check
	// the same trees are read again and again. Objects never change, so
	// nothing is invalidated.
	read *cache.ObjectLRU
	// packs, when objects is set, reads the packed objects, and loose
	// ones are read here too (readLoose): go-git's storage, and the
	// packfile index it loads whole (see packs), is left for what neither
	// finds.
	packs *packs
}

// readCacheSize bounds the objects lockedStorer keeps, as go-git's default
// object cache does.
const readCacheSize = 64 * cache.MiByte

// warm makes the storage load what it loads lazily (the packfile index),
// alone, so that reads sharing the lock never write it.
func (s *lockedStorer) warm() {
	s.warmed.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		_ = s.Storer.HasEncodedObject(plumbing.ZeroHash)
	})
}

func (s *lockedStorer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if s.read != nil {
		if o, ok := s.read.Get(h); ok && (t == plumbing.AnyObject || o.Type() == t) {
			return o, nil
		}
	}
	if s.packs != nil {
		o, err := s.packs.get(t, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			if o, err = readLoose(s.objects, h); err == nil {
				o, err = typed(o, t)
			}
		}
		if err == nil {
			if o.Size() <= largeObject {
				s.read.Put(o)
			}
			return o, nil
		}
		if !errors.Is(err, plumbing.ErrObjectNotFound) && !errors.Is(err, errLarge) {
			return nil, err
		}
	}
	s.warm()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.Storer.EncodedObject(t, h)
	if err == nil && s.read != nil && o.Size() <= largeObject {
		s.read.Put(o) // a larger one is not read yet, and would evict the rest
	}
	return o, err
}

func (s *lockedStorer) HasEncodedObject(h plumbing.Hash) error {
	if s.packs != nil {
		if s.packs.has(h) {
			return nil
		}
		hex := h.String()
		if _, err := os.Stat(filepath.Join(s.objects, hex[:2], hex[2:])); err == nil {
			return nil
		}
	}
	s.warm()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.Storer.HasEncodedObject(h)
}

func (s *lockedStorer) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if s.read != nil {
		if o, ok := s.read.Get(h); ok {
			return o.Size(), nil
		}
	}
	if s.packs != nil {
		if sz, err := s.packs.size(h); !errors.Is(err, plumbing.ErrObjectNotFound) {
			return sz, err
		}
	}
	s.warm()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sz, ok := s.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		return sz.EncodedObjectSize(h)
	}
	obj, err := s.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

func (s *lockedStorer) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects != "" {
		return writeLoose(s.objects, o)
	}
	return s.Storer.SetEncodedObject(o)
}

func (s *lockedStorer) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.Storer.IterEncodedObjects(t)
}

func (s *lockedStorer) Reference(n plumbing.ReferenceName) (*plumbing.Reference, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.Storer.Reference(n)
}

func (s *lockedStorer) IterReferences() (storer.ReferenceIter, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.Storer.IterReferences()
}

func (s *lockedStorer) SetReference(r *plumbing.Reference) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storer.SetReference(r)
}

func (s *lockedStorer) CheckAndSetReference(n, old *plumbing.Reference) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storer.CheckAndSetReference(n, old)
}

func (s *lockedStorer) RemoveReference(n plumbing.ReferenceName) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storer.RemoveReference(n)
}
