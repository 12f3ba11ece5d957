package traffic

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// The external-dns annotations of weighted records (AWS Route 53).
const (
	AnnotationWeight        = "external-dns.alpha.kubernetes.io/aws-weight"
	AnnotationSetIdentifier = "external-dns.alpha.kubernetes.io/set-identifier"
)

// ExternalDNS is traffic weighted by external-dns records: each cluster's
// overlay holds a file whose Service or Ingress annotations, or whose
// DNSEndpoint providerSpecific aws/weight, carry the cluster's weight for
// the record set identified by Backend(cluster). A shift edits one file
// per cluster, in one commit.
type ExternalDNS struct {
	Backend func(cluster string) string
	// Vars maps a cluster to the Flux Kustomization that applies its
	// overlay, where a weight written as ${VAR} is defined
	// (spec.postBuild.substitute). Without it such a weight is refused.
	Vars map[string]File
}

type dnsWeight struct {
	path   rewrite.Path
	weight int
	line   int
	raw    string
	// For a weight written as a Flux variable: the Kustomization and the
	// variable's binding there.
	ks   *fluxKS
	bind binding
	vars File
}

// find locates the weight of cluster's record set in one file.
func (e ExternalDNS) find(name string, src []byte, cluster string) (*dnsWeight, error) {
	id := e.Backend(cluster)
	docs, err := roots(name, src)
	if err != nil {
		return nil, err
	}
	var found *dnsWeight
	for doc, root := range docs {
		var hits []dnsWeight
		if rewrite.Scalar(rewrite.Get(root, "kind")) == "DNSEndpoint" {
			eps := rewrite.Get(root, "spec", "endpoints")
			for i, ep := range contentOf(eps) {
				if rewrite.Scalar(rewrite.Get(ep, "setIdentifier")) != id {
					continue
				}
				for j, ps := range contentOf(rewrite.Get(ep, "providerSpecific")) {
					if rewrite.Scalar(rewrite.Get(ps, "name")) == "aws/weight" {
						v := rewrite.Get(ps, "value")
						at := rewrite.Path{Doc: doc, Steps: []rewrite.Step{rewrite.Key("spec"), rewrite.Key("endpoints"), rewrite.Index(i), rewrite.Key("providerSpecific"), rewrite.Index(j), rewrite.Key("value")}}
						hits = append(hits, dnsWeight{path: at, line: v.Line, weight: atoi(rewrite.Scalar(v)), raw: rewrite.Scalar(v)})
					}
				}
			}
		} else if ann := rewrite.Get(root, "metadata", "annotations"); rewrite.Scalar(rewrite.Get(ann, AnnotationSetIdentifier)) == id {
			if v := rewrite.Get(ann, AnnotationWeight); v != nil {
				hits = append(hits, dnsWeight{path: rewrite.Path{Doc: doc, Steps: []rewrite.Step{rewrite.Key("metadata"), rewrite.Key("annotations"), rewrite.Key(AnnotationWeight)}}, line: v.Line, weight: atoi(rewrite.Scalar(v)), raw: rewrite.Scalar(v)})
			}
		}
		for _, h := range hits {
			if h.weight < 0 {
				if err := e.resolve(name, cluster, &h); err != nil {
					return nil, err
				}
			}
			if found != nil {
				return nil, fmt.Errorf("%s:%d: a second weight for record set %s (first on line %d)", name, h.line, id, found.line)
			}
			found = &h
		}
	}
	return found, nil
}

// resolve follows a weight that is not a whole number: a Flux ${VAR}
// defined in the Kustomization that applies the cluster's overlay, or an
// error that says why it cannot be used.
func (e ExternalDNS) resolve(name, cluster string, h *dnsWeight) error {
	if _, ok := parseVar(h.raw); !ok {
		return fmt.Errorf("%s:%d: the weight of %s is not a whole number >= 0", name, h.line, cluster)
	}
	ksFile, ok := e.Vars[cluster]
	if !ok {
		return &VarError{File: name, Line: h.line, Var: strings.Trim(h.raw, "${}"), Err: ErrVarUndefined,
			Reason: "no Flux Kustomization that applies this overlay is known, so ferry cannot follow the variable"}
	}
	ks, err := (&Vars{File: ksFile}).load()
	if err != nil {
		return err
	}
	n, b, err := ks.resolve(name, h.line, h.raw)
	if err != nil {
		return err
	}
	h.weight, h.ks, h.bind, h.vars = n, ks, b, ksFile
	return nil
}

func contentOf(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Read returns the weight of each cluster from its file; files maps a
// cluster to its file name and content. A cluster whose file has no
// weighted record set for it is left out.
func (e ExternalDNS) Read(files map[string]File) (Weights, error) {
	w := Weights{}
	for cluster, f := range files {
		x, err := e.find(f.Name, f.Data, cluster)
		if err != nil {
			return nil, err
		}
		if x != nil {
			w[cluster] = x.weight
		}
	}
	return w, nil
}

// A File is a file's name and content.
type File struct {
	Name string
	Data []byte
}

// Set writes each cluster's weight into its file. Weights are strings in
// annotations and providerSpecific values, and stay strings. A weight
// written as a Flux ${VAR} is changed where it is defined, in the
// cluster's Kustomization (see Vars). It returns the changed file of each
// cluster, and what changed.
func (e ExternalDNS) Set(files map[string]File, weights Weights) (map[string]File, []rewrite.Result, error) {
	out := map[string]File{}
	var results []rewrite.Result
	for _, cluster := range slices.Sorted(maps.Keys(weights)) {
		want := weights[cluster]
		f, ok := files[cluster]
		if !ok {
			return nil, nil, fmt.Errorf("external-dns: no traffic file for %s", cluster)
		}
		x, err := e.find(f.Name, f.Data, cluster)
		if err != nil {
			return nil, nil, err
		}
		if x == nil {
			return nil, nil, fmt.Errorf("%s: no %s record set %s with a weight", f.Name, AnnotationSetIdentifier, e.Backend(cluster))
		}
		if x.weight == want {
			continue
		}
		if x.ks != nil { // the value lives in the Kustomization's substitute
			data, res, err := rewrite.Apply(x.vars.Name, x.vars.Data, x.ks.edit(x.bind, want))
			if err != nil {
				return nil, nil, err
			}
			out[cluster] = File{Name: x.vars.Name, Data: data}
			results = append(results, res...)
			continue
		}
		data, res, err := rewrite.Apply(f.Name, f.Data, rewrite.Set{Path: x.path, Value: strconv.Itoa(want), Tag: "!!str"})
		if err != nil {
			return nil, nil, err
		}
		out[cluster] = File{Name: f.Name, Data: data}
		results = append(results, res...)
	}
	return out, results, nil
}
