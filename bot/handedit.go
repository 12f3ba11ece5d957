package bot

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/gitops"
	"github.com/ferry-dev/ferry/planner"
)

// stopHandEdits stops each pinned workload whose files changed since
// ferry's last stage of it: while a workload is pinned only ferry's sealed
// stages change it, and the planner would otherwise take a person's edit
// (weights shifted, a cluster added) for a stage and carry on from it.
// The workload's files are its folder, its registration on each cluster
// (what Argo CD or Flux is told, comments aside) and its traffic files.
func (b *Bot) stopHandEdits(s *Snapshot, in *planner.Input) error {
	last := map[string]string{} // workload -> the commit of its last stage
	for _, e := range in.History {
		last[e.Workload] = e.Commit
	}
	for i := range in.Workloads {
		pw := &in.Workloads[i]
		st := s.States[pw.Name]
		c, ok := last[pw.Name]
		if pw.Unreadable != "" || st == nil || st.PinnedBy == "" || !ok || c == s.Base.String() {
			continue // a pin with no stage behind it is the planner's to refuse
		}
		w, ok := s.Repo.Workload(pw.Name)
		if !ok {
			continue
		}
		fsys, err := b.repo.FS(plumbing.NewHash(c))
		if err != nil {
			return err
		}
		if f := handEdited(s.Repo, s.Repo.At(fsys), w); f != "" {
			pw.Unreadable = fmt.Sprintf("%s: changed since ferry's last stage of %s (%.7s) by a commit ferry did not seal; while pinned only ferry's stages change it: revert that change to go on", f, pw.Name, c)
		}
	}
	return nil
}

// handEdited returns the first of w's files that differs between the
// trees of now and then, or "".
func handEdited(now, then *gitops.Repo, w *gitops.Workload) string {
	if f := firstDifference(now.FS(), then.FS(), w.Dir); f != "" {
		return f
	}
	cfg := now.Config
	files := []string{cfg.TrafficFile(w.Name, "")}
	for _, c := range now.Inventory.Names() {
		a, aerr := now.RegistrationData(w.Name, c)
		b, berr := then.RegistrationData(w.Name, c)
		if (aerr != nil) != (berr != nil) || !bytes.Equal(a, b) {
			return cfg.RegistrationFile(w.Name, c)
		}
		files = append(files, cfg.TrafficFile(w.Name, c))
	}
	slices.Sort(files)
	for _, f := range slices.Compact(files) {
		if f == "" {
			continue
		}
		a, aerr := fs.ReadFile(now.FS(), f)
		b, berr := fs.ReadFile(then.FS(), f)
		if (aerr != nil) != (berr != nil) || !bytes.Equal(a, b) {
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
