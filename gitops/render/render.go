package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
)

// Order is the order of the rendered objects.
type Order int

const (
	// OrderInput keeps kustomize's depth-first input order, as Flux's
	// kustomize-controller renders (its krusty options leave Reorder unset).
	OrderInput Order = iota
	// OrderLegacy sorts by kustomize's legacy kind order (Namespaces and CRDs
	// first, webhooks last), as `kustomize build`, `kubectl kustomize` and
	// Argo CD render. A kustomization's own sortOptions win over either.
	OrderLegacy
)

func (o Order) String() string {
	switch o {
	case OrderInput:
		return "input"
	case OrderLegacy:
		return "legacy"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// maxVariants is how many renderings of one overlay (at different contents,
// e.g. before and after a change) the cache keeps.
const maxVariants = 4

// Renderer renders kustomize overlays and caches the results by the content
// the build read. The zero value is ready to use. A Renderer is safe for
// concurrent use; it must not be copied after first use.
type Renderer struct {
	// Order is the order of Result.Objects and Result.YAML. The zero value,
	// OrderInput, renders as Flux does.
	Order Order

	mu    sync.Mutex
	cache map[cacheKey][]*entry // most recently stored first
	gen   uint64                // bumped on every store

	hits, misses, runs atomic.Int64
}

// New returns a Renderer that renders as Flux does.
func New() *Renderer { return &Renderer{} }

type cacheKey struct {
	overlay string
	order   Order
}

// entry is one cached build: what it read, and its outcome.
type entry struct {
	reads readSet
	res   *Result
	err   error // *BuildError or *UnverifiableError
}

// Result is a rendered overlay. It is shared with other callers that build
// the same overlay at the same content: treat it as read-only.
type Result struct {
	// YAML is the rendered stream, byte for byte as `kustomize build` prints
	// it (objects separated by "---").
	YAML []byte
	// Objects are the rendered objects in output order.
	Objects []Object
}

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string // empty for cluster-scoped objects and unset namespaces
	Name       string
	Object     map[string]any // the whole object, as decoded from YAML
}

// Stats counts the builds of a Renderer.
type Stats struct {
	Hits   int64 // builds answered from the cache
	Misses int64 // builds not answered from the cache
	Runs   int64 // kustomize runs (a miss refused before running is not one)
}

// Stats returns the counts of builds so far.
func (r *Renderer) Stats() Stats {
	return Stats{Hits: r.hits.Load(), Misses: r.misses.Load(), Runs: r.runs.Load()}
}

// krustyLock serializes kustomize runs in the process: krusty is not safe for
// concurrent use (kustomize issue #3659) and keeps process-wide OpenAPI state.
// A channel, so a caller waiting for it can give up when its context ends.
var krustyLock = make(chan struct{}, 1)

// Build renders the overlay at the slash path overlay of fsys, e.g.
// "apps/playlist-api/overlays/gke-eu-1".
//
// An overlay that needs something outside the repo returns an
// *UnverifiableError; one that does not build returns a *BuildError naming
// the overlay and kustomize's reason. Both are cached like results. ctx is
// honoured while waiting for another build; a kustomize run itself cannot be
// interrupted.
func (r *Renderer) Build(ctx context.Context, fsys fs.FS, overlay string) (*Result, error) {
	dir := path.Clean(overlay)
	if !fs.ValidPath(dir) || strings.Contains(overlay, `\`) {
		return nil, &BuildError{Overlay: overlay, Err: errors.New("overlay path must be a slash path inside the repo")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := cacheKey{overlay: dir, order: r.Order}

	e, gen := r.lookup(key, fsys)
	if e != nil {
		r.hits.Add(1)
		return e.res, e.err
	}

	select {
	case krustyLock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-krustyLock }()

	// Another caller may have built this overlay while we waited.
	r.mu.Lock()
	stored := r.gen != gen
	r.mu.Unlock()
	if stored {
		if e, _ := r.lookup(key, fsys); e != nil {
			r.hits.Add(1)
			return e.res, e.err
		}
	}
	r.misses.Add(1)

	rec := newRecordingFS(fsys)
	e = r.build(rec, dir)
	if reads, ok := rec.snapshot(); ok && e.reads != nil {
		e.reads = reads
		r.store(key, e)
	}
	return e.res, e.err
}

// lookup returns the cached entry for key whose reads fsys answers the same,
// and the cache generation it looked at.
func (r *Renderer) lookup(key cacheKey, fsys fs.FS) (*entry, uint64) {
	r.mu.Lock()
	entries := append([]*entry(nil), r.cache[key]...)
	gen := r.gen
	r.mu.Unlock()

	memo := make(map[probe]digest)
	for _, e := range entries {
		if e.reads.valid(fsys, memo) {
			return e, gen
		}
	}
	return nil, gen
}

func (r *Renderer) store(key cacheKey, e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil {
		r.cache = make(map[cacheKey][]*entry)
	}
	list := append([]*entry{e}, r.cache[key]...)
	if len(list) > maxVariants {
		list = list[:maxVariants]
	}
	r.cache[key] = list
	r.gen++
}

// build renders dir of rec. The caller holds krustyLock. The entry's reads
// are non-nil (to be filled in) when the outcome may be cached: a recovered
// panic may not.
func (r *Renderer) build(rec *recordingFS, dir string) *entry {
	cacheable := readSet{}
	root := abs(dir)
	in := &inspector{fsys: rec, seen: map[string]bool{}}
	if why := in.unverifiable(root, 0); why != "" {
		return &entry{reads: cacheable, err: &UnverifiableError{Overlay: dir, Reason: why}}
	}
	if in.out != "" {
		return &entry{reads: cacheable, err: &BuildError{Overlay: dir, Err: errors.New(in.out)}}
	}

	r.runs.Add(1)
	m, panicked, err := runKrusty(rec, root, r.Order)
	if err != nil {
		if in.bad != "" && !strings.Contains(err.Error(), in.bad) {
			// kustomize does not name a kustomization file it cannot parse.
			err = fmt.Errorf("%s: %w", strings.TrimPrefix(in.bad, "/"), err)
		}
		if rec.bounded != nil {
			// kustomize tries a file it could not read as a folder, and
			// says that instead.
			err = rec.bounded
		}
		e := &entry{reads: cacheable, err: &BuildError{Overlay: dir, Err: err}}
		if panicked {
			e.reads = nil
		}
		// A kustomization the inspection did not reach may still explain it.
		if why := in.readKustomizations(rec); why != "" {
			e.err = &UnverifiableError{Overlay: dir, Reason: why}
		}
		return e
	}
	res, err := toResult(m)
	if err != nil {
		return &entry{reads: cacheable, err: &BuildError{Overlay: dir, Err: err}}
	}
	return &entry{reads: cacheable, res: res}
}

// readKustomizations inspects every kustomization file the build read that
// the inspection had not seen.
func (in *inspector) readKustomizations(rec *recordingFS) string {
	reads, _ := rec.snapshot()
	names := konfig.RecognizedKustomizationFileNames()
	for _, p := range slices.SortedFunc(maps.Keys(reads), func(a, b probe) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.path, b.path))
	}) {
		if p.kind != probeFile {
			continue
		}
		for _, n := range names {
			if path.Base(p.path) == n {
				if why := in.unverifiable(abs(path.Dir(p.path)), 0); why != "" {
					return why
				}
			}
		}
	}
	return ""
}

// runKrusty runs kustomize with Flux's options on dir, recovering a panic as
// an error.
func runKrusty(fsys *recordingFS, dir string, order Order) (m resmap.ResMap, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, panicked, err = nil, true, fmt.Errorf("kustomize panicked: %v", p)
		}
	}()
	opts := &krusty.Options{
		LoadRestrictions: types.LoadRestrictionsNone,
		PluginConfig:     types.DisabledPluginConfig(),
	}
	if order == OrderLegacy {
		opts.Reorder = krusty.ReorderOptionLegacy
	}
	m, err = krusty.MakeKustomizer(opts).Run(fsys, dir)
	return m, false, err
}

func toResult(m resmap.ResMap) (*Result, error) {
	y, err := m.AsYaml()
	if err != nil {
		return nil, err
	}
	res := &Result{YAML: y}
	for _, rs := range m.Resources() {
		obj, err := rs.Map()
		if err != nil {
			return nil, err
		}
		res.Objects = append(res.Objects, Object{
			APIVersion: rs.GetApiVersion(),
			Kind:       rs.GetKind(),
			Namespace:  rs.GetNamespace(),
			Name:       rs.GetName(),
			Object:     obj,
		})
	}
	return res, nil
}
