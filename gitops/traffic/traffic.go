// Package traffic reads and sets the weights the global load balancer
// gives each cluster of a workload: Gateway API HTTPRoute backendRefs,
// Istio VirtualService routes, and external-dns weighted records (the
// aws-weight annotation, or a DNSEndpoint's aws/weight). Weights are found
// by kind and path, never by the key name (pod affinity has a weight too),
// and set through package rewrite, so a shift changes only the weight
// lines.
//
// Route.AddBackend and Route.RemoveBackend add a target cluster's backend
// at weight 0 (copied from the source's, with its DestinationRule subset)
// and remove a drained one. A weight written as a Flux post-build variable
// is followed to the Kustomization named by Route.Vars and changed there
// by Route.SetFiles. DetectOwner refuses workloads whose weights Flagger or
// Argo Rollouts set at runtime.
package traffic

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// Weights maps each cluster with a backend to its weight.
type Weights map[string]int

// String is the weights by cluster name: "gke-eu-1=70, gke-us-1=30".
func (w Weights) String() string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%s=%d", c, w[c]))
	}
	if len(parts) == 0 {
		return "no backends"
	}
	return strings.Join(parts, ", ")
}

// Total is the sum of the weights.
func (w Weights) Total() int {
	n := 0
	for _, v := range w {
		n += v
	}
	return n
}

// ErrInconsistent reports rules of one route that weigh the clusters
// differently, so no one weight per cluster describes them.
var ErrInconsistent = errors.New("rules weigh the clusters differently")

// A Route is the traffic file of one workload.
type Route struct {
	Kind string // HTTPRoute or VirtualService
	// Backend names a cluster's backend: the ServiceImport or Service of
	// an HTTPRoute, the destination subset of a VirtualService. With
	// Backend nil, Read reads every weighted backend, by its name.
	Backend func(cluster string) string
	// Vars is the Flux Kustomization that applies the route, for weights
	// written as post-build variables (weight: ${EU1_WEIGHT}). With Vars
	// nil such a weight is refused; with it, Read follows the variable to
	// spec.postBuild.substitute and SetFiles changes it there.
	Vars *Vars
}

// spec says where a kind keeps its weighted backends.
type spec struct {
	rules, refs string   // spec.<rules>[].<refs>[]
	name        []string // the backend's name within a ref
	defaultOne  bool     // an omitted weight means 1 (Gateway API)
}

var kinds = map[string]spec{
	"HTTPRoute":      {rules: "rules", refs: "backendRefs", name: []string{"name"}, defaultOne: true},
	"VirtualService": {rules: "http", refs: "route", name: []string{"destination", "subset"}},
}

type ref struct {
	doc, rule, ref int
	cluster        string
	weight         int
	hasWeight      bool
	line           int
	wline          int        // the weight's line
	bind           *binding   // the weight is a Flux variable
	seq, node      *yaml.Node // the rule's refs and this one
}

func (x ref) path(sp spec) rewrite.Path {
	return rewrite.Path{Doc: x.doc, Steps: []rewrite.Step{rewrite.Key("spec"), rewrite.Key(sp.rules), rewrite.Index(x.rule), rewrite.Key(sp.refs), rewrite.Index(x.ref)}}
}

