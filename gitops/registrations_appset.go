package gitops

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/ferry-dev/ferry/gitops/targets"
	"github.com/ferry-dev/ferry/rewrite"
)

// applicationSets is targets.kind argocd-applicationset. The file is the
// workload's own (a targets.path with {workload}) or one that holds many
// workloads' (one per environment, with an {environment} value, or the
// repo's). Its ApplicationSet
// registers a cluster with a list element that names the cluster (and, in
// a shared file, the workload), or with a git directory generator that
// matches the workload's overlay directory for the cluster.
type applicationSets struct {
	cfg       *Config
	inv       *Inventory
	workloads []string // the repo's, to tell whose a generator file is
}

var _ RegistrationAdapter = applicationSets{}

func newApplicationSets(cfg *Config, inv *Inventory, workloads []string) RegistrationAdapter {
	return applicationSets{cfg: cfg, inv: inv, workloads: workloads}
}

// file is the ApplicationSet that registers workload on cluster.
func (a applicationSets) file(workload, cluster string) string {
	return a.cfg.RegistrationFile(workload, cluster)
}

// list is the list-generator shape for workload's file.
func (a applicationSets) list(workload string) targets.ApplicationSet {
	if strings.Contains(a.cfg.Targets.Path, "{workload}") {
		return targets.ApplicationSet{}
	}
	return targets.ApplicationSet{Workload: workload}
}

// readAll returns cluster's file and, when its generator is a git
// directory generator or a matrix of a list and git directories, that
// generator; ok is false when the file does not exist.
func (a applicationSets) readAll(f Files, workload, cluster string) (name string, data []byte, g *targets.GitDirs, m *targets.Matrix, ok bool, err error) {
	name = a.file(workload, cluster)
	data, ok, err = optional(f.Read(name))
	if !ok {
		return name, nil, nil, nil, false, err
	}
	// Each reader parses the file: skip those whose generator's key is
	// not in it (most files have a list alone).
	if bytes.Contains(data, []byte("matrix")) {
		if m, err = targets.ReadMatrix(name, data); err != nil {
			return name, nil, nil, nil, false, adapterErr(name, err)
		}
	}
	if bytes.Contains(data, []byte("directories")) {
		if g, err = targets.ReadGitDirs(name, data); err != nil {
			return name, nil, nil, nil, false, adapterErr(name, err)
		}
	}
	return name, data, g, m, true, nil
}

// gitFiles returns the git files generator of cluster's ApplicationSet,
// or nil when it has another.
func (a applicationSets) gitFiles(f Files, workload, cluster string) (*targets.GitFiles, error) {
	name := a.file(workload, cluster)
	data, ok, err := optional(f.Read(name))
	if !ok {
		return nil, err
	}
	if !bytes.Contains(data, []byte("files")) {
		return nil, nil
	}
	g, err := targets.ReadGitFiles(name, data)
	if err != nil {
		return nil, adapterErr(name, err)
	}
	return g, nil
}

// generated returns, per cluster of clusters, the generator file that
// registers workload there: the files g matches that belong to the
// workload (in a file of many workloads', those whose path or content
// names it) and name the cluster.
func (a applicationSets) generated(f Files, g *targets.GitFiles, workload string, clusters []string) (map[string]string, error) {
	out := map[string]string{}
	shared := !strings.Contains(a.cfg.Targets.Path, "{workload}")
	for _, p := range g.Include {
		names, err := f.Glob(p.Path)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if _, ok := g.Match(name); !ok {
				continue
			}
			data, err := f.Read(name)
			if err != nil {
				return nil, err
			}
			// The file must name the workload: one that names only a
			// cluster (its identity, read by every ApplicationSet) puts
			// every workload there, and a copy for the target would too.
			if w, _ := targets.ClusterOf(name, data, []string{workload}); w != workload {
				if other, _ := targets.ClusterOf(name, data, a.workloads); shared && other != "" {
					continue // another workload's
				}
				return nil, &targets.UnsupportedError{File: g.File, Line: p.Line, Shape: fmt.Sprintf("a git files generator whose file %s does not name %s (a file per cluster registers every workload there)", name, workload)}
			}
			c, err := targets.ClusterOf(name, data, clusters)
			if err != nil {
				return nil, adapterErr(name, err)
			}
			if c == "" {
				continue
			}
			if prev, dup := out[c]; dup && prev != name {
				return nil, inputErr(name, 0, fmt.Errorf("%w: %s and %s both register %s on %s", targets.ErrAmbiguous, prev, name, workload, c))
			}
			out[c] = name
		}
	}
	return out, nil
}

