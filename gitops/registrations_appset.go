package gitops

import (
	"fmt"

	"github.com/ferry-dev/ferry/gitops/targets"
)

// applicationSets is targets.kind argocd-applicationset: one file per
// workload, holding an ApplicationSet whose list generator has one element
// per cluster.
type applicationSets struct {
	cfg *Config
	inv *Inventory
}

var _ RegistrationAdapter = applicationSets{}

func newApplicationSets(cfg *Config, inv *Inventory) RegistrationAdapter {
	return applicationSets{cfg: cfg, inv: inv}
}

func (a applicationSets) file(workload string) string { return a.cfg.RegistrationFile(workload, "") }

// Read returns the clusters whose list element the workload's file holds.
func (a applicationSets) Read(f Files, workload string) (map[string]Registration, error) {
	name := a.file(workload)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return nil, err
	}
	regs, err := targets.ApplicationSet{}.Read(name, data, a.inv.Names())
	if err != nil {
		return nil, adapterErr(name, err)
	}
	out := make(map[string]Registration, len(regs))
	for c, reg := range regs {
		out[c] = Registration{File: reg.File, Line: reg.Line}
	}
	return out, nil
}

// Add copies the element of from, substituted, after the list's last one.
func (a applicationSets) Add(f Files, workload, from, to string, sub *Substitution) ([]Leftover, error) {
	name := a.file(workload)
	data, err := f.Read(name)
	if err != nil {
		return nil, err
	}
	out, res, err := targets.ApplicationSet{}.Add(name, data, from, to, sub.Replace)
	if err != nil {
		return nil, adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return nil, nil
}

// Remove deletes cluster's list element.
func (a applicationSets) Remove(f Files, workload, cluster string) (string, error) {
	regs, err := a.Read(f, workload)
	if _, ok := regs[cluster]; !ok || err != nil {
		return "", err
	}
	name := a.file(workload)
	data, err := f.Read(name)
	if err != nil {
		return "", err
	}
	rm, err := targets.ApplicationSet{}.Removal(name, data)
	if err != nil {
		return "", adapterErr(name, err)
	}
	out, res, err := targets.ApplicationSet{}.Remove(name, data, cluster)
	if err != nil {
		return "", adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return fmt.Sprintf("%s: %s", cluster, rm.Reason), nil
}