// find lists the weighted backends of clusters in every document of the
// route's kind.
func (r Route) find(name string, src []byte, clusters []string) ([]ref, error) {
	sp, ok := kinds[r.Kind]
	if !ok {
		return nil, fmt.Errorf("%s: traffic kind %q is not HTTPRoute or VirtualService", name, r.Kind)
	}
	byBackend := map[string]string{}
	for _, c := range clusters {
		if r.Backend != nil {
			byBackend[r.Backend(c)] = c
		}
	}
	var out []ref
	var ks *fluxKS
	docs, err := roots(name, src)
	if err != nil {
		return nil, err
	}
	for doc, root := range docs {
		if rewrite.Scalar(rewrite.Get(root, "kind")) != r.Kind {
			continue
		}
		rules := rewrite.Get(root, "spec", sp.rules)
		if rules == nil {
			continue
		}
		for i, rule := range rules.Content {
			refs := rewrite.Get(rule, sp.refs)
			if refs == nil {
				continue
			}
			for j, rf := range refs.Content {
				c, ok := byBackend[rewrite.Scalar(rewrite.Get(rf, sp.name...))]
				if r.Backend == nil {
					c, ok = rewrite.Scalar(rewrite.Get(rf, sp.name...)), true
				}
				if !ok {
					continue
				}
				x := ref{doc: doc, rule: i, ref: j, cluster: c, line: rf.Line, seq: refs, node: rf}
				if w := rewrite.Get(rf, "weight"); w != nil && w.ShortTag() != "!!int" && r.Vars != nil && strings.Contains(w.Value, "$") {
					if ks == nil {
						var err error
						if ks, err = r.Vars.load(); err != nil {
							return nil, err
						}
					}
					n, b, err := ks.resolve(name, w.Line, w.Value)
					if err != nil {
						return nil, err
					}
					x.weight, x.hasWeight, x.bind, x.wline = n, true, &b, w.Line
				} else if w != nil {
					x.wline = w.Line
					if w.ShortTag() != "!!int" {
						return nil, fmt.Errorf("%s:%d: the weight of %s is %q, not a whole number (a substitution variable is set where it is defined)", name, w.Line, c, w.Value)
					}
					n, err := strconv.Atoi(w.Value)
					if err != nil || n < 0 {
						return nil, fmt.Errorf("%s:%d: the weight of %s is %q, not a whole number >= 0", name, w.Line, c, w.Value)
					}
					x.weight, x.hasWeight = n, true
				} else if sp.defaultOne {
					x.weight = 1
				} else if len(refs.Content) == 1 {
					x.weight = 100 // Istio: a single route takes all traffic
				}
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// Read returns the weight of each cluster that has a backend in the route.
func (r Route) Read(name string, src []byte, clusters []string) (Weights, error) {
	w, _, err := r.ReadLines(name, src, clusters)
	return w, err
}

// ReadLines is Read, with the line that names each cluster's first
// backend.
func (r Route) ReadLines(name string, src []byte, clusters []string) (Weights, map[string]int, error) {
	refs, err := r.find(name, src, clusters)
	if err != nil {
		return nil, nil, err
	}
	w := Weights{}
	seen := map[string]int{}
	named := map[string]int{}
	for _, x := range refs {
		if prev, ok := w[x.cluster]; ok {
			if prev != x.weight {
				return nil, nil, fmt.Errorf("%s:%d: %w: %s has weight %d here and %d on line %d", name, x.line, ErrInconsistent, x.cluster, x.weight, prev, seen[x.cluster])
			}
			continue
		}
		w[x.cluster], seen[x.cluster], named[x.cluster] = x.weight, x.line, x.line
		if n := rewrite.Get(x.node, kinds[r.Kind].name...); n != nil {
			named[x.cluster] = n.Line
		}
	}
	return w, named, nil
}

// Set gives each cluster of weights its weight in every rule that routes to
// it. A backend without a weight field gets one. It returns the new bytes
// and what changed. A weight to change that is a Flux variable (see Vars)
// is refused with ErrFluxVar: SetFiles changes it where it is defined.
func (r Route) Set(name string, src []byte, weights Weights) ([]byte, []rewrite.Result, error) {
	edits, vars, err := r.setEdits(name, src, weights)
	if err != nil {
		return nil, nil, err
	}
	if len(vars.edits) > 0 {
		return nil, nil, fmt.Errorf("%s:%d: %w %s; use SetFiles", name, vars.line, ErrFluxVar, r.Vars.File.Name)
	}
	return rewrite.Apply(name, src, edits...)
}

// SetFiles is Set for routes whose weights may be Flux variables: a
// variable weight is changed in the Kustomization of r.Vars, in its
// spec.postBuild.substitute (added there when only a ${VAR:=default}
// gave its value). It returns the changed files by name (the route, the
// Kustomization, or both), and what changed.
func (r Route) SetFiles(name string, src []byte, weights Weights) (map[string][]byte, []rewrite.Result, error) {
	edits, vars, err := r.setEdits(name, src, weights)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]byte{}
	var results []rewrite.Result
	if len(edits) > 0 {
		b, res, err := rewrite.Apply(name, src, edits...)
		if err != nil {
			return nil, nil, err
		}
		out[name], results = b, append(results, res...)
	}
	if len(vars.edits) > 0 {
		f := r.Vars.File
		if f.Name == name {
			return nil, nil, fmt.Errorf("%s: the route and its Flux Kustomization in one file are not supported", name)
		}
		b, res, err := rewrite.Apply(f.Name, f.Data, vars.edits...)
		if err != nil {
			return nil, nil, err
		}
		out[f.Name], results = b, append(results, res...)
	}
	return out, results, nil
}

// varEdits are the edits of a Kustomization's substitute map.
type varEdits struct {
	edits []rewrite.Edit
	line  int // the first variable weight to change
}

func (r Route) setEdits(name string, src []byte, weights Weights) ([]rewrite.Edit, varEdits, error) {
	sp := kinds[r.Kind]
	refs, err := r.find(name, src, slices.Sorted(maps.Keys(weights)))
	if err != nil {
		return nil, varEdits{}, err
	}
	var edits []rewrite.Edit
	var vars varEdits
	type varWant struct {
		cluster string
		want    int
	}
	byVar := map[string]varWant{}
	var ks *fluxKS
	for _, x := range refs {
		want, ok := weights[x.cluster]
		if !ok {
			continue
		}
		if x.bind != nil {
			v := x.bind.v.name
			if prev, ok := byVar[v]; ok {
				if prev.want != want {
					return nil, varEdits{}, &VarError{File: name, Line: x.wline, Var: v, Err: ErrVarUnsupported,
						Reason: fmt.Sprintf("shared by %s and %s, which are to get different weights (%d and %d)", prev.cluster, x.cluster, prev.want, want)}
				}
				continue
			}
			byVar[v] = varWant{x.cluster, want}
			if x.weight == want {
				continue
			}
			if ks == nil {
				if ks, err = r.Vars.load(); err != nil {
					return nil, varEdits{}, err
				}
			}
			if vars.line == 0 {
				vars.line = x.wline
			}
			vars.edits = append(vars.edits, ks.edit(*x.bind, want))
			continue
		}
		if x.hasWeight && x.weight == want {
			continue
		}
		at := x.path(sp)
		if x.hasWeight {
			edits = append(edits, rewrite.Set{Path: at.Child(rewrite.Key("weight")), Value: strconv.Itoa(want)})
		} else {
			edits = append(edits, rewrite.Insert{Path: at, Key: "weight", Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(want)}})
		}
	}
	return edits, vars, nil
}

// roots parses src as rewrite does, so that reading a file refuses what
// editing it would, and returns each document's root node (nil for an
// empty document), indexed as rewrite.Path.Doc counts documents.
func roots(name string, src []byte) ([]*yaml.Node, error) {
	docs, err := rewrite.Parse(name, src)
	if err != nil {
		return nil, err
	}
	out := make([]*yaml.Node, len(docs))
	for i, d := range docs {
		if len(d.Content) > 0 {
			out[i] = d.Content[0]
		}
	}
	return out, nil
}
