package gitops

import (
	"maps"
	"slices"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

// externalDNS is traffic.kind external-dns: a file in each cluster's
// overlay whose record carries the cluster's weight. With Flux
// Kustomizations as registrations, a weight written as ${VAR} is defined
// in the cluster's Kustomization (vars).
type externalDNS struct {
	cfg  *Config
	inv  *Inventory
	vars func(workload, cluster string) string
}

var _ TrafficAdapter = externalDNS{}

func newExternalDNS(cfg *Config, inv *Inventory, vars func(string, string) string) TrafficAdapter {
	return externalDNS{cfg: cfg, inv: inv, vars: vars}
}

// adapter is the record adapter of workload, with each cluster's Flux
// Kustomization read through f.
func (x externalDNS) adapter(f Files, workload string) traffic.ExternalDNS {
	backend := x.cfg.Traffic.Backend
	e := traffic.ExternalDNS{Backend: func(c string) string { return x.cfg.Expand(backend, workload, c) }}
	if x.vars != nil {
		e.Vars = map[string]traffic.File{}
		for _, c := range x.inv.Names() {
			name := x.vars(workload, c)
			if data, err := f.Read(name); err == nil {
				e.Vars[c] = traffic.File{Name: name, Data: data}
			}
		}
	}
	return e
}

// files reads the record file of each cluster that has one.
func (x externalDNS) files(f Files, workload string, clusters []string) (map[string]traffic.File, error) {
	files := map[string]traffic.File{}
	for _, c := range clusters {
		name := x.cfg.TrafficFile(workload, c)
		data, ok, err := optional(f.Read(name))
		if err != nil {
			return nil, err
		}
		if ok {
			files[c] = traffic.File{Name: name, Data: data}
		}
	}
	return files, nil
}

// Weights reads each cluster's record; a workload with none has no
// traffic.
func (x externalDNS) Weights(f Files, workload string) (traffic.Weights, error) {
	files, err := x.files(f, workload, x.inv.Names())
	if err != nil || len(files) == 0 {
		return nil, err
	}
	ws, err := x.adapter(f, workload).Read(files)
	if err != nil || len(ws) == 0 {
		return nil, err
	}
	return ws, nil
}

// AddBackend sets the record that came with the derived overlay to 0.
func (x externalDNS) AddBackend(f Files, workload, _, to string, _ *Substitution) error {
	files, err := x.files(f, workload, []string{to})
	if err != nil || len(files) == 0 {
		return err // none: no traffic for this workload
	}
	out, res, err := x.adapter(f, workload).Set(files, traffic.Weights{to: 0})
	if err != nil {
		return adapterErr(files[to].Name, err)
	}
	if o, ok := out[to]; ok {
		f.Write(o.Name, o.Data, res...)
	}
	return nil
}

// SetWeights edits each cluster's record, or its Flux substitution.
func (x externalDNS) SetWeights(f Files, workload string, weights traffic.Weights) error {
	files, err := x.files(f, workload, x.inv.Names())
	if err != nil {
		return err
	}
	out, res, err := x.adapter(f, workload).Set(files, weights)
	if err != nil {
		return err
	}
	for i, c := range slices.Sorted(maps.Keys(out)) {
		if i == 0 {
			f.Write(out[c].Name, out[c].Data, res...)
		} else {
			f.Write(out[c].Name, out[c].Data)
		}
	}
	return nil
}

// RemoveBackend checks that cluster's weight is 0; the record goes with
// the overlay.
func (x externalDNS) RemoveBackend(f Files, workload, cluster string) error {
	files, err := x.files(f, workload, []string{cluster})
	if err != nil || len(files) == 0 {
		return err
	}
	ws, err := x.adapter(f, workload).Read(files)
	if err != nil {
		return adapterErr(files[cluster].Name, err)
	}
	if ws[cluster] != 0 {
		return &traffic.WeightError{File: files[cluster].Name, Cluster: cluster, Weight: ws[cluster]}
	}
	return nil
}
