package targets

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// The targets.kind values of ferry.yaml this package serves.
const (
	KindApplicationSet    = "argocd-applicationset"
	KindApplication       = "argocd-application"
	KindFluxKustomization = "flux-kustomization"
)

// A Subst rewrites one cluster's strings to another's: the cluster name and
// each of its inventory values replaced by the target cluster's value of
// the same key. The caller builds it from the inventory; it is applied to
// text, comments included.
type Subst func(string) string

// A Registration is where a cluster is registered for a workload.
type Registration struct {
	Cluster string
	File    string
	Line    int // 1-based; for an ApplicationSet, the line of the list element
}

// Conditions callers branch on.
var (
	// ErrNotRegistered: the cluster has no registration to copy or remove.
	ErrNotRegistered = errors.New("the cluster is not registered")
	// ErrRegistered: the cluster already has a registration.
	ErrRegistered = errors.New("the cluster is already registered")
	// ErrWrongKind: the file holds no registration of the expected kind.
	ErrWrongKind = errors.New("no registration of the expected kind")
	// ErrCollision: a derived registration has the source's name and
	// namespace, so the two would be one object.
	ErrCollision = errors.New("the derived registration has the source's name and namespace")
	// ErrAmbiguous: an element or a cluster cannot be told apart from
	// another one.
	ErrAmbiguous = errors.New("ambiguous registration")
	// ErrSubst: the substitution did not turn the source's registration
	// into the target's.
	ErrSubst = errors.New("the substitution does not derive the target")
)

// An UnsupportedError reports a registration shape ferry does not edit.
type UnsupportedError struct {
	File  string
	Line  int
	Shape string // such as "a cluster generator"
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s:%d: %s is not supported: ferry edits ApplicationSets whose clusters the repo lists (a list generator, alone or first in a merge; a git directory generator; a matrix of a list and git directories)", e.File, e.Line, e.Shape)
}

// Removal says what removing a registration deletes, so a pull request can
// say so.
type Removal struct {
	Deletes bool   // whether the workload's resources on the cluster get deleted
	Reason  string // one sentence with the file:line facts
}

// document is one parsed document of a stream.
type document struct {
	index int
	root  *yaml.Node // the document's top node
}

// parse checks src the way rewrite does (size, UTF-8, duplicate keys,
// syntax) and returns its documents that are mappings. A file that is not
// YAML is a *rewrite.ParseError naming the file and, where known, the line.
func parse(name string, src []byte) ([]document, error) {
	all, err := rewrite.Parse(name, src)
	if err != nil {
		return nil, err
	}
	var docs []document
	for i, d := range all {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		docs = append(docs, document{index: i, root: d.Content[0]})
	}
	return docs, nil
}

// isArgo reports whether n is an Argo CD object of kind.
func isArgo(n *yaml.Node, kind string) bool {
	return rewrite.Scalar(rewrite.Get(n, "kind")) == kind && strings.HasPrefix(rewrite.Scalar(rewrite.Get(n, "apiVersion")), "argoproj.io/")
}

// isFluxKustomization reports whether n is a Flux Kustomization (not a
// kustomize kustomization.yaml, whose apiVersion is kustomize.config.k8s.io).
func isFluxKustomization(n *yaml.Node) bool {
	return rewrite.Scalar(rewrite.Get(n, "kind")) == "Kustomization" && strings.HasPrefix(rewrite.Scalar(rewrite.Get(n, "apiVersion")), "kustomize.toolkit.fluxcd.io/")
}

// keyOf returns the key node of k in mapping n.
func keyOf(n *yaml.Node, k string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i]
		}
	}
	return nil
}

// isTrue reports whether n is the boolean true.
func isTrue(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" && strings.EqualFold(n.Value, "true")
}
