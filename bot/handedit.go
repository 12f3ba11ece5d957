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
	for c := range need {
		newer[c] = len(human) // not found on the way: every commit is suspect
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
		st := s.States[pw.Name]
		suspect := false
		for _, h := range human[:newer[c]] {
			paths, ok := touched[h.Hash]
			if !ok {
				if paths, err = changedBy(ctx, h); err != nil {
					return err
				}
				touched[h.Hash] = paths
			}
			if touches(ownFiles(s.Repo, st, w), w, paths) {
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
		if f := handEdited(s.Repo, s.Repo.At(then), st, w); f != "" {
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

// ownFiles are w's files outside its folder: its traffic files, and its
// registration files, by ferry.yaml and where its state found them (a
// generated cluster file, a parent's list).
func ownFiles(r *gitops.Repo, st *gitops.State, w *gitops.Workload) []string {
	cfg := r.Config
	files := []string{cfg.TrafficFile(w.Name, "")}
	for _, c := range r.Inventory.Names() {
		files = append(files, cfg.TrafficFile(w.Name, c), cfg.RegistrationFile(w.Name, c))
	}
	for _, reg := range st.Registrations {
		files = append(files, reg.File)
	}
	slices.Sort(files)
	return slices.DeleteFunc(slices.Compact(files), func(f string) bool { return f == "" })
}

// touches reports whether paths hold one of w's files: under its folder,
// or one of files.
func touches(files []string, w *gitops.Workload, paths map[string]bool) bool {
	for _, f := range files {
		if paths[f] {
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
// changed registration file, which others may share (an ApplicationSet of
// many clusters, a cluster's file of many workloads), is compared by what
// it tells Argo CD or Flux about w.
func handEdited(now, then *gitops.Repo, st *gitops.State, w *gitops.Workload) string {
	same := func(p string) bool {
		type hasher interface {
			Hash(string) (plumbing.Hash, error)
		}
		a, aok := now.FS().(hasher)
		b, bok := then.FS().(hasher)
		if aok && bok {
			x, xerr := a.Hash(p)
			y, yerr := b.Hash(p)
			return x == y && (xerr == nil) == (yerr == nil)
		}
		x, xerr := fs.ReadFile(now.FS(), p)
		y, yerr := fs.ReadFile(then.FS(), p)
		return bytes.Equal(x, y) && (xerr == nil) == (yerr == nil)
	}
	if !same(w.Dir) {
		if f := firstDifference(now.FS(), then.FS(), w.Dir); f != "" {
			return f
		}
	}
	registration := map[string]bool{}
	for _, c := range now.Inventory.Names() {
		registration[now.Config.RegistrationFile(w.Name, c)] = true
	}
	for _, reg := range st.Registrations {
		registration[reg.File] = true
	}
	var changed []string // registration files
	for _, f := range ownFiles(now, st, w) {
		switch {
		case same(f):
		case !registration[f]:
			return f // a traffic file
		default:
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	for _, c := range now.Inventory.Names() {
		_, x, xerr := now.RegistrationData(w.Name, c)
		_, y, yerr := then.RegistrationData(w.Name, c)
		if (xerr != nil) != (yerr != nil) || !bytes.Equal(x, y) {
			if f, ok := st.Registrations[c]; ok {
				return f.File
			}
			return changed[0]
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
