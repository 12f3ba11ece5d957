package gitops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/gitops/traffic"
	"github.com/ferry-dev/ferry/rewrite"
)

// Files are the repo's files as one stage's edit sees them: the tree with
// the edit's earlier writes and deletes on top, so that two edits of one
// file (two targets added to one ApplicationSet) build on each other. A
// missing file reads as an error wrapping fs.ErrNotExist.
type Files interface {
	Read(name string) ([]byte, error)
	// Write sets a file's content; results say what changed inside it.
	Write(name string, data []byte, results ...rewrite.Result)
	// Delete removes a file or a directory with everything below it.
	Delete(name string, results ...rewrite.Result)
	// Glob returns the files matching pattern (path.Match), sorted.
	Glob(pattern string) ([]string, error)
}

// RegistrationAdapter is how a repo hands a (workload, cluster) pair to Argo CD
// or Flux: targets.kind in ferry.yaml. Each kind is one implementation in
// a file of its own, picked once by newAdapters.
type RegistrationAdapter interface {
	// Read returns where workload is registered, per cluster of the
	// inventory. A file the kind cannot read is an error naming it.
	Read(f Files, workload string) (map[string]Registration, error)
	// Add registers workload on cluster to, derived from its registration
	// on from by sub, and returns the derived lines that still mention
	// the source.
	Add(f Files, workload, from, to string, sub *Substitution) ([]Leftover, error)
	// Remove removes workload's registration on cluster and says what the
	// removal deletes on the cluster; "" when it was not registered there.
	Remove(f Files, workload, cluster string) (removal string, err error)
}

// TrafficAdapter is where the global load balancer's weights of a workload live:
// traffic.kind in ferry.yaml. Each kind is one implementation in a file of
// its own, picked once by newAdapters.
type TrafficAdapter interface {
	// Weights reads workload's weight per cluster with a backend; nil when
	// the workload has no traffic (a worker).
	Weights(f Files, workload string) (traffic.Weights, error)
	// AddBackend adds cluster to's backend at weight 0, derived from from's
	// by sub. A workload without traffic is left as it is.
	AddBackend(f Files, workload, from, to string, sub *Substitution) error
	// SetWeights sets the weights of the clusters named.
	SetWeights(f Files, workload string, weights traffic.Weights) error
	// RemoveBackend removes cluster's backend, whose weight must be 0 (an
	// error wrapping traffic.ErrNotDrained otherwise).
	RemoveBackend(f Files, workload, cluster string) error
}

// A registrationKind is one value of targets.kind: the placeholders its
// path must hold and how to make its adapter.
type registrationKind struct {
	// need are the placeholders targets.path must hold.
	need []string
	// perCluster kinds have a file per workload and cluster, so their
	// path must also hold {cluster} or another cluster value.
	perCluster bool
	// new makes the adapter; workloads are the repo's workload names.
	new func(cfg *Config, inv *Inventory, workloads []string) RegistrationAdapter
}

// A trafficKind is one value of traffic.kind.
type trafficKind struct {
	// need are the placeholders traffic.path must hold.
	need []string
	// vars, when set, is where a cluster's Flux substitutions of the
	// weights live (the workload's Flux Kustomization there).
	new func(cfg *Config, inv *Inventory, vars func(workload, cluster string) string) TrafficAdapter
}

// registrationKinds and trafficKinds are the one place that knows every
// kind: adding a kind is its file and one line here.
var (
	registrationKinds = map[string]registrationKind{
		targets.KindApplicationSet:    {new: newApplicationSets},
		targets.KindApplication:       {perCluster: true, new: newApplications},
		targets.KindFluxKustomization: {perCluster: true, new: newFluxKustomizations},
	}
	trafficKinds = map[string]trafficKind{
		TrafficHTTPRoute:      {need: []string{"{workload}"}, new: newRoutes("HTTPRoute")},
		TrafficVirtualService: {need: []string{"{workload}"}, new: newRoutes("VirtualService")},
		TrafficExternalDNS:    {new: newExternalDNS},
	}
)

// fluxVars is implemented by registrations that carry Flux's
// postBuild.substitute, where a weight written as ${VAR} is defined.
type fluxVars interface {
	VarsFile(workload, cluster string) string
}

// newAdapters picks the repo's registration and traffic adapters from
// ferry.yaml; traffic is nil when the repo has none. cfg is checked, so
// its kinds are known.
func newAdapters(cfg *Config, inv *Inventory, workloads []string) (RegistrationAdapter, TrafficAdapter) {
	regs := registrationKinds[cfg.Targets.Kind].new(cfg, inv, workloads)
	if cfg.Traffic == nil {
		return regs, nil
	}
	var vars func(workload, cluster string) string
	if fv, ok := regs.(fluxVars); ok {
		vars = fv.VarsFile
	}
	return regs, trafficKinds[cfg.Traffic.Kind].new(cfg, inv, vars)
}

// kindNames lists a table's kinds for an error message: "a, b or c".
func kindNames[V any](kinds map[string]V) string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// unknownKind is the error of a kind no table has.
func unknownKind[V any](field, kind string, kinds map[string]V) error {
	return fmt.Errorf("%w: %s %q is not one of %s", ErrUnknownName, field, kind, kindNames(kinds))
}
