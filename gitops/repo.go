package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/render"
)

// Repo is the deployment repo at one commit or worktree: its files, and
// what ferry reads of them. Every read and edit of a workload goes through
// it, bound to those files; the registration and traffic adapters are the
// ones ferry.yaml names, picked once when the repo is loaded.
type Repo struct {
	Config     *Config
	Inventory  *Inventory
	Migrations []*Migration
	Workloads  []*Workload // sorted by name

	fsys     fs.FS
	renderer *render.Renderer
	fetch    *fetcher // nil unless validate.remote.fetch
	getenv   func(string) string
	regs     RegistrationAdapter
	traffic  TrafficAdapter
	strays   *strayIndex // read when first asked, for this fsys
}

// At returns r bound to fsys, another tree of the same repo in which only
// the files of other workloads than those it will edit changed: the base
// branch after ferry merged a stage of one workload, so the next stage of
// another is made on the new base without reading everything again.
func (r *Repo) At(fsys fs.FS) *Repo {
	c := *r
	c.fsys = fsys
	c.strays = &strayIndex{}
	return &c
}

// FS is the repo's files.
func (r *Repo) FS() fs.FS { return r.fsys }

// Renderer is the kustomize renderer the repo builds overlays with.
func (r *Repo) Renderer() *render.Renderer { return r.renderer }

