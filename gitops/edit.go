package gitops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/rewrite"
)

// Edit is the change one stage makes to the repo, and what a pull request
// says about it.
type Edit struct {
	// Changes are the files to write or delete, sorted by path.
	Changes []Change
	// Results say what changed inside edited YAML files.
	Results []rewrite.Result
	// Leftovers are source-cluster strings still present in derived files.
	Leftovers []Leftover
	// Removals say what removing a registration will delete on the cluster.
	Removals []string
	// Derivation is every replacement made in the derived overlay files:
	// which source string became which target string, under which key of
	// clusters.yaml, where.
	Derivation []Replacement
	// Built are the new overlays, proven to build with the changes
	// applied.
	Built []string
	// Unverified say which derived overlays could not be rendered here,
	// and why (validate.unverifiable: proceed).
	Unverified []string
	// Parents are the other kustomizations that read a changed file (a
	// parent list of registrations, the workload's folder), proven to
	// still build.
	Parents []string
}

// editor accumulates the changes of one stage, so that several edits of
// one file (two targets added to one ApplicationSet) build on each other.
type editor struct {
	fsys    fs.FS
	files   map[string][]byte
	deleted map[string]bool
	edit    Edit
}

func newEditor(fsys fs.FS) *editor {
	return &editor{fsys: fsys, files: map[string][]byte{}, deleted: map[string]bool{}}
}

var _ Files = (*editor)(nil)

