package gitstore

import (
	"path/filepath"
	"time"

	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
)

// UpdateRef points name at new if, and only if, it points at old now (a zero
// old: if it does not exist yet). Otherwise it returns an error wrapping
// [ErrRefMoved] and leaves the ref alone.
//
// On disk it follows git's lock protocol (the <ref>.lock file is created
// exclusively, then renamed over the ref), so the compare-and-swap holds
// across processes, git's included, and a reader never sees a half-written
// ref. In memory it is the storer's CheckAndSetReference.
func (r *Store) UpdateRef(name plumbing.ReferenceName, old, new plumbing.Hash) error {
	if err := name.Validate(); err != nil || !isUpdatable(name) {
		return fmt.Errorf("update ref %s: invalid ref name", name)
	}
	if new.IsZero() {
		return fmt.Errorf("update ref %s: zero new hash", name)
	}
	r.refMu.Lock()
	defer r.refMu.Unlock()
	lock, err := r.lockRef(name)
	if err != nil {
		return fmt.Errorf("update ref %s: %w", name, err)
	}
	if lock != nil {
		defer func() {
			if lock != nil {
				lock.release()
			}
		}()
	}

	cur, err := r.s.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		cur = nil
	case err != nil:
		return fmt.Errorf("update ref %s: %w", name, err)
	}
	if cur != nil && cur.Type() != plumbing.HashReference {
		return fmt.Errorf("update ref %s: is a symbolic ref", name)
	}
	switch {
	case old.IsZero() && cur != nil:
		return fmt.Errorf("update ref %s: %w: exists at %s", name, ErrRefMoved, cur.Hash())
	case !old.IsZero() && cur == nil:
		return fmt.Errorf("update ref %s: %w: does not exist, expected %s", name, ErrRefMoved, old)
	case !old.IsZero() && cur.Hash() != old:
		return fmt.Errorf("update ref %s: %w: at %s, expected %s", name, ErrRefMoved, cur.Hash(), old)
	}

	if lock != nil {
		l := lock
		lock = nil
		if err := l.commit(new); err != nil {
			return fmt.Errorf("update ref %s: %w", name, err)
		}
		return nil
	}
	var oldRef *plumbing.Reference
	if !old.IsZero() {
		oldRef = plumbing.NewHashReference(name, old)
	}
	err = r.s.CheckAndSetReference(plumbing.NewHashReference(name, new), oldRef)
	if errors.Is(err, storage.ErrReferenceHasChanged) {
		return fmt.Errorf("update ref %s: %w", name, ErrRefMoved)
	}
	if err != nil {
		return fmt.Errorf("update ref %s: %w", name, err)
	}
	return nil
}

func isUpdatable(name plumbing.ReferenceName) bool {
	return name != plumbing.HEAD && len(name) > len("refs/") && name[:len("refs/")] == "refs/"
}

// pushRemote is the name of the throwaway remote Push uses.
const pushRemote = "ferry"

// RemoteBranch returns where branch is on the remote at remoteURL, zero
// when it does not exist there.
func (r *Store) RemoteBranch(ctx context.Context, remoteURL string, auth transport.AuthMethod, branch string) (plumbing.Hash, error) {
	remote := git.NewRemote(r.s, &config.RemoteConfig{Name: pushRemote, URLs: []string{remoteURL}})
	return remoteBranch(ctx, remote, auth, plumbing.NewBranchReferenceName(branch))
}

// remoteBranch returns where dst is on the remote, zero if it does not exist.
func remoteBranch(ctx context.Context, remote *git.Remote, auth transport.AuthMethod, dst plumbing.ReferenceName) (plumbing.Hash, error) {
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, ref := range refs {
		if ref.Name() == dst {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, nil
}

// Branches returns the local branches whose names start with prefix, by
// short name ("ferry/m/w/pin"), with the commit each points at.
func (r *Store) Branches(prefix string) (map[string]plumbing.Hash, error) {
	r.refMu.Lock() // no ref of this process is half-way through its lock
	defer r.refMu.Unlock()
	var err error
	for range 5 {
		var out map[string]plumbing.Hash
		if out, err = r.branches(prefix); !errors.Is(err, dotgit.ErrEmptyRefFile) {
			return out, err
		}
		// Another process has just created a <ref>.lock, which go-git
		// reads as a ref; it is renamed away in a moment.
		time.Sleep(10 * time.Millisecond)
	}
	if fsr, ok := r.s.(*lockedStorer).Storer.(interface{ Filesystem() billy.Filesystem }); ok {
		recoverLocks(fsr.Filesystem()) // or a dead process left it
		if out, err := r.branches(prefix); err == nil {
			return out, nil
		}
		return nil, fmt.Errorf("list branches: %w: a lock file under %s is empty: another git or ferry process is writing it, or a dead one left it (ferry removes one older than %s)",
			err, filepath.Join(fsr.Filesystem().Root(), "refs"), StaleLock)
	}
	return nil, err
}

func (r *Store) branches(prefix string) (map[string]plumbing.Hash, error) {
	iter, err := r.s.IterReferences()
	if err != nil {
		return nil, err
	}
	out := map[string]plumbing.Hash{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if !ref.Name().IsBranch() || ref.Type() != plumbing.HashReference || strings.HasSuffix(string(ref.Name()), ".lock") {
			return nil
		}
		if short := ref.Name().Short(); strings.HasPrefix(short, prefix) {
			out[short] = ref.Hash()
		}
		return nil
	})
	return out, err
}

// DeleteRef removes name if, and only if, it points at old now; otherwise
// the error wraps ErrRefMoved. A ref that does not exist is not an error.
func (r *Store) DeleteRef(name plumbing.ReferenceName, old plumbing.Hash) error {
	r.refMu.Lock()
	defer r.refMu.Unlock()
	lock, err := r.lockRef(name)
	if err != nil {
		return fmt.Errorf("delete ref %s: %w", name, err)
	}
	if lock != nil {
		defer lock.release()
	}
	cur, err := r.s.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete ref %s: %w", name, err)
	}
	if cur.Hash() != old {
		return fmt.Errorf("delete ref %s: %w: at %s, expected %s", name, ErrRefMoved, cur.Hash(), old)
	}
	return r.s.RemoveReference(name)
}
