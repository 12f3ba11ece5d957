package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/gitops/gitstore"
	"github.com/ferry-dev/ferry/planner"
)

// stopHandEdits stops each pinned workload whose files changed since
// ferry's last stage of it: while a workload is pinned only ferry's sealed
// stages change it, and the planner would otherwise take a person's edit
// (weights shifted, a cluster added) for a stage and carry on from it.
// The workload's files are its folder, its registration on each cluster
// (what Argo CD or Flux is told, comments aside) and its traffic files.
func (b *Bot) stopHandEdits(ctx context.Context, s *Snapshot, in *planner.Input) error {
	last := map[string]string{} // workload -> the commit of its last stage
	stages := map[string]bool{}
	for _, e := range in.History {
		last[e.Workload] = e.Commit
		stages[e.Commit] = true
	}
	check := map[string]string{} // pinned workload -> its last stage
	need := map[string]bool{}
	for _, pw := range in.Workloads {
		st := s.States[pw.Name]
		c, ok := last[pw.Name]
		if pw.Unreadable != "" || st == nil || st.PinnedBy == "" || !ok || c == s.Base.String() {
			continue // a pin with no stage behind it is the planner's to refuse
		}
		check[pw.Name], need[c] = c, true
	}
	if len(check) == 0 {
		return nil
	}
	// Only the commits since that are not ferry's stages can have changed
	// a pinned workload: ferry's stages of one workload leave the others'
	// files alone. Walk back to the oldest last stage, once for all.
	var human []*object.Commit // newest first
	newer := map[string]int{}  // a last stage -> how many of human are after it
	err := b.repo.Log(ctx, s.Base, func(c *object.Commit) error {
		if h := c.Hash.String(); need[h] {
			newer[h] = len(human)
			if delete(need, h); len(need) == 0 {
				return gitstore.ErrStop
			}
		}
		if !stages[c.Hash.String()] {
			human = append(human, c)
		}
		return nil
	})
	if err != nil && !errors.Is(err, gitstore.ErrStop) {
		return err
	}
	touched := map[plumbing.Hash]map[string]bool{}
	for i := range in.Workloads {
		pw := &in.Workloads[i]
		c, ok := check[pw.Name]
		if !ok {
			continue
		}
		w, ok := s.Repo.Workload(pw.Name)
		if !ok {
			continue
		}
		suspect := false
		for _, h := range human[:newer[c]] {
			paths, ok := touched[h.Hash]
			if !ok {
				if paths, err = changedBy(ctx, h); err != nil {
					return err
				}
				touched[h.Hash] = paths
			}
			if touches(s.Repo, w, paths) {
				suspect = true
				break
			}
		}
		if !suspect {
			continue
		}
		// A person's commit touched it: compare with where ferry left it
		// (the change may since have been reverted).
		then, err := b.repo.FS(plumbing.NewHash(c))
		if err != nil {
			return err
		}
		if f := handEdited(s.Repo, s.Repo.At(then), w); f != "" {
			pw.Unreadable = fmt.Sprintf("%s: changed since ferry's last stage of %s (%.7s) by a commit ferry did not seal; while pinned only ferry's stages change it: revert that change to go on", f, pw.Name, c)
		}
	}
	return nil
}

// changedBy returns the paths commit c changes against its first parent.
func changedBy(ctx context.Context, c *object.Commit) (map[string]bool, error) {
	to, err := c.Tree()
	if err != nil {
		return nil, err
	}
	from := &object.Tree{}
	if c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			return nil, err
		}
		if from, err = p.Tree(); err != nil {
			return nil, err
		}
	}
	changes, err := object.DiffTreeWithOptions(ctx, from, to, &object.DiffTreeOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, ch := range changes {
		out[ch.From.Name], out[ch.To.Name] = true, true
	}
	delete(out, "")
	return out, nil
}

// touches reports whether paths hold one of w's files: under its folder,
// its traffic files, its registration files.
func touches(r *gitops.Repo, w *gitops.Workload, paths map[string]bool) bool {
	cfg := r.Config
	if paths[cfg.TrafficFile(w.Name, "")] {
		return true
	}
	for _, c := range r.Inventory.Names() {
		if paths[cfg.TrafficFile(w.Name, c)] || paths[cfg.RegistrationFile(w.Name, c)] {
			return true
		}
	}
	for p := range paths {
		if strings.HasPrefix(p, w.Dir+"/") {
			return true
		}
	}
	return false
}

// handEdited returns the first of w's files that differs between the
// trees of now and then, or "". Paths are compared by their git hashes; a
// registration file that others share (an ApplicationSet of many
// clusters, a cluster's file of many workloads) is compared by what it
// tells Argo CD or Flux about w.
func handEdited(now, then *gitops.Repo, w *gitops.Workload) string {
	hash := func(r *gitops.Repo, p string) plumbing.Hash {
		h, ok := r.FS().(interface {
			Hash(string) (plumbing.Hash, error)
		})
		if !ok {
			return plumbing.ZeroHash
		}
		at, err := h.Hash(p)
		if err != nil {
			return plumbing.ZeroHash
		}
		return at
	}
	if p := w.Dir; hash(now, p) != hash(then, p) || hash(now, p).IsZero() {
		if f := firstDifference(now.FS(), then.FS(), p); f != "" {
			return f
		}
	}
	cfg := now.Config
	files := []string{cfg.TrafficFile(w.Name, "")}
	for _, c := range now.Inventory.Names() {
		files = append(files, cfg.TrafficFile(w.Name, c))
	}
	slices.Sort(files)
	for _, f := range slices.Compact(files) {
		if f != "" && hash(now, f) != hash(then, f) {
			return f
		}
	}
	for _, c := range now.Inventory.Names() {
		f := cfg.RegistrationFile(w.Name, c)
		if hash(now, f) == hash(then, f) && !hash(now, f).IsZero() {
			continue
		}
		x, xerr := now.RegistrationData(w.Name, c)
		y, yerr := then.RegistrationData(w.Name, c)
		if (xerr != nil) != (yerr != nil) || !bytes.Equal(x, y) {
			return f
		}
	}
	return ""
}

// firstDifference returns the first file under dir that the two trees do
// not hold alike, or "".
func firstDifference(a, b fs.FS, dir string) string {
	list := func(fsys fs.FS) map[string][]byte {
		out := map[string][]byte{}
		fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := fs.ReadFile(fsys, p)
				out[p] = data
			}
			return nil
		})
		return out
	}
	la, lb := list(a), list(b)
	var diff []string
	for p, data := range la {
		if other, ok := lb[p]; !ok || !bytes.Equal(data, other) {
			diff = append(diff, p)
		}
	}
	for p := range lb {
		if _, ok := la[p]; !ok {
			diff = append(diff, p)
		}
	}
	if len(diff) == 0 {
		return ""
	}
	return slices.Min(diff)
}
