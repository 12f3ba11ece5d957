package targets

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// The finalizer with which Argo CD deletes an Application's resources
// before the Application (cascade); a /background or /foreground suffix
// picks the propagation policy.
const ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

// PerPair is the argocd-application or flux-kustomization shape: one file
// per (workload, cluster) pair holding an Argo CD Application or a Flux
// Kustomization. A file may hold other documents besides.
type PerPair struct {
	Kind string // KindApplication or KindFluxKustomization
}

// registrations returns the documents of src that are of p's kind, or
// ErrWrongKind when there are none.
func (p PerPair) registrations(name string, src []byte) ([]document, error) {
	var is func(*yaml.Node) bool
	var want string
	switch p.Kind {
	case KindApplication:
		is, want = func(n *yaml.Node) bool { return isArgo(n, "Application") }, "an Argo CD Application (argoproj.io)"
	case KindFluxKustomization:
		is, want = isFluxKustomization, "a Flux Kustomization (kustomize.toolkit.fluxcd.io)"
	default:
		return nil, fmt.Errorf("targets kind %q is not %s or %s", p.Kind, KindApplication, KindFluxKustomization)
	}
	docs, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	var out []document
	for _, d := range docs {
		if is(d.root) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: want %s", name, ErrWrongKind, want)
	}
	return out, nil
}

// Check parses the file and requires at least one registration of p's
// kind in it.
func (p PerPair) Check(name string, src []byte) error {
	_, err := p.registrations(name, src)
	return err
}

// Derive returns the file of the target pair: src with subst applied to
// its text, byte for byte the same otherwise. The result must hold as many
// registrations of p's kind as src, and each must differ from the source's
// in metadata.name or metadata.namespace (ErrCollision): two registrations
// with one name would be one object, and deploying the target would take
// the source's over. That holds only where one controller holds both: a
// registration the target cluster applies to itself (a Flux Kustomization
// without spec.kubeConfig, an Application whose destination is
// in-cluster) lives in that cluster's own Flux or Argo CD, apart from the
// source's, and may keep its name.
func (p PerPair) Derive(name string, src []byte, subst Subst) ([]byte, error) {
	before, err := p.registrations(name, src)
	if err != nil {
		return nil, err
	}
	out := []byte(subst(string(src)))
	after, err := p.registrations(name, out)
	if err != nil {
		return nil, fmt.Errorf("the derived file: %w", err)
	}
	if len(after) != len(before) {
		return nil, fmt.Errorf("%s: %w: %d registrations became %d", name, ErrSubst, len(before), len(after))
	}
	for i, a := range after {
		b := before[i]
		if p.local(a.root) {
			continue
		}
		n, ns := rewrite.Scalar(rewrite.Get(a.root, "metadata", "name")), rewrite.Scalar(rewrite.Get(a.root, "metadata", "namespace"))
		if n == rewrite.Scalar(rewrite.Get(b.root, "metadata", "name")) && ns == rewrite.Scalar(rewrite.Get(b.root, "metadata", "namespace")) {
			line := a.root.Line
			if k := keyOf(rewrite.Get(a.root, "metadata"), "name"); k != nil {
				line = k.Line
			}
			return nil, fmt.Errorf("%s:%d: %w: %s/%s (the name must contain the cluster name or one of its inventory values)", name, line, ErrCollision, ns, n)
		}
	}
	return out, nil
}

// local reports whether a registration applies to the cluster whose
// controller reads it: nothing else can hold an object of its name.
func (p PerPair) local(root *yaml.Node) bool {
	spec := rewrite.Get(root, "spec")
	if p.Kind == KindFluxKustomization {
		return rewrite.Get(spec, "kubeConfig") == nil
	}
	dest := rewrite.Get(spec, "destination")
	server, name := rewrite.Scalar(rewrite.Get(dest, "server")), rewrite.Scalar(rewrite.Get(dest, "name"))
	return strings.TrimSuffix(server, "/") == "https://kubernetes.default.svc" || server == "" && name == "in-cluster"
}