// Build renders the overlay dir of fsys (the repo's tree, or one with a
// stage's changes) as the repo's validation does: with validate.remote
// fetching, its remote bases are fetched first; without, an overlay with
// one is a *render.UnverifiableError.
func (r *Repo) Build(ctx context.Context, fsys fs.FS, dir string) (*render.Result, error) {
	fsys, err := r.fetch.resolve(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	return r.renderer.Build(ctx, fsys, dir)
}

// A Workload is one directory matching the config's workloads template.
type Workload struct {
	Name string
	Dir  string
	// Owner is spec.owner of the Backstage catalog-info.yaml in Dir, if any.
	Owner string
	// Overlays maps each cluster that has an overlay for the workload to
	// the overlay's directory.
	Overlays map[string]string
}

// Clusters returns the clusters with an overlay of the workload, in
// inventory order.
func (w *Workload) Clusters(inv *Inventory) []string {
	var out []string
	for _, c := range inv.Names() {
		if _, ok := w.Overlays[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Workload returns the workload named name.
func (r *Repo) Workload(name string) (*Workload, bool) {
	i, ok := slices.BinarySearchFunc(r.Workloads, name, func(w *Workload, n string) int { return strings.Compare(w.Name, n) })
	if !ok {
		return nil, false
	}
	return r.Workloads[i], true
}

// Load reads the deployment repo in fsys: ferry.yaml, the inventory, the
// Migrations and the workloads. Bad input is an *InputError naming the file
// and line.
func Load(fsys fs.FS) (*Repo, error) {
	return LoadWith(fsys, LoadOptions{})
}

// LoadOptions tune LoadWith; the zero value loads everything.
type LoadOptions struct {
	// Renderer builds the overlays, and caches builds across loads of
	// the same repo; a new one by default.
	Renderer *render.Renderer
	// Getenv reads the variables validate.env passes to the policy
	// commands; os.Getenv by default.
	Getenv func(string) string
	// SkipOwners leaves Workload.Owner empty and does not read the
	// Backstage catalog files: the planner does not need them, and in a
	// repo of 10,000 workloads they are a fifth of the reading.
	SkipOwners bool
}

// LoadWith is Load with options.
func LoadWith(fsys fs.FS, o LoadOptions) (*Repo, error) {
	cfg, err := LoadConfig(fsys)
	if err != nil {
		return nil, err
	}
	inv, err := LoadInventory(fsys, cfg.Clusters)
	if err != nil {
		return nil, err
	}
	if err := cfg.Bind(inv); err != nil {
		return nil, err
	}
	migs, err := LoadMigrations(fsys, cfg.Migrations, inv)
	if err != nil {
		return nil, err
	}
	ws, err := discover(fsys, cfg, inv, o)
	if err != nil {
		return nil, err
	}
	r := &Repo{Config: cfg, Inventory: inv, Migrations: migs, Workloads: ws, fsys: fsys, renderer: o.Renderer, strays: &strayIndex{}}
	if r.renderer == nil {
		r.renderer = render.New()
	}
	if r.getenv = o.Getenv; r.getenv == nil {
		r.getenv = os.Getenv
	}
	r.fetch = newFetcher(cfg.Validate, r.getenv)
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	r.regs, r.traffic = newAdapters(cfg, inv, names)
	return r, nil
}

func discover(fsys fs.FS, cfg *Config, inv *Inventory, o LoadOptions) ([]*Workload, error) {
	parent := path.Dir(cfg.Workloads)
	entries, err := fs.ReadDir(fsys, parent)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, inputErr(parent, 0, err)
	}
	var out []*Workload
	for _, e := range entries {
		if !e.IsDir() {
			if e.Type()&fs.ModeSymlink != 0 {
				return nil, inputErr(path.Join(parent, e.Name()), 0, fmt.Errorf("%w: a workload directory is a symlink", ErrBadName))
			}
			continue
		}
		if strings.HasPrefix(e.Name(), ".") || path.Join(parent, e.Name()) == cfg.Migrations {
			continue // hidden, or ferry's own folder (workloads: "{workload}" at the root)
		}
		if err := CheckName("workload", e.Name()); err != nil {
			return nil, inputErr(path.Join(parent, e.Name()), 0, err)
		}
		out = append(out, &Workload{Name: e.Name(), Dir: cfg.Expand(cfg.Workloads, e.Name(), ""), Overlays: map[string]string{}})
	}
	// Each workload's overlays and owner are read on every core: a large
	// repo read from git is mostly waiting for objects.
	err = parallel(len(out), func(i int) error { return fillWorkload(fsys, cfg, inv, o, out[i]) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Workload) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// parallel calls fn(0) to fn(n-1) on every core and returns the error of
// the lowest i that failed, as a loop would.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 2) {
		wg.Go(func() {
			for i := range next {
				errs[i] = fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fillWorkload finds w's overlays, one per cluster of the inventory, and
// its owner.
func fillWorkload(fsys fs.FS, cfg *Config, inv *Inventory, o LoadOptions, w *Workload) error {
	if cfg.SharedOverlay() {
		dir := cfg.Expand(cfg.Overlay, w.Name, "")
		if info, err := fs.Stat(fsys, dir); err == nil && info.IsDir() {
			for _, c := range inv.Clusters {
				w.Overlays[c.Name] = dir
			}
		}
	} else if parent, last := path.Split(cfg.Overlay); last == "{cluster}" && !hasClusterPlaceholder(parent) {
		// One listing instead of a Stat per cluster.
		dir := path.Clean(cfg.Expand(parent, w.Name, ""))
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return inputErr(dir, 0, err)
		}
		for _, e := range ents {
			if _, ok := inv.Cluster(e.Name()); ok && e.IsDir() {
				w.Overlays[e.Name()] = path.Join(dir, e.Name())
			}
		}
	} else {
		for _, c := range inv.Clusters {
			dir := cfg.Expand(cfg.Overlay, w.Name, c.Name)
			if info, err := fs.Stat(fsys, dir); err == nil && info.IsDir() {
				w.Overlays[c.Name] = dir
			}
		}
	}
	if o.SkipOwners {
		return nil
	}
	owner, err := backstageOwner(fsys, path.Join(w.Dir, "catalog-info.yaml"))
	if err != nil {
		return err
	}
	w.Owner = owner
	return nil
}

// backstageOwner reads spec.owner from a Backstage catalog-info.yaml; a
// missing file means no owner. The file may hold several entities; the
// first Component with an owner counts.
func backstageOwner(fsys fs.FS, name string) (string, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return "", nil
	}
	if info.Size() > MaxFileSize {
		return "", inputErr(name, 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, info.Size()))
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", inputErr(name, 0, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var e struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Owner string `yaml:"owner"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			return "", yamlError(name, err)
		}
		if e.Spec.Owner != "" && (e.Kind == "Component" || e.Kind == "") {
			return e.Spec.Owner, nil
		}
	}
}
