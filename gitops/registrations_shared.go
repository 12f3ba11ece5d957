package gitops

import (
	"errors"
	"fmt"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/rewrite"
)

// shared is targets.kind argocd-application or flux-kustomization with a
// targets.path that names no workload: one file per cluster holding every
// workload's registration as a document, found by targets.name (a Flux
// hub's hub/<cluster>.yaml, an Argo CD cluster folder's apps.yaml).
type shared struct {
	cfg   *Config
	inv   *Inventory
	shape targets.Shared
}

var _ RegistrationAdapter = shared{}

func (s shared) file(cluster string) string { return s.cfg.Expand(s.cfg.Targets.Path, "", cluster) }

func (s shared) name(workload, cluster string) string {
	return s.cfg.Expand(s.cfg.Targets.Name, workload, cluster)
}

// Read returns the clusters whose file holds the workload's document.
func (s shared) Read(f Files, workload string) (map[string]Registration, error) {
	out := map[string]Registration{}
	for _, c := range s.inv.Names() {
		name := s.file(c)
		data, ok, err := optional(f.Read(name))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		line, err := s.shape.Line(name, data, s.name(workload, c))
		if errors.Is(err, targets.ErrWrongKind) {
			continue // a cluster's file with no registration yet
		}
		if err != nil {
			return nil, adapterErr(name, err)
		}
		if line > 0 {
			out[c] = Registration{File: name, Line: line}
		}
	}
	return out, nil
}

// Add appends the document derived from from's to to's file, creating the
// file (and listing it where from's is listed) when the cluster has none.
func (s shared) Add(f Files, workload, from, to string, sub *Substitution) ([]Leftover, error) {
	src, dst := s.file(from), s.file(to)
	data, err := f.Read(src)
	if err != nil {
		return nil, err
	}
	doc, err := s.shape.Document(src, data, s.name(workload, from))
	if err != nil {
		return nil, adapterErr(src, err)
	}
	derived, err := s.shape.PerPair.Derive(src, doc, sub.Replace)
	if err != nil {
		return nil, adapterErr(src, err)
	}
	cur, exists, err := optional(f.Read(dst))
	if err != nil {
		return nil, err
	}
	if !exists {
		cur = nil
	}
	out, err := s.shape.Add(dst, cur, derived, s.name(workload, to))
	if err != nil {
		return nil, adapterErr(dst, err)
	}
	line := 1
	if exists {
		line = len(splitLines(cur)) + 1
	}
	f.Write(dst, out, rewrite.Result{File: dst, Line: line, New: "registration of " + workload + " on " + to})
	if !exists {
		if err := listAdd(f, src, dst); err != nil {
			return nil, err
		}
	}
	return sub.Leftovers(dst, derived), nil
}

// Remove deletes the workload's document from cluster's file, and the file
// (with its parents' entries) when no document is left.
func (s shared) Remove(f Files, workload, cluster string) (string, error) {
	name := s.file(cluster)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return "", err
	}
	reg := s.name(workload, cluster)
	line, err := s.shape.Line(name, data, reg)
	if errors.Is(err, targets.ErrWrongKind) || err == nil && line == 0 {
		return "", nil // not registered there
	}
	if err != nil {
		return "", adapterErr(name, err)
	}
	rm, err := s.shape.Removal(name, data, reg)
	if err != nil {
		return "", adapterErr(name, err)
	}
	out, empty, err := s.shape.Remove(name, data, reg)
	if err != nil {
		return "", adapterErr(name, err)
	}
	res := rewrite.Result{File: name, Line: line, Old: "registration of " + workload + " on " + cluster}
	if empty {
		f.Delete(name, res)
		if err := listRemove(f, name); err != nil {
			return "", err
		}
	} else {
		f.Write(name, out, res)
	}
	return fmt.Sprintf("%s: %s", cluster, rm.Reason), nil
}

// splitLines is the lines of data, the last without its newline.
func splitLines(data []byte) []string {
	var out []string
	start := 0
	for i, b := range data {
		if b == '\n' {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	if start < len(data) {
		out = append(out, string(data[start:]))
	}
	return out
}

// document is the text of workload's registration on cluster, or nil.
func (s shared) document(f Files, workload, cluster string) ([]byte, error) {
	name := s.file(cluster)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return nil, err
	}
	doc, err := s.shape.Document(name, data, s.name(workload, cluster))
	if errors.Is(err, targets.ErrWrongKind) || errors.Is(err, targets.ErrNotRegistered) {
		return nil, nil
	}
	return doc, err
}