// Removal says whether removing the file deletes the workload's resources
// from the cluster. An Application deletes them when metadata.finalizers
// holds the resources finalizer. A Flux Kustomization deletes them when
// spec.deletionPolicy is Delete or WaitForTermination, or when it is
// MirrorPrune (the default) and spec.prune is true; Orphan keeps them.
// Either way the registration object itself goes only when whatever applies
// the file (an app of apps, a parent Kustomization) prunes it.
func (p PerPair) Removal(name string, src []byte) (Removal, error) {
	docs, err := p.registrations(name, src)
	if err != nil {
		return Removal{}, err
	}
	var rs []Removal
	for _, d := range docs {
		if p.Kind == KindApplication {
			rs = append(rs, applicationRemoval(name, d.root))
		} else {
			rs = append(rs, fluxRemoval(name, d.root))
		}
	}
	return join(rs), nil
}

func applicationRemoval(name string, root *yaml.Node) Removal {
	meta := rewrite.Get(root, "metadata")
	app := rewrite.Scalar(rewrite.Get(meta, "name"))
	fin := rewrite.Get(meta, "finalizers")
	if fin != nil && fin.Kind == yaml.SequenceNode {
		if i := slices.IndexFunc(fin.Content, func(n *yaml.Node) bool {
			return n.Value == ResourcesFinalizer || strings.HasPrefix(n.Value, ResourcesFinalizer+"/")
		}); i >= 0 {
			return Removal{Deletes: true, Reason: fmt.Sprintf("%s:%d: Application %s has the %s finalizer: removing it deletes its resources from the cluster (cascade)", name, fin.Content[i].Line, app, ResourcesFinalizer)}
		}
	}
	line := root.Line
	if k := keyOf(root, "metadata"); k != nil {
		line = k.Line
	}
	return Removal{Deletes: false, Reason: fmt.Sprintf("%s:%d: Application %s has no %s finalizer: removing it deletes the Application only and leaves its resources on the cluster", name, line, app, ResourcesFinalizer)}
}

func fluxRemoval(name string, root *yaml.Node) Removal {
	ks := rewrite.Scalar(rewrite.Get(root, "metadata", "name"))
	spec := rewrite.Get(root, "spec")
	prune := rewrite.Get(spec, "prune")
	pruneAt := root.Line
	if k := keyOf(root, "spec"); k != nil {
		pruneAt = k.Line
	}
	if k := keyOf(spec, "prune"); k != nil {
		pruneAt = k.Line
	}
	if v := rewrite.Get(spec, "deletionPolicy"); v != nil {
		switch s := rewrite.Scalar(v); s {
		case "Delete", "WaitForTermination":
			return Removal{Deletes: true, Reason: fmt.Sprintf("%s:%d: Kustomization %s has spec.deletionPolicy %s: removing it deletes its resources from the cluster, whatever spec.prune says", name, v.Line, ks, s)}
		case "Orphan":
			return Removal{Deletes: false, Reason: fmt.Sprintf("%s:%d: Kustomization %s has spec.deletionPolicy Orphan: removing it leaves its resources on the cluster", name, v.Line, ks)}
		case "MirrorPrune":
		default:
			return Removal{Deletes: isTrue(prune), Reason: fmt.Sprintf("%s:%d: Kustomization %s has an unknown spec.deletionPolicy %q; with spec.prune %s it would %s", name, v.Line, ks, s, pruneWord(prune), deleteWord(isTrue(prune)))}
		}
	}
	if isTrue(prune) {
		return Removal{Deletes: true, Reason: fmt.Sprintf("%s:%d: Kustomization %s has spec.prune true: removing it garbage-collects its resources from the cluster", name, pruneAt, ks)}
	}
	return Removal{Deletes: false, Reason: fmt.Sprintf("%s:%d: Kustomization %s has spec.prune %s: removing it leaves its resources on the cluster", name, pruneAt, ks, pruneWord(prune))}
}

func pruneWord(n *yaml.Node) string {
	if n == nil {
		return "unset"
	}
	return n.Value
}

func deleteWord(deletes bool) string {
	if deletes {
		return "delete its resources from the cluster"
	}
	return "leave its resources on the cluster"
}
