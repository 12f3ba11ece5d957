package render

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/yaml"
)

// maxDepth bounds the kustomization graph walked by an inspection.
const maxDepth = 64

// inspector walks the kustomizations a build reads, looking for what would
// make kustomize reach outside the repo: remote bases and files, plugins and
// KRM functions, helm charts. It reads through the recording file system, so
// what it reads is part of the build's read set.
type inspector struct {
	fsys filesys.FileSystem
	seen map[string]bool // kustomization directories inspected
	bad  string          // the first kustomization file that did not parse
	out  string          // the first reference that leaves the repo
}

// unverifiable returns why the kustomization in dir (an absolute path) or one
// it refers to cannot be rendered here, or "" when nothing is found. A file
// that does not parse is skipped: the build reports it.
func (in *inspector) unverifiable(dir string, depth int) string {
	if in.seen[dir] || depth > maxDepth {
		return ""
	}
	in.seen[dir] = true
	kfile, k := in.load(dir)
	if k == nil {
		return ""
	}
	name := strings.TrimPrefix(kfile, "/")
	if len(k.HelmCharts) > 0 || k.HelmGlobals != nil || len(k.HelmChartInflationGenerator) > 0 {
		return fmt.Sprintf("%s inflates a helm chart", name)
	}
	// Bases is deprecated but still in real repos, and must be inspected.
	//lint:ignore SA1019 real kustomizations still use bases
	for _, list := range [][]string{k.Resources, k.Bases, k.Components} {
		for _, e := range list {
			if IsRemote(e) {
				return fmt.Sprintf("%s refers to remote resource %q", name, e)
			}
			in.checkInside(name, dir, e)
			if why := in.local(dir, e, depth, false); why != "" {
				return why
			}
		}
	}
	for _, list := range [][]string{k.Generators, k.Transformers, k.Validators} {
		for _, e := range list {
			if IsRemote(e) {
				return fmt.Sprintf("%s refers to remote plugin %q", name, e)
			}
			if strings.Contains(e, "\n") {
				if why := pluginReason(name, []byte(e)); why != "" {
					return why
				}
				continue
			}
			if why := in.local(dir, e, depth, true); why != "" {
				return why
			}
		}
	}
	for _, f := range remoteFiles(k) {
		if isHTTP(f) {
			return fmt.Sprintf("%s refers to remote file %q", name, f)
		}
		if key, v, ok := strings.Cut(f, "="); ok && !strings.Contains(key, "/") {
			f = v // a generator's "key=path"
		}
		in.checkInside(name, dir, f)
	}
	return ""
}

// checkInside records in in.out a local reference e of the kustomization
// file name in dir that leaves the repo. kustomize would resolve it on the
// disk of whoever renders; here it would be clamped to the repo root.
func (in *inspector) checkInside(name, dir, e string) {
	if in.out != "" || e == "" || strings.Contains(e, "\n") || strings.HasPrefix(e, "/") {
		return
	}
	if p := path.Join(strings.TrimPrefix(dir, "/"), e); p == ".." || strings.HasPrefix(p, "../") {
		in.out = fmt.Sprintf("%s: %q refers outside the repo", name, e)
	}
}

// local inspects the entry e of the kustomization in dir when it is a local
// directory (a kustomization) or, for a plugin list, a plugin config file.
func (in *inspector) local(dir, e string, depth int, plugins bool) string {
	p := path.Join(dir, e)
	if in.fsys.IsDir(p) {
		if plugins {
			return in.pluginDir(p, depth+1)
		}
		return in.unverifiable(p, depth+1)
	}
	if !plugins {
		return ""
	}
	b, err := in.fsys.ReadFile(p)
	if err != nil {
		return ""
	}
	return pluginReason(strings.TrimPrefix(p, "/"), b)
}

// pluginDir inspects a kustomization listed as generators or transformers:
// its resources are plugin configs.
func (in *inspector) pluginDir(dir string, depth int) string {
	if why := in.unverifiable(dir, depth); why != "" {
		return why
	}
	_, k := in.load(dir)
	if k == nil {
		return ""
	}
	for _, e := range k.Resources {
		if why := in.local(dir, e, depth, true); why != "" {
			return why
		}
	}
	return ""
}

