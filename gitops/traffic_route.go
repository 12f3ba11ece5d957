package gitops

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/ferry-dev/ferry/gitops/render"
	"github.com/ferry-dev/ferry/gitops/traffic"
)

// routes is traffic.kind gateway-httproute and istio-virtualservice: one
// file per workload whose route rules weigh one backend per cluster.
type routes struct {
	cfg  *Config
	inv  *Inventory
	kind string // HTTPRoute or VirtualService
}

var _ TrafficAdapter = routes{}

func newRoutes(kind string) func(*Config, *Inventory, func(string, string) string) TrafficAdapter {
	return func(cfg *Config, inv *Inventory, _ func(string, string) string) TrafficAdapter {
		return routes{cfg: cfg, inv: inv, kind: kind}
	}
}

func (r routes) route(workload string) traffic.Route {
	backend := r.cfg.Traffic.Backend
	return traffic.Route{Kind: r.kind, Backend: func(c string) string { return r.cfg.Expand(backend, workload, c) }}
}

func (r routes) file(workload string) string { return r.cfg.TrafficFile(workload, "") }

// Weights reads the route; a workload without one has no traffic.
func (r routes) Weights(f Files, workload string) (traffic.Weights, error) {
	name := r.file(workload)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return nil, err
	}
	ws, err := r.route(workload).Read(name, data, r.inv.Names())
	if err != nil {
		return nil, adapterErr(name, err)
	}
	return ws, nil
}

// AddBackend copies from's backend for to, at weight 0.
func (r routes) AddBackend(f Files, workload, from, to string, sub *Substitution) error {
	name := r.file(workload)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return err
	}
	out, res, err := r.route(workload).AddBackend(name, data, from, to, sub.Replace)
	if err != nil {
		return adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return nil
}

// SetWeights edits the route's weights.
func (r routes) SetWeights(f Files, workload string, weights traffic.Weights) error {
	name := r.file(workload)
	data, err := f.Read(name)
	if err != nil {
		return err
	}
	out, res, err := r.route(workload).Set(name, data, weights)
	if err != nil {
		return adapterErr(name, err)
	}
	if string(out) != string(data) {
		f.Write(name, out, res...)
	}
	return nil
}

// RemoveBackend removes cluster's backend from the route, if it has one.
func (r routes) RemoveBackend(f Files, workload, cluster string) error {
	name := r.file(workload)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return err
	}
	ws, err := r.route(workload).Read(name, data, []string{cluster})
	if err != nil {
		return adapterErr(name, err)
	}
	if _, ok := ws[cluster]; !ok {
		return nil
	}
	out, res, err := r.route(workload).RemoveBackend(name, data, cluster)
	if errors.Is(err, traffic.ErrNotDrained) {
		return err // a step that may not be taken yet, not bad input
	}
	if err != nil {
		return adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return nil
}

// StrayRoute is a route outside a workload's traffic file that sends it
// traffic: ferry shifts and checks only the weights of the traffic file,
// so this route's share is out of its sight.
type StrayRoute struct {
	Workload string
	Weights  traffic.Weights
	File     string
	Line     int // the line of the first backend of the workload
}

// StrayRoutes returns the workloads whose backends the route kind of
// ferry.yaml finds in the file name, when it is no workload's traffic
// file. Text that is not such a route is none.
func (r *Repo) StrayRoutes(name string, data []byte) []StrayRoute {
	rt, ok := r.traffic.(routes)
	if !ok || !bytes.Contains(data, []byte(rt.kind)) {
		return nil
	}
	idx := r.routeIndex()
	if idx.traffic[name] {
		return nil
	}
	ws, lines, err := traffic.Route{Kind: rt.kind}.ReadLines(name, data, nil) // by backend name
	if err != nil || len(ws) == 0 {
		return nil
	}
	idx.named.Do(func() {
		idx.backends = map[string]backendOf{}
		for _, w := range r.Workloads {
			b := rt.route(w.Name).Backend
			for _, c := range r.Inventory.Names() {
				idx.backends[b(c)] = backendOf{w.Name, c}
			}
		}
	})
	by := map[string]*StrayRoute{}
	for _, backend := range slices.Sorted(maps.Keys(ws)) {
		p, ok := idx.backends[backend]
		if !ok {
			continue
		}
		s := by[p.workload]
		if s == nil {
			s = &StrayRoute{Workload: p.workload, Weights: traffic.Weights{}, File: name}
			by[p.workload] = s
		}
		s.Weights[p.cluster] = ws[backend]
		if l := lines[backend]; s.Line == 0 || l < s.Line {
			s.Line = l
		}
	}
	var out []StrayRoute
	for _, w := range slices.Sorted(maps.Keys(by)) {
		out = append(out, *by[w])
	}
	return out
}

// strayIndex is what finding stray routes needs, made once per tree:
// which backend name is whose, every traffic file, and the stray routes
// under the traffic folder by workload.
type strayIndex struct {
	once    sync.Once
	traffic map[string]bool // every workload's traffic file

	named    sync.Once            // only for a route that is no traffic file
	backends map[string]backendOf // a backend's name -> its workload and cluster

	walk sync.Once
	by   map[string]StrayRoute
}

type backendOf struct{ workload, cluster string }

func (r *Repo) routeIndex() *strayIndex {
	idx := r.strays
	idx.once.Do(func() {
		rt := r.traffic.(routes)
		idx.traffic = make(map[string]bool, len(r.Workloads))
		for _, w := range r.Workloads {
			idx.traffic[rt.file(w.Name)] = true
		}
	})
	return idx
}

// strayRoute returns the first route that sends workload traffic outside
// its traffic file, among the YAML files under the folder that traffic
// files live in (traffic.path up to its first placeholder): where a
// renamed or moved route file goes.
func (r *Repo) strayRoute(workload string) (StrayRoute, bool) {
	if _, ok := r.traffic.(routes); !ok {
		return StrayRoute{}, false
	}
	idx := r.routeIndex()
	idx.walk.Do(func() {
		idx.by = map[string]StrayRoute{}
		dir := r.Config.Traffic.Path
		if i := strings.IndexByte(dir, '{'); i >= 0 {
			dir = dir[:i]
		}
		dir = strings.TrimSuffix(path.Dir(dir+"x"), "/")
		fs.WalkDir(r.fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || idx.traffic[p] || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") {
				return nil
			}
			data, err := render.ReadFileAtMost(r.fsys, p, MaxFileSize)
			if err != nil {
				return nil
			}
			for _, s := range r.StrayRoutes(p, data) {
				if _, seen := idx.by[s.Workload]; !seen {
					idx.by[s.Workload] = s
				}
			}
			return nil
		})
	})
	s, ok := idx.by[workload]
	return s, ok
}
