package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/gitops/traffic"
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
	// Built are the overlays proven to build with the changes applied.
	Built []string
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

func (e *editor) read(name string) ([]byte, error) {
	if data, ok := e.files[name]; ok {
		return data, nil
	}
	if e.deleted[name] {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return readFile(e.fsys, name)
}

func (e *editor) write(name string, data []byte, results ...rewrite.Result) {
	e.files[name] = data
	delete(e.deleted, name)
	e.edit.Results = append(e.edit.Results, results...)
}

func (e *editor) remove(name string) {
	for p := range e.files {
		if p == name || strings.HasPrefix(p, name+"/") {
			delete(e.files, p)
		}
	}
	e.deleted[name] = true
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
func (r *Repo) PinEdit(fsys fs.FS, w *Workload, migration string) (*Edit, error) {
	return r.pinEdit(fsys, w, migration, Pin)
}

// UnpinEdit removes migration's pin marker from workload w.
func (r *Repo) UnpinEdit(fsys fs.FS, w *Workload, migration string) (*Edit, error) {
	return r.pinEdit(fsys, w, migration, Unpin)
}

func (r *Repo) pinEdit(fsys fs.FS, w *Workload, migration string, op func(string, []byte, string) ([]byte, []rewrite.Result, error)) (*Edit, error) {
	e := newEditor(fsys)
	name := r.Config.PinFile(w.Name)
	data, err := e.read(name)
	if err != nil {
		return nil, err
	}
	out, res, err := op(name, data, migration)
	if err != nil {
		return nil, err
	}
	if string(out) != string(data) {
		e.write(name, out, res...)
	}
	return e.done()
}

// DeployEdit adds workload w to each target cluster: an overlay derived
// from the source's, a registration derived from the source's, and a
// traffic backend at weight 0. Every new overlay must build.
func (r *Repo) DeployEdit(ctx context.Context, fsys fs.FS, rr *render.Renderer, w *Workload, from string, to []string) (*Edit, error) {
	e := newEditor(fsys)
	for _, t := range to {
		sub, err := r.Inventory.NewSubstitution(from, t)
		if err != nil {
			return nil, err
		}
		d, err := DeriveOverlay(fsys, r, w, from, t)
		if err != nil {
			return nil, err
		}
		for _, f := range d.Files {
			e.write(f.Path, f.Data)
		}
		e.edit.Leftovers = append(e.edit.Leftovers, d.Leftovers...)
		if err := r.addRegistration(e, w, from, t, sub); err != nil {
			return nil, err
		}
		if err := r.addBackend(e, w, from, t, sub); err != nil {
			return nil, err
		}
	}
	changes := e.changes()
	for _, t := range to {
		dir := expand(r.Config.Overlay, w.Name, t)
		if err := CheckBuild(ctx, rr, fsys, changes, dir); err != nil {
			return nil, fmt.Errorf("the derived overlay %s does not build: %w", dir, err)
		}
		e.edit.Built = append(e.edit.Built, dir)
	}
	return e.done()
}

func (r *Repo) addRegistration(e *editor, w *Workload, from, to string, sub *Substitution) error {
	switch r.Config.Targets.Kind {
	case TargetsApplicationSet:
		name := r.Config.RegistrationFile(w.Name, "")
		data, err := e.read(name)
		if err != nil {
			return err
		}
		out, res, err := targets.ApplicationSet{}.Add(name, data, from, to, sub.Replace)
		if err != nil {
			return adapterErr(name, err)
		}
		e.write(name, out, res...)
	default:
		src := r.Config.RegistrationFile(w.Name, from)
		dst := r.Config.RegistrationFile(w.Name, to)
		data, err := e.read(src)
		if err != nil {
			return err
		}
		if _, err := e.read(dst); err == nil {
			return fmt.Errorf("%s: workload %s is already registered on %s", dst, w.Name, to)
		}
		out, err := targets.PerPair{Kind: r.Config.Targets.Kind}.Derive(src, data, sub.Replace)
		if err != nil {
			return adapterErr(src, err)
		}
		e.write(dst, out)
		e.edit.Results = append(e.edit.Results, rewrite.Result{File: dst, Path: "", Line: 1, New: "registration of " + to})
		e.edit.Leftovers = append(e.edit.Leftovers, sub.Leftovers(dst, out)...)
	}
	return nil
}

func (r *Repo) addBackend(e *editor, w *Workload, from, to string, sub *Substitution) error {
	if r.Config.Traffic == nil {
		return nil
	}
	if r.Config.Traffic.Kind == TrafficExternalDNS {
		// The record is in the overlay, derived with it; it starts at 0.
		name := r.Config.TrafficFile(w.Name, to)
		data, ok, err := optional(e.read(name))
		if !ok {
			return err // nil when there is no file: no traffic for this workload
		}
		files := map[string]traffic.File{to: {Name: name, Data: data}}
		out, res, err := r.externalDNS(w.Name, e.read).Set(files, traffic.Weights{to: 0})
		if err != nil {
			return adapterErr(name, err)
		}
		if f, ok := out[to]; ok {
			e.write(name, f.Data, res...)
		}
		return nil
	}
	name := r.Config.TrafficFile(w.Name, "")
	data, ok, err := optional(e.read(name))
	if !ok {
		return err
	}
	out, res, err := r.route(w.Name).AddBackend(name, data, from, to, sub.Replace)
	if err != nil {
		return adapterErr(name, err)
	}
	e.write(name, out, res...)
	return nil
}

// WeightsEdit sets workload w's weights.
func (r *Repo) WeightsEdit(fsys fs.FS, w *Workload, weights map[string]int) (*Edit, error) {
	if r.Config.Traffic == nil {
		return nil, fmt.Errorf("%s: the repo has no traffic configured", ConfigFile)
	}
	e := newEditor(fsys)
	if r.Config.Traffic.Kind == TrafficExternalDNS {
		files, err := r.dnsFiles(fsys, w)
		if err != nil {
			return nil, err
		}
		out, res, err := r.externalDNS(w.Name, e.read).Set(files, weights)
		if err != nil {
			return nil, err
		}
		for _, c := range slices.Sorted(maps.Keys(out)) {
			e.write(out[c].Name, out[c].Data)
		}
		e.edit.Results = append(e.edit.Results, res...)
		return e.done()
	}
	name := r.Config.TrafficFile(w.Name, "")
	data, err := e.read(name)
	if err != nil {
		return nil, err
	}
	out, res, err := r.route(w.Name).Set(name, data, weights)
	if err != nil {
		return nil, adapterErr(name, err)
	}
	if string(out) != string(data) {
		e.write(name, out, res...)
	}
	return e.done()
}

// RemoveEdit removes workload w from each of clusters: its traffic
// backend (whose weight must already be 0), its registration and its
// overlay. Removals says what the registration's removal deletes.
func (r *Repo) RemoveEdit(fsys fs.FS, w *Workload, clusters []string) (*Edit, error) {
	e := newEditor(fsys)
	for _, c := range clusters {
		if err := r.removeBackend(e, w, c); err != nil {
			return nil, err
		}
		if err := r.removeRegistration(e, w, c); err != nil {
			return nil, err
		}
		if dir, ok := w.Overlays[c]; ok {
			e.remove(dir)
		}
	}
	return e.done()
}

func (r *Repo) removeBackend(e *editor, w *Workload, c string) error {
	if r.Config.Traffic == nil {
		return nil
	}
	if r.Config.Traffic.Kind == TrafficExternalDNS {
		name := r.Config.TrafficFile(w.Name, c)
		data, ok, err := optional(e.read(name))
		if !ok {
			return err
		}
		ws, err := r.externalDNS(w.Name, e.read).Read(map[string]traffic.File{c: {Name: name, Data: data}})
		if err != nil {
			return adapterErr(name, err)
		}
		if ws[c] != 0 {
			return &traffic.WeightError{File: name, Cluster: c, Weight: ws[c]}
		}
		return nil // the record goes with the overlay
	}
	name := r.Config.TrafficFile(w.Name, "")
	data, ok, err := optional(e.read(name))
	if !ok {
		return err
	}
	ws, err := r.route(w.Name).Read(name, data, []string{c})
	if err != nil {
		return adapterErr(name, err)
	}
	if _, ok := ws[c]; !ok {
		return nil
	}
	out, res, err := r.route(w.Name).RemoveBackend(name, data, c)
	if errors.Is(err, traffic.ErrNotDrained) {
		return err // a step that may not be taken yet, not bad input
	}
	if err != nil {
		return adapterErr(name, err)
	}
	e.write(name, out, res...)
	return nil
}

func (r *Repo) removeRegistration(e *editor, w *Workload, c string) error {
	switch r.Config.Targets.Kind {
	case TargetsApplicationSet:
		name := r.Config.RegistrationFile(w.Name, "")
		data, ok, err := optional(e.read(name))
		if !ok {
			return err
		}
		regs, err := targets.ApplicationSet{}.Read(name, data, r.Inventory.Names())
		if err != nil {
			return adapterErr(name, err)
		}
		if _, ok := regs[c]; !ok {
			return nil
		}
		rm, err := targets.ApplicationSet{}.Removal(name, data)
		if err != nil {
			return adapterErr(name, err)
		}
		out, res, err := targets.ApplicationSet{}.Remove(name, data, c)
		if err != nil {
			return adapterErr(name, err)
		}
		e.write(name, out, res...)
		e.edit.Removals = append(e.edit.Removals, fmt.Sprintf("%s: %s", c, rm.Reason))
	default:
		name := r.Config.RegistrationFile(w.Name, c)
		data, ok, err := optional(e.read(name))
		if !ok {
			return err
		}
		rm, err := targets.PerPair{Kind: r.Config.Targets.Kind}.Removal(name, data)
		if err != nil {
			return adapterErr(name, err)
		}
		e.remove(name)
		e.edit.Results = append(e.edit.Results, rewrite.Result{File: name, Line: 1, Old: "registration of " + c})
		e.edit.Removals = append(e.edit.Removals, fmt.Sprintf("%s: %s", c, rm.Reason))
	}
	return nil
}
