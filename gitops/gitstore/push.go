package gitstore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// Push sets refs/heads/branch on the remote at remoteURL to new, with a lease:
// the remote branch must be at expectedOld (a zero expectedOld: it must not
// exist). If it is elsewhere, nothing is changed and the error wraps
// [ErrRefMoved], so another writer's commit is never lost. A remote already
// at new is success. ctx bounds the network transfer.
//
// Push sends the objects reachable from new that the remote lacks. What the
// remote has is what its refs point at and what this repo's
// remote-tracking refs of a remote with that URL point at (fetched from
// it), and finding what it lacks reads only the commits between new and
// those (see [Store.missing]): its cost does not grow with the history,
// where go-git's push reads every tree of it. It does not touch the refs
// or config of this repo.
func (r *Store) Push(ctx context.Context, remoteURL string, auth transport.AuthMethod, branch string, expectedOld, new plumbing.Hash) error {
	dst := plumbing.NewBranchReferenceName(branch)
	if branch == "" || dst.Validate() != nil {
		return fmt.Errorf("push: invalid branch %q", branch)
	}
	if new.IsZero() {
		return fmt.Errorf("push %s: zero new hash", branch)
	}
	fail := func(err error) error { return fmt.Errorf("push %s to %s: %w", branch, remoteURL, err) }

	sess, err := receivePack(remoteURL, auth)
	if err != nil {
		return fail(err)
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil && !errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return fail(err)
	}
	var at plumbing.Hash
	var haves []plumbing.Hash
	if ar != nil {
		at = ar.References[dst.String()]
		for _, h := range ar.References {
			haves = append(haves, h)
		}
	}
	switch {
	case at == new:
		return nil
	case at != expectedOld:
		return fail(fmt.Errorf("%w: remote at %s, expected %s", ErrRefMoved, at, expectedOld))
	}
	tracked, err := r.trackedFrom(remoteURL)
	if err != nil {
		return fail(err)
	}
	objects, err := r.missing(new, append(haves, tracked...))
	if err != nil {
		return fail(err)
	}

	caps := capability.NewList()
	if ar != nil {
		caps = ar.Capabilities
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(caps)
	// The server updates the ref only if it is still at expectedOld: the
	// lease holds against a writer that comes in after the advertisement.
	req.Commands = []*packp.Command{{Name: dst, Old: expectedOld, New: new}}
	rs, err := send(ctx, sess, r, req, objects, !caps.Supports(capability.OFSDelta))
	if err == nil && rs != nil {
		err = rs.Error()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fail(err)
	}
	// A server reports a lost race as a plain error; ask it where the
	// branch is to tell that apart from other failures.
	if now, lerr := r.RemoteBranch(ctx, remoteURL, auth, branch); lerr == nil && now != expectedOld {
		return fail(fmt.Errorf("%w: remote at %s, expected %s (%w)", ErrRefMoved, now, expectedOld, err))
	}
	return fail(err)
}

// trackedFrom returns where this repo's remote-tracking refs of the remotes
// whose URL is url point: commits fetched from there, which it has even
// when its branches have moved on since.
func (r *Store) trackedFrom(url string) ([]plumbing.Hash, error) {
	cfg, err := r.s.Config()
	if err != nil {
		return nil, err
	}
	var prefixes []string
	for name, rc := range cfg.Remotes {
		if slices.Contains(rc.URLs, url) {
			prefixes = append(prefixes, "refs/remotes/"+name+"/")
		}
	}
	if len(prefixes) == 0 {
		return nil, nil
	}
	iter, err := r.s.IterReferences()
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	var out []plumbing.Hash
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().String()
		if ref.Type() == plumbing.HashReference && slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			out = append(out, ref.Hash())
		}
		return nil
	})
	return out, err
}

func receivePack(url string, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, err
	}
	c, err := client.NewClient(ep)
	if err != nil {
		return nil, err
	}
	return c.NewReceivePackSession(ep, auth)
}

// send streams a pack of objects to the server with req.
func send(ctx context.Context, sess transport.ReceivePackSession, r *Store, req *packp.ReferenceUpdateRequest, objects []plumbing.Hash, refDeltas bool) (*packp.ReportStatus, error) {
	cfg, err := r.s.Config()
	if err != nil {
		return nil, err
	}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		_, err := packfile.NewEncoder(wr, r.s, refDeltas).Encode(objects, cfg.Pack.Window)
		done <- wr.CloseWithError(err)
	}()
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		rd.CloseWithError(err) // the encoder stops writing
		<-done
		return nil, err
	}
	if err := <-done; err != nil {
		return nil, err
	}
	return rs, nil
}

// Marks of the walk in missing: a commit reached from what is pushed, and
// one the remote has.
const (
	fromNew uint8 = 1 << iota
	onRemote
)