// Read returns the clusters the ApplicationSets register the workload on:
// each cluster by the file its values name.
func (a applicationSets) Read(f Files, workload string) (map[string]Registration, error) {
	out := map[string]Registration{}
	byFile := map[string][]string{}
	var files []string
	for _, c := range a.inv.Names() {
		name := a.file(workload, c)
		if byFile[name] == nil {
			files = append(files, name)
		}
		byFile[name] = append(byFile[name], c)
	}
	for _, name := range files {
		clusters := byFile[name]
		_, data, g, m, ok, err := a.readAll(f, workload, clusters[0])
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		gf, err := a.gitFiles(f, workload, clusters[0])
		if err != nil {
			return nil, err
		}
		if gf != nil {
			files, err := a.generated(f, gf, workload, clusters)
			if err != nil {
				return nil, err
			}
			for c, file := range files {
				out[c] = Registration{File: file, Line: 1}
			}
			continue
		}
		if m != nil {
			for _, c := range clusters {
				dir := a.cfg.OverlayDir(workload, c)
				line, ok, err := m.Match(name, data, dir, c)
				if err != nil {
					return nil, adapterErr(name, err)
				}
				if ok && hasKustomization(f, dir) {
					out[c] = Registration{File: name, Line: line}
				}
			}
			continue
		}
		if g != nil {
			for _, c := range clusters {
				dir := a.cfg.OverlayDir(workload, c)
				if p, ok := g.Match(dir); ok && hasKustomization(f, dir) {
					out[c] = Registration{File: name, Line: p.Line}
				}
			}
			continue
		}
		regs, err := a.list(workload).Read(name, data, clusters)
		if err != nil {
			return nil, adapterErr(name, err)
		}
		for c, reg := range regs {
			out[c] = Registration{File: reg.File, Line: reg.Line}
		}
	}
	return out, nil
}

// hasKustomization reports whether dir holds a kustomization file.
func hasKustomization(f Files, dir string) bool {
	for _, n := range kustomizationNames {
		if _, ok, _ := optional(f.Read(path.Join(dir, n))); ok {
			return true
		}
	}
	return false
}

