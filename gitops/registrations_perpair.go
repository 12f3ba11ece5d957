package gitops

import (
	"fmt"
	"strings"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/rewrite"
)

// perPair is targets.kind argocd-application: one file per (workload,
// cluster) pair holding an Argo CD Application; fluxKustomizations is the
// same shape with Flux Kustomizations.
type perPair struct {
	cfg   *Config
	inv   *Inventory
	shape targets.PerPair
}

var _ RegistrationAdapter = perPair{}

func newApplications(cfg *Config, inv *Inventory, _ []string) RegistrationAdapter {
	shape := targets.PerPair{Kind: targets.KindApplication}
	if !strings.Contains(cfg.Targets.Path, "{workload}") {
		return shared{cfg: cfg, inv: inv, shape: targets.Shared{PerPair: shape}}
	}
	return perPair{cfg: cfg, inv: inv, shape: shape}
}

// Read returns the clusters whose registration file exists.
func (p perPair) Read(f Files, workload string) (map[string]Registration, error) {
	out := map[string]Registration{}
	for _, c := range p.inv.Names() {
		name := p.cfg.RegistrationFile(workload, c)
		data, ok, err := optional(f.Read(name))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if err := p.shape.Check(name, data); err != nil {
			return nil, adapterErr(name, err)
		}
		out[c] = Registration{File: name}
	}
	return out, nil
}

// Add writes to's file, derived from from's.
func (p perPair) Add(f Files, workload, from, to string, sub *Substitution) ([]Leftover, error) {
	src := p.cfg.RegistrationFile(workload, from)
	dst := p.cfg.RegistrationFile(workload, to)
	data, err := f.Read(src)
	if err != nil {
		return nil, err
	}
	if _, err := f.Read(dst); err == nil {
		return nil, fmt.Errorf("%s: workload %s is already registered on %s", dst, workload, to)
	}
	out, err := p.shape.Derive(src, data, sub.Replace)
	if err != nil {
		return nil, adapterErr(src, err)
	}
	f.Write(dst, out, rewrite.Result{File: dst, Line: 1, New: "registration of " + to})
	if err := listAdd(f, src, dst); err != nil {
		return nil, err
	}
	return sub.Leftovers(dst, out), nil
}

// Remove deletes cluster's file.
func (p perPair) Remove(f Files, workload, cluster string) (string, error) {
	name := p.cfg.RegistrationFile(workload, cluster)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return "", err
	}
	rm, err := p.shape.Removal(name, data)
	if err != nil {
		return "", adapterErr(name, err)
	}
	f.Delete(name, rewrite.Result{File: name, Line: 1, Old: "registration of " + cluster})
	if err := listRemove(f, name); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %s", cluster, rm.Reason), nil
}

// fluxKustomizations is targets.kind flux-kustomization: per-pair files
// whose postBuild.substitute may define the weights' ${VAR}s.
type fluxKustomizations struct{ perPair }

var (
	_ RegistrationAdapter = fluxKustomizations{}
	_ fluxVars            = fluxKustomizations{}
)

func newFluxKustomizations(cfg *Config, inv *Inventory, _ []string) RegistrationAdapter {
	shape := targets.PerPair{Kind: targets.KindFluxKustomization}
	if !strings.Contains(cfg.Targets.Path, "{workload}") {
		// Weights written as ${VAR}s are not followed into a shared
		// file: the traffic adapter reports such a weight.
		return shared{cfg: cfg, inv: inv, shape: targets.Shared{PerPair: shape}}
	}
	return fluxKustomizations{perPair{cfg: cfg, inv: inv, shape: shape}}
}

// VarsFile is the pair's Flux Kustomization.
func (k fluxKustomizations) VarsFile(workload, cluster string) string {
	return k.cfg.RegistrationFile(workload, cluster)
}