// missing returns the objects reachable from tip that are not reachable
// from haves (commits the remote has; those this repo lacks are ignored).
//
// It walks commits newest first from tip and from haves at once, marking
// each with where it was reached from, and stops when every commit still
// to visit is marked as the remote's: whatever lies behind those the
// remote has. A commit reached only from tip is sent, with the trees and
// blobs in which its tree differs from its first parent's (all of them
// for a root, or a parent beyond a shallow boundary). The result may hold
// objects the remote has (a tree that was there before, a skewed commit
// date), never lacks one it needs, and the walk reads the commits between
// tip and the remote's, not the history.
func (r *Store) missing(tip plumbing.Hash, haves []plumbing.Hash) ([]plumbing.Hash, error) {
	shallow, err := r.s.Shallow()
	if err != nil {
		return nil, err
	}
	w := walk{r: r, marks: map[plumbing.Hash]uint8{}, open: map[plumbing.Hash]bool{}, shallow: map[plumbing.Hash]bool{}}
	w.queue.marks = w.marks
	for _, h := range shallow {
		w.shallow[h] = true
	}
	if err := w.reach(tip, fromNew, true); err != nil {
		return nil, err
	}
	for _, h := range haves {
		if err := w.reach(h, onRemote, false); err != nil {
			return nil, err
		}
	}
	for len(w.open) > 0 {
		c := heap.Pop(&w.queue).(*object.Commit)
		delete(w.open, c.Hash)
		m := w.marks[c.Hash]
		for _, p := range c.ParentHashes {
			if err := w.reach(p, m, m == fromNew); err != nil {
				return nil, err
			}
		}
	}

	var out []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, c := range w.sent {
		if w.marks[c.Hash] != fromNew {
			continue // reached from the remote's side after all
		}
		out = append(out, c.Hash)
		var base *object.Tree
		if len(c.ParentHashes) > 0 {
			if p, err := r.CommitObject(c.ParentHashes[0]); err == nil {
				if base, err = p.Tree(); err != nil {
					return nil, err
				}
			}
		}
		tree, err := c.Tree()
		if err != nil {
			return nil, err
		}
		if out, err = r.changed(out, seen, tree, base); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// changed appends tree and what in it differs from base (nil: nothing is
// there) to out, once each.
func (r *Store) changed(out []plumbing.Hash, seen map[plumbing.Hash]bool, tree, base *object.Tree) ([]plumbing.Hash, error) {
	if base != nil && base.Hash == tree.Hash || seen[tree.Hash] {
		return out, nil
	}
	seen[tree.Hash] = true
	out = append(out, tree.Hash)
	for _, e := range tree.Entries {
		var was *object.TreeEntry
		if base != nil {
			was, _ = base.FindEntry(e.Name)
		}
		if was != nil && was.Hash == e.Hash {
			continue
		}
		switch e.Mode {
		case filemode.Submodule: // a commit of another repository
		case filemode.Dir:
			sub, err := object.GetTree(r.s, e.Hash)
			if err != nil {
				return nil, err
			}
			var subBase *object.Tree
			if was != nil && was.Mode == filemode.Dir {
				if subBase, err = object.GetTree(r.s, was.Hash); err != nil {
					return nil, err
				}
			}
			if out, err = r.changed(out, seen, sub, subBase); err != nil {
				return nil, err
			}
		default:
			if !seen[e.Hash] {
				seen[e.Hash] = true
				out = append(out, e.Hash)
			}
		}
	}
	return out, nil
}

// walk is the state of missing's walk.
type walk struct {
	r     *Store
	marks map[plumbing.Hash]uint8
	queue commitQueue
	// open holds the queued commits reached from the new side only: the
	// walk ends when there are none.
	open map[plumbing.Hash]bool
	sent []*object.Commit // reached from the new side first, in order
	// shallow holds the commits whose parents a shallow clone lacks.
	shallow map[plumbing.Hash]bool
}

// reach marks h with m and queues it when that adds to its marks. A commit
// this repo lacks is an error on the new side (mustHave), and where the
// remote's side ends otherwise.
func (w *walk) reach(h plumbing.Hash, m uint8, mustHave bool) error {
	old, seen := w.marks[h]
	if seen && old|m == old {
		return nil
	}
	w.marks[h] = old | m
	if old|m != fromNew {
		delete(w.open, h)
	}
	if seen {
		if m == onRemote {
			w.queue.requeue(h) // carry the remote's mark to its parents
		}
		return nil
	}
	if w.shallow[h] {
		w.marks[h] |= onRemote // it came from the remote, its parents are not here
		delete(w.open, h)
		return nil
	}
	c, err := w.r.CommitObject(h)
	if err != nil {
		if mustHave {
			return fmt.Errorf("commit %s: %w", h, err)
		}
		return nil
	}
	if old|m == fromNew {
		w.open[h] = true
		w.sent = append(w.sent, c)
	}
	heap.Push(&w.queue, c)
	return nil
}

// commitQueue is a heap of commits, newest committer date first and, of
// commits of one date, those reached from the new side only (when queued)
// first: a commit pushed on the remote's tip then meets it at once, even
// where every commit has the same date. The order is fixed as a commit is
// queued, so a mark it gains later leaves the heap intact.
type commitQueue struct {
	cs     []queued
	popped map[plumbing.Hash]*object.Commit
	marks  map[plumbing.Hash]uint8
}

type queued struct {
	c       *object.Commit
	newOnly bool
}

func (q commitQueue) Len() int { return len(q.cs) }
func (q commitQueue) Less(i, j int) bool {
	a, b := q.cs[i], q.cs[j]
	if !a.c.Committer.When.Equal(b.c.Committer.When) {
		return a.c.Committer.When.After(b.c.Committer.When)
	}
	return a.newOnly && !b.newOnly
}
func (q commitQueue) Swap(i, j int) { q.cs[i], q.cs[j] = q.cs[j], q.cs[i] }
func (q *commitQueue) Push(x any) {
	c := x.(*object.Commit)
	q.cs = append(q.cs, queued{c, q.marks[c.Hash] == fromNew})
}
func (q *commitQueue) Pop() any {
	c := q.cs[len(q.cs)-1].c
	q.cs = q.cs[:len(q.cs)-1]
	if q.popped == nil {
		q.popped = map[plumbing.Hash]*object.Commit{}
	}
	q.popped[c.Hash] = c
	return c
}

// requeue queues a commit visited before again, so that a mark it gained
// reaches its parents.
func (q *commitQueue) requeue(h plumbing.Hash) {
	if c, ok := q.popped[h]; ok {
		delete(q.popped, h)
		heap.Push(q, c)
	}
}