// Add copies the element of from, substituted, after the list's last one;
// with a git directory generator, the derived overlay (written before)
// registers the workload, if the generator matches it.
func (a applicationSets) Add(f Files, workload, from, to string, sub *Substitution) ([]Leftover, error) {
	if src, dst := a.file(workload, from), a.file(workload, to); src != dst {
		return nil, inputErr(src, 0, fmt.Errorf("%w: %s is registered here and %s in %s: ferry moves a workload within one ApplicationSet file", ErrUnknownName, from, to, dst))
	}
	name, data, g, m, ok, err := a.readAll(f, workload, from)
	if !ok {
		if err == nil {
			err = inputErr(name, 0, ErrMissingFile)
		}
		return nil, err
	}
	if gf, err := a.gitFiles(f, workload, from); err != nil {
		return nil, err
	} else if gf != nil {
		return a.addFile(f, gf, workload, from, to, sub)
	}
	if m != nil {
		out, res, err := m.AddCluster(name, data, from, to, a.cfg.OverlayDir(workload, to), sub.Replace)
		if err != nil {
			return nil, adapterErr(name, err)
		}
		if len(res) > 0 {
			f.Write(name, out, res...)
		}
		return nil, nil
	}
	if g != nil {
		dir := a.cfg.OverlayDir(workload, to)
		if _, ok := g.Match(dir); !ok {
			return nil, inputErr(name, 0, fmt.Errorf("%w: its git directory generator does not match %s, so Argo CD would not deploy %s to %s", ErrMissingField, dir, workload, to))
		}
		return nil, nil
	}
	out, res, err := a.list(workload).Add(name, data, from, to, sub.Replace)
	if err != nil {
		return nil, adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return nil, nil
}

// Remove deletes cluster's list element; with a git directory generator,
// the removal of the overlay directory unregisters it.
func (a applicationSets) Remove(f Files, workload, cluster string) (string, error) {
	regs, err := a.Read(f, workload)
	if _, ok := regs[cluster]; !ok || err != nil {
		return "", err
	}
	name, data, g, m, _, err := a.readAll(f, workload, cluster)
	if err != nil {
		return "", err
	}
	if gf, err := a.gitFiles(f, workload, cluster); err != nil {
		return "", err
	} else if gf != nil {
		files, err := a.generated(f, gf, workload, a.inv.Names())
		if err != nil {
			return "", err
		}
		f.Delete(files[cluster], rewrite.Result{File: files[cluster], Line: 1, Old: "generator file of " + cluster})
		return fmt.Sprintf("%s: %s", cluster, gf.Removal().Reason), nil
	}
	if m != nil {
		// The cluster's element stays: other workloads may have folders
		// there; removing the overlay folder unregisters this one.
		return fmt.Sprintf("%s: %s", cluster, m.Removal().Reason), nil
	}
	if g != nil {
		return fmt.Sprintf("%s: %s", cluster, g.Removal().Reason), nil
	}
	rm, err := targets.ApplicationSet{}.Removal(name, data)
	if err != nil {
		return "", adapterErr(name, err)
	}
	out, res, err := a.list(workload).Remove(name, data, cluster)
	if err != nil {
		return "", adapterErr(name, err)
	}
	f.Write(name, out, res...)
	return fmt.Sprintf("%s: %s", cluster, rm.Reason), nil
}

// addFile writes to's generator file, derived from from's: its path and
// content substituted, which must match the generator and name to.
func (a applicationSets) addFile(f Files, g *targets.GitFiles, workload, from, to string, sub *Substitution) ([]Leftover, error) {
	files, err := a.generated(f, g, workload, a.inv.Names())
	if err != nil {
		return nil, err
	}
	src, ok := files[from]
	if !ok {
		return nil, inputErr(g.File, 0, fmt.Errorf("%w: no generator file registers %s on %s", targets.ErrNotRegistered, workload, from))
	}
	data, err := f.Read(src)
	if err != nil {
		return nil, err
	}
	dst := sub.Replace(src)
	if have, ok := files[to]; ok {
		// A generator file inside the overlay folder came with the
		// derived overlay: the same file is the registration.
		cur, err := f.Read(have)
		if err == nil && have == dst && string(cur) == sub.Replace(string(data)) {
			return nil, nil // its leftovers are the overlay's
		}
		return nil, inputErr(have, 0, fmt.Errorf("%w: %s is registered on %s", targets.ErrRegistered, workload, to))
	}
	if dst == src {
		return nil, inputErr(src, 0, fmt.Errorf("%w: its path names no value of %s, so the file for %s would be the same", targets.ErrSubst, from, to))
	}
	if _, ok := g.Match(dst); !ok {
		return nil, inputErr(g.File, 0, fmt.Errorf("%w: its git files generator does not match %s, the file derived for %s", ErrMissingField, dst, to))
	}
	out := []byte(sub.Replace(string(data)))
	if c, err := targets.ClusterOf(dst, out, []string{from, to}); err != nil || c != to {
		return nil, inputErr(src, 0, fmt.Errorf("%w: the file derived for %s names %q", targets.ErrSubst, to, c))
	}
	f.Write(dst, out, rewrite.Result{File: dst, Line: 1, New: "generator file of " + to})
	return sub.Leftovers(dst, out), nil
}

// text is what registers workload on cluster: its list element, or the
// generator pattern that matches its directory; nil when nothing does.
func (a applicationSets) text(f Files, workload, cluster string) ([]byte, error) {
	name, data, g, m, ok, err := a.readAll(f, workload, cluster)
	if !ok {
		return nil, err
	}
	if gf, err := a.gitFiles(f, workload, cluster); err != nil {
		return nil, err
	} else if gf != nil {
		files, err := a.generated(f, gf, workload, a.inv.Names())
		if err != nil || files[cluster] == "" {
			return nil, err
		}
		data, err := f.Read(files[cluster])
		return append([]byte(files[cluster]+"\n"), data...), err
	}
	if m != nil {
		dir := a.cfg.OverlayDir(workload, cluster)
		line, ok, err := m.Match(name, data, dir, cluster)
		if err != nil || !ok || !hasKustomization(f, dir) {
			return nil, err
		}
		return fmt.Appendf(nil, "%s:%d %s", name, line, dir), nil
	}
	if g != nil {
		dir := a.cfg.OverlayDir(workload, cluster)
		if p, ok := g.Match(dir); ok && hasKustomization(f, dir) {
			return []byte(p.Path), nil
		}
		return nil, nil
	}
	return a.list(workload).Element(name, data, cluster)
}

// frame is the rest of the ApplicationSet that registers workload on
// cluster through a list element (see targets.ApplicationSet.Frame); for
// the other shapes, the whole ApplicationSet, as targets.Canonical has it.
func (a applicationSets) frame(f Files, workload, cluster string) ([]byte, error) {
	name, data, g, m, ok, err := a.readAll(f, workload, cluster)
	if !ok {
		return nil, err
	}
	if gf, err := a.gitFiles(f, workload, cluster); err != nil {
		return nil, err
	} else if gf != nil || g != nil || m != nil {
		return targets.Canonical(data), nil
	}
	return a.list(workload).Frame(name, data, cluster)
}