// Read reads a file as the edit has it so far.
func (e *editor) Read(name string) ([]byte, error) {
	if data, ok := e.files[name]; ok {
		return data, nil
	}
	if e.deleted[name] {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return readFile(e.fsys, name)
}

// Write sets a file's content in the edit.
func (e *editor) Write(name string, data []byte, results ...rewrite.Result) {
	e.files[name] = data
	delete(e.deleted, name)
	e.edit.Results = append(e.edit.Results, results...)
}

// Delete removes a file or directory in the edit.
func (e *editor) Delete(name string, results ...rewrite.Result) {
	e.edit.Results = append(e.edit.Results, results...)
	for p := range e.files {
		if p == name || strings.HasPrefix(p, name+"/") {
			delete(e.files, p)
		}
	}
	e.deleted[name] = true
}

// Glob lists the files matching pattern as the edit has them so far.
func (e *editor) Glob(pattern string) ([]string, error) {
	return fs.Glob(Overlay(e.fsys, e.changes()), pattern)
}

func (e *editor) changes() []Change {
	var out []Change
	for _, p := range slices.Sorted(maps.Keys(e.deleted)) {
		out = append(out, Change{Path: p, Delete: true})
	}
	for _, p := range slices.Sorted(maps.Keys(e.files)) {
		out = append(out, Change{Path: p, Data: e.files[p]})
	}
	return out
}

func (e *editor) done() (*Edit, error) {
	e.edit.Changes = e.changes()
	if len(e.edit.Changes) == 0 {
		return nil, ErrNoChange
	}
	return &e.edit, nil
}

// ErrNoChange is returned by a stage whose edit would change nothing.
var ErrNoChange = errors.New("the stage changes nothing")

// PinEdit adds migration's pin marker to workload w.
func (r *Repo) PinEdit(w *Workload, migration string) (*Edit, error) {
	return r.pinEdit(w, migration, Pin)
}

// UnpinEdit removes migration's pin marker from workload w.
func (r *Repo) UnpinEdit(w *Workload, migration string) (*Edit, error) {
	return r.pinEdit(w, migration, Unpin)
}

func (r *Repo) pinEdit(w *Workload, migration string, op func(string, []byte, string) ([]byte, []rewrite.Result, error)) (*Edit, error) {
	e := newEditor(r.fsys)
	regs, err := r.regs.Read(e, w.Name)
	if err != nil {
		return nil, err
	}
	names := r.pinFiles(w, regs)
	if len(names) == 0 {
		return nil, fmt.Errorf("workload %s has no registration file to carry the pin marker; name a file per workload as pin in %s", w.Name, ConfigFile)
	}
	for _, name := range names {
		data, err := e.Read(name)
		if err != nil {
			return nil, err
		}
		out, res, err := op(name, data, migration)
		if err != nil {
			return nil, err
		}
		if string(out) != string(data) {
			e.Write(name, out, res...)
		}
	}
	return e.done()
}

// DeployEdit adds workload w to each target cluster: an overlay derived
// from the source's, a registration derived from the source's, and a
// traffic backend at weight 0. Every new overlay must build.
func (r *Repo) DeployEdit(ctx context.Context, w *Workload, from string, to []string) (*Edit, error) {
	e := newEditor(r.fsys)
	for _, t := range to {
		sub, err := r.Inventory.NewSubstitutionFor(w.Name, from, t)
		if err != nil {
			return nil, err
		}
		d, err := r.DeriveOverlay(w, from, t)
		if err != nil {
			return nil, err
		}
		for _, f := range d.Files {
			e.Write(f.Path, f.Data)
		}
		e.edit.Leftovers = append(e.edit.Leftovers, d.Leftovers...)
		if err := r.registrationInsideName(w.Name, from, sub); err != nil {
			return nil, err
		}
		// An ambiguous string the substitution left is the cause of
		// whatever the derivation then finds wrong (a name that did not
		// change), so it is the error.
		left, err := r.regs.Add(e, w.Name, from, t, sub)
		if err != nil {
			return nil, cmp.Or(sub.Err(), err)
		}
		e.edit.Leftovers = append(e.edit.Leftovers, left...)
		if r.traffic != nil {
			if err := r.traffic.AddBackend(e, w.Name, from, t, sub); err != nil {
				return nil, cmp.Or(sub.Err(), err)
			}
		}
		if err := sub.Err(); err != nil {
			return nil, err
		}
		e.edit.Derivation = append(e.edit.Derivation, d.Explained...)
		e.edit.Derivation = append(e.edit.Derivation, r.explainRegistration(w.Name, from, t, sub)...)
	}
	changes := e.changes()
	for _, t := range to {
		if r.Config.SharedOverlay() {
			break // the folder the source applies already
		}
		dir := r.Config.OverlayDir(w.Name, t)
		err := r.CheckBuild(ctx, changes, dir)
		var ue *render.UnverifiableError
		if errors.As(err, &ue) && r.Config.Validate.Unverifiable == UnverifiableProceed {
			e.edit.Unverified = append(e.edit.Unverified, ue.Error())
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("the derived overlay %s does not build: %w", dir, err)
		}
		e.edit.Built = append(e.edit.Built, dir)
	}
	if err := r.checkParents(ctx, e); err != nil {
		return nil, err
	}
	return e.done()
}

// explainRegistration is the replacements that derive to's registration
// file from from's, where each pair has a file of its own.
func (r *Repo) explainRegistration(workload, from, to string, sub *Substitution) []Replacement {
	switch r.regs.(type) {
	case perPair, fluxKustomizations:
	default:
		return nil // an element or a document in a shared file: its results say what was added
	}
	src, err := readFile(r.fsys, r.Config.RegistrationFile(workload, from))
	if err != nil {
		return nil
	}
	return sub.Explain(r.Config.RegistrationFile(workload, to), string(src))
}

// registrationInsideName is Substitution.InsideName for the source's own
// registration file, when the registration is one of its own.
func (r *Repo) registrationInsideName(workload, from string, sub *Substitution) error {
	switch r.regs.(type) {
	case perPair, fluxKustomizations:
	default:
		return nil // a shared file: sub.Err reports it, naming clusters.yaml
	}
	name := r.Config.RegistrationFile(workload, from)
	src, err := readFile(r.fsys, name)
	if err != nil {
		return nil
	}
	return sub.InsideName(name, src)
}

// WeightsEdit sets workload w's weights.
func (r *Repo) WeightsEdit(w *Workload, weights map[string]int) (*Edit, error) {
	if r.traffic == nil {
		return nil, fmt.Errorf("%s: the repo has no traffic configured", ConfigFile)
	}
	e := newEditor(r.fsys)
	if err := r.traffic.SetWeights(e, w.Name, weights); err != nil {
		return nil, err
	}
	return e.done()
}

// RemoveEdit removes workload w from each of clusters: its traffic
// backend (whose weight must already be 0), its registration and its
// overlay. Removals says what the registration's removal deletes.
func (r *Repo) RemoveEdit(ctx context.Context, w *Workload, clusters []string) (*Edit, error) {
	e := newEditor(r.fsys)
	for _, c := range clusters {
		if r.traffic != nil {
			if err := r.traffic.RemoveBackend(e, w.Name, c); err != nil {
				return nil, err
			}
		}
		removal, err := r.regs.Remove(e, w.Name, c)
		if err != nil {
			return nil, err
		}
		if removal != "" {
			e.edit.Removals = append(e.edit.Removals, removal)
		}
		if dir, ok := w.Overlays[c]; ok && !r.Config.SharedOverlay() {
			e.Delete(dir) // a shared folder stays: other clusters apply it
		}
	}
	if err := r.checkParents(ctx, e); err != nil {
		return nil, err
	}
	return e.done()
}

// checkParents builds, with the edit applied, every kustomization above a
// changed file that reads it (a parent list, the workload's folder), as
// Argo CD or Flux will apply it, and refuses an edit that breaks one that
// built before. The ones that build are Parents.
func (r *Repo) checkParents(ctx context.Context, e *editor) error {
	changes := e.changes()
	paths := make([]string, len(changes))
	for i, c := range changes {
		paths[i] = c.Path
	}
	after := Overlay(r.fsys, changes)
	incs, err := NewIncludes(after).Parents(paths)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		if slices.Contains(e.edit.Built, inc.Dir) {
			continue
		}
		_, err := r.Build(ctx, after, inc.Dir)
		var be *render.BuildError
		switch {
		case err == nil:
			e.edit.Parents = append(e.edit.Parents, inc.Dir)
		case errors.As(err, &be):
			if _, berr := r.Build(ctx, r.fsys, inc.Dir); berr != nil {
				continue // broken before the edit: not the edit's doing
			}
			return fmt.Errorf("%s, which lists %s, would no longer build: %w", inc.File, inc.Via, be.Err)
		case errors.As(err, new(*render.UnverifiableError)):
			// Needs what is not in the repo; the overlays were built.
		default:
			return err
		}
	}
	return nil
}