// load reads the kustomization file of dir.
func (in *inspector) load(dir string) (string, *types.Kustomization) {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		kfile := path.Join(dir, n)
		if !in.fsys.Exists(kfile) {
			continue
		}
		b, err := in.fsys.ReadFile(kfile)
		if err != nil {
			return kfile, nil
		}
		var k types.Kustomization
		if err := yaml.Unmarshal(b, &k); err != nil {
			if in.bad == "" {
				in.bad = kfile
			}
			return kfile, nil
		}
		return kfile, &k
	}
	return "", nil
}

// pluginReason returns why the plugin configs in b (named name) cannot run
// here: only kustomize's builtin plugins run in-process. Unparseable input is
// left to the build to report.
func pluginReason(name string, b []byte) string {
	nodes, err := kio.FromBytes(b)
	if err != nil {
		return ""
	}
	for _, n := range nodes {
		a := n.GetAnnotations()
		for _, key := range []string{"config.kubernetes.io/function", "config.k8s.io/function"} {
			if _, ok := a[key]; ok {
				return fmt.Sprintf("%s runs KRM function %s %s (exec or container)", name, n.GetApiVersion(), n.GetKind())
			}
		}
		if n.GetApiVersion() != konfig.BuiltinPluginApiVersion {
			return fmt.Sprintf("%s configures plugin %s %s (exec or Go plugin)", name, n.GetApiVersion(), n.GetKind())
		}
		if n.GetKind() == "HelmChartInflationGenerator" {
			return fmt.Sprintf("%s inflates a helm chart", name)
		}
	}
	return ""
}

// remoteFiles lists the file paths of a kustomization that kustomize loads
// with its loader, which fetches http and https URLs.
func remoteFiles(k *types.Kustomization) []string {
	var fs []string
	fs = append(fs, k.Crds...)
	fs = append(fs, k.Configurations...)
	//lint:ignore SA1019 real kustomizations still use patchesStrategicMerge
	for _, p := range k.PatchesStrategicMerge {
		fs = append(fs, string(p))
	}
	for _, p := range k.Patches {
		fs = append(fs, p.Path)
	}
	//lint:ignore SA1019 real kustomizations still use patchesJson6902
	for _, p := range k.PatchesJson6902 {
		fs = append(fs, p.Path)
	}
	for _, r := range k.Replacements {
		fs = append(fs, r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		fs = append(fs, g.FileSources...)
		fs = append(fs, g.EnvSources...)
		fs = append(fs, g.EnvSource)
	}
	for _, g := range k.SecretGenerator {
		fs = append(fs, g.FileSources...)
		fs = append(fs, g.EnvSources...)
		fs = append(fs, g.EnvSource)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		fs = append(fs, p)
	}
	return fs
}

// isHTTP reports whether kustomize's loader would fetch s over http. A
// configMapGenerator file source may be "key=path".
func isHTTP(s string) bool {
	if k, v, ok := strings.Cut(s, "="); ok && !strings.ContainsAny(k, "/:") {
		s = v
	}
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// scpLike matches git's scp-like syntax, user@host:path.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:`)

// IsRemote reports whether kustomize would treat the resource, base or
// component entry e as a remote URL or git repository and try to fetch it.
// It errs towards remote: kustomize's own parser (internal/git.RepoSpec)
// accepts any URL scheme, scp-like addresses, github.com paths without a
// scheme, and any path carrying a "//" sub-directory separator, a ".git" or
// "_git" segment, or a query such as "?ref=".
func IsRemote(e string) bool {
	s := strings.TrimSpace(e)
	if strings.HasPrefix(s, "/") {
		return false // kustomize refuses absolute paths; the build reports it
	}
	low := strings.ToLower(s)
	switch {
	case strings.Contains(low, "://"),
		strings.HasPrefix(low, "git::"),
		scpLike.MatchString(s),
		strings.Contains(s, "?"):
		return true
	}
	for _, host := range []string{"github.com/", "www.github.com/", "gitlab.com/", "bitbucket.org/", "dev.azure.com/"} {
		if strings.HasPrefix(low, host) {
			return true
		}
	}
	if strings.Contains(s, "//") {
		return true
	}
	for _, seg := range strings.Split(low, "/") {
		if seg == "_git" || (strings.HasSuffix(seg, ".git") && seg != ".git") {
			return true
		}
	}
	return false
}
