package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/gitops/traffic"
)

// State is what the tree says of one workload: the pin, where it has an
// overlay, where it is registered with Argo CD or Flux, and the weight of
// each cluster behind the global load balancer.
type State struct {
	Workload string
	// PinnedBy is the Migration named by the pin marker, or "".
	PinnedBy string
	// Overlays maps a cluster to the workload's overlay directory there.
	Overlays map[string]string
	// Registrations maps a cluster to the registration that hands the
	// workload to Argo CD or Flux there.
	Registrations map[string]Registration
	// Weights maps each cluster with a traffic backend to its weight; nil
	// when the workload has no traffic (a worker).
	Weights traffic.Weights
	// Unreadable is set, and nothing else but Workload, when one of the
	// workload's files is bad input (an *InputError naming it): the
	// problem stops this workload only.
	Unreadable error
}

// Registration is where a (workload, cluster) pair is registered.
type Registration struct {
	File string
	Line int // 1-based; 0 for a whole file
}

// Clusters returns every cluster the state mentions (overlay, registration
// or backend), sorted.
func (s *State) Clusters() []string {
	set := map[string]bool{}
	for c := range s.Overlays {
		set[c] = true
	}
	for c := range s.Registrations {
		set[c] = true
	}
	for c := range s.Weights {
		set[c] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// ReadState reads workload w's state. A workload without weights that a
// route outside its traffic file sends traffic is bad input
// (ErrStrayRoute): taken for a worker, it would be removed from where
// that traffic goes.
func (r *Repo) ReadState(w *Workload) (*State, error) {
	s, err := r.ReadOwnState(w)
	if err != nil || s.Weights != nil {
		return s, err
	}
	if sr, ok := r.strayRoute(w.Name); ok {
		return nil, inputErr(sr.File, sr.Line, fmt.Errorf("%w: this route sends %s traffic (%s), and its traffic file %s has none; ferry shifts only the weights there: move its backends back",
			ErrStrayRoute, w.Name, sr.Weights, r.Config.TrafficFile(w.Name, "")))
	}
	return s, nil
}

// ReadOwnState is ReadState from the workload's own files alone, without
// looking for routes elsewhere: what ferry check compares, reporting
// stray routes as violations of their own.
func (r *Repo) ReadOwnState(w *Workload) (*State, error) {
	s := &State{Workload: w.Name, Overlays: maps.Clone(w.Overlays)}
	files := newEditor(r.fsys)
	regs, err := r.regs.Read(files, w.Name)
	if err != nil {
		return nil, err
	}
	s.Registrations = regs
	if s.Registrations == nil {
		s.Registrations = map[string]Registration{}
	}
	if r.Config.SharedOverlay() {
		// Every cluster could apply the folder; those registered do.
		for c := range s.Overlays {
			if _, ok := s.Registrations[c]; !ok {
				delete(s.Overlays, c)
			}
		}
	}
	// The pin files must agree: a marker in one registration file and
	// another in the next is two migrations at once.
	var pinnedIn string
	for _, name := range r.pinFiles(w, s.Registrations) {
		data, ok, err := optional(files.Read(name))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		by, err := ReadPin(name, data)
		if err != nil {
			return nil, err
		}
		if by != "" && s.PinnedBy != "" && by != s.PinnedBy {
			return nil, inputErr(name, 0, fmt.Errorf("%w: pinned by %s, and by %s in %s", ErrDuplicate, by, s.PinnedBy, pinnedIn))
		}
		if by != "" {
			s.PinnedBy, pinnedIn = by, name
		}
	}
	if r.traffic != nil {
		if s.Weights, err = r.traffic.Weights(files, w.Name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Owner reports a controller, such as Flagger or Argo Rollouts, that
// shifts workload w's weights at runtime, so ferry must not: a
// *traffic.OwnedError naming the file, or nil. It reads every YAML file of
// the workload, so callers ask it only before pinning.
func (r *Repo) Owner(w *Workload) error {
	files, err := workloadFiles(r.fsys, w.Dir)
	if err != nil {
		return err
	}
	return traffic.DetectOwner(files)
}

// workloadFiles reads the YAML files under a workload's directory, for
// DetectOwner.
func workloadFiles(fsys fs.FS, dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := readFile(fsys, p)
		if err != nil {
			return err
		}
		files[p] = data
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	return files, err
}

// ReadStates reads the states of workloads ws on every core, in order. A
// workload whose own files are bad input gets a State with only
// Unreadable set, and the others are read all the same; any other error
// (the repo cannot be read) is returned.
func (r *Repo) ReadStates(ws []*Workload) ([]*State, error) {
	out := make([]*State, len(ws))
	err := parallel(len(ws), func(i int) (err error) {
		out[i], err = r.ReadState(ws[i])
		var ie *InputError
		if errors.As(err, &ie) {
			out[i], err = &State{Workload: ws[i].Name, Unreadable: err}, nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// optional turns a missing file into ok false, with no error: for the
// files a workload may not have (a registration, a route).
func optional(data []byte, err error) ([]byte, bool, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// readFile reads a file of the deployment repo, refusing a huge one
// without reading it.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	data, err := render.ReadFileAtMost(fsys, name, MaxFileSize)
	var se *render.SizeError
	if errors.As(err, &se) {
		return nil, inputErr(name, 0, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, se.Size, se.Limit))
	}
	if err != nil {
		if info, serr := fs.Stat(fsys, name); serr == nil && info.IsDir() {
			return nil, inputErr(name, 0, fmt.Errorf("%w: a directory where a file was expected", ErrMalformed))
		}
		return nil, err
	}
	return data, nil
}

// OverlayDir is workload's overlay directory for cluster.
func (c *Config) OverlayDir(workload, cluster string) string {
	return c.Expand(c.Overlay, workload, cluster)
}

// HealthContext names what reports workload's health on cluster: the
// commit status context (github-status) or the Argo CD Application
// (argocd, "{workload}-{cluster}" when health.context is empty).
func (c *Config) HealthContext(workload, cluster string) string {
	t := c.Health.Context
	if t == "" {
		t = "{workload}-{cluster}"
	}
	return c.Expand(t, workload, cluster)
}

// RegistrationFile is the file registering workload w on cluster (for an
// ApplicationSet, the workload's one file).
func (c *Config) RegistrationFile(workload, cluster string) string {
	return c.Expand(c.Targets.Path, workload, cluster)
}

// RegistrationText is what registers workload on cluster: its document
// when the cluster's file holds many workloads' registrations, else the
// whole registration file; nil when there is none. Two trees register
// the workload alike when the texts are equal.
func (r *Repo) RegistrationText(workload, cluster string) ([]byte, error) {
	f := newEditor(r.fsys)
	switch a := r.regs.(type) {
	case shared:
		return a.document(f, workload, cluster)
	case applicationSets:
		return a.text(f, workload, cluster)
	}
	data, _, err := optional(f.Read(r.Config.RegistrationFile(workload, cluster)))
	return data, err
}

// RegistrationData returns RegistrationText and what Argo CD or Flux is
// told for workload on cluster, as targets.Canonical has it: the text
// without comments or layout, and for an ApplicationSet's list element
// the rest of the ApplicationSet as well (the template's destination and
// path). Equal data is the same registration; the text also tells a
// comment (a pin marker) apart.
func (r *Repo) RegistrationData(workload, cluster string) (text, data []byte, err error) {
	text, err = r.RegistrationText(workload, cluster)
	if err != nil || text == nil {
		return text, text, err
	}
	data = targets.Canonical(text)
	if a, ok := r.regs.(applicationSets); ok {
		frame, err := a.frame(newEditor(r.fsys), workload, cluster)
		if err != nil {
			return nil, nil, err
		}
		data = append(data, frame...)
	}
	return text, data, nil
}

// adapterErr makes an adapter's refusal of a file bad input, naming the
// file, unless it already does.
func adapterErr(name string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{File: name, Err: err}
}

// TrafficFile is the file holding workload's weights, for the route kinds,
// or the cluster's file for external-dns.
func (c *Config) TrafficFile(workload, cluster string) string {
	if c.Traffic == nil {
		return ""
	}
	return c.Expand(c.Traffic.Path, workload, cluster)
}
