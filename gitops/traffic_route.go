package gitops

import (
	"errors"

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
