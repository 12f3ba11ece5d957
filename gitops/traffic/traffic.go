// Package traffic reads and sets the weights the global load balancer
// gives each cluster of a workload: Gateway API HTTPRoute backendRefs,
// Istio VirtualService routes, and external-dns weighted records (the
// aws-weight annotation, or a DNSEndpoint's aws/weight). Weights are found by kind and path, never
// by the key name (pod affinity has a weight too), and set through package
// rewrite, so a shift changes only the weight lines.
package traffic

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// Weights maps each cluster with a backend to its weight.
type Weights map[string]int

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
	// an HTTPRoute, the destination subset of a VirtualService.
	Backend func(cluster string) string
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
		byBackend[r.Backend(c)] = c
	}
	var out []ref
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for doc := 0; ; doc++ {
		var d yaml.Node
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(d.Content) == 0 || scalar(get(d.Content[0], "kind")) != r.Kind {
			continue
		}
		rules := get(d.Content[0], "spec", sp.rules)
		if rules == nil {
			continue
		}
		for i, rule := range rules.Content {
			refs := get(rule, sp.refs)
			if refs == nil {
				continue
			}
			for j, rf := range refs.Content {
				c, ok := byBackend[scalar(get(rf, sp.name...))]
				if !ok {
					continue
				}
				x := ref{doc: doc, rule: i, ref: j, cluster: c, line: rf.Line}
				if w := get(rf, "weight"); w != nil {
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
	refs, err := r.find(name, src, clusters)
	if err != nil {
		return nil, err
	}
	w := Weights{}
	seen := map[string]int{}
	for _, x := range refs {
		if prev, ok := w[x.cluster]; ok && prev != x.weight {
			return nil, fmt.Errorf("%s:%d: %w: %s has weight %d here and %d on line %d", name, x.line, ErrInconsistent, x.cluster, x.weight, prev, seen[x.cluster])
		}
		w[x.cluster], seen[x.cluster] = x.weight, x.line
	}
	return w, nil
}

// Set gives each cluster of weights its weight in every rule that routes to
// it. A backend without a weight field gets one. It returns the new bytes
// and what changed.
func (r Route) Set(name string, src []byte, weights Weights) ([]byte, []rewrite.Result, error) {
	sp := kinds[r.Kind]
	refs, err := r.find(name, src, slices.Sorted(maps.Keys(weights)))
	if err != nil {
		return nil, nil, err
	}
	var edits []rewrite.Edit
	for _, x := range refs {
		want, ok := weights[x.cluster]
		if !ok || x.hasWeight && x.weight == want {
			continue
		}
		at := rewrite.Path{Doc: x.doc, Steps: []rewrite.Step{rewrite.Key("spec"), rewrite.Key(sp.rules), rewrite.Index(x.rule), rewrite.Key(sp.refs), rewrite.Index(x.ref)}}
		if x.hasWeight {
			edits = append(edits, rewrite.Set{Path: at.Child(rewrite.Key("weight")), Value: strconv.Itoa(want)})
		} else {
			edits = append(edits, rewrite.Insert{Path: at, Key: "weight", Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(want)}})
		}
	}
	return rewrite.Apply(name, src, edits...)
}

func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
