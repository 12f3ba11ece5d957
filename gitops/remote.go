package gitops

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/ferry-dev/ferry/gitops/render"
)

// RemoteTimeout bounds one fetch of a remote base when validate.remote
// has no timeout.
const RemoteTimeout = time.Minute

// remoteFresh is how long a fetched branch or tag is used before it is
// fetched again; a commit hash is used for as long as the cache keeps it.
const remoteFresh = time.Hour

// remoteMount is the folder, at the root of the tree a build reads, that
// holds the fetched remote bases. A repo's own folder of that name is
// refused.
const remoteMount = ".ferry-remote"

// maxRemoteBytes bounds what one build may fetch, all remote bases
// together.
const maxRemoteBytes = 64 << 20

// A fetcher fetches the remote git bases of an overlay (`?ref=` URLs) into
// a cache folder with the git CLI, so that the overlay renders with them
// as kustomize would render it with network. A build reads the fetched
// bases as if they were folders of the repo: each remote entry of a
// kustomization is rewritten, in what the build reads only, to the
// fetched folder.
type fetcher struct {
	dir     string // the cache folder
	timeout time.Duration

	mu      sync.Mutex
	fetched map[string]*fetched // by cache key, this process's fetches
}

type fetched struct {
	once  sync.Once
	files map[string][]byte // slash path in the remote repo → content
	err   error
}

// newFetcher returns the fetcher of validate.remote, or nil when remote
// bases are not fetched. The cache is $FERRY_CACHE_DIR/remote, or ferry's
// folder in the user's cache folder.
func newFetcher(v ValidateConfig, getenv func(string) string) *fetcher {
	if !v.Remote.Fetch {
		return nil
	}
	dir := getenv("FERRY_CACHE_DIR")
	if dir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(c, "ferry")
		} else {
			dir = filepath.Join(os.TempDir(), "ferry-cache")
		}
	}
	t := v.Remote.Timeout.Duration
	if t <= 0 {
		t = RemoteTimeout
	}
	key := fetcherKey{filepath.Join(dir, "remote"), t}
	fetchersMu.Lock()
	defer fetchersMu.Unlock()
	if f := fetchers[key]; f != nil {
		return f // each repo a run loads shares what the others fetched
	}
	f := &fetcher{dir: key.dir, timeout: t, fetched: map[string]*fetched{}}
	fetchers[key] = f
	return f
}

type fetcherKey struct {
	dir     string
	timeout time.Duration
}

var (
	fetchersMu sync.Mutex
	fetchers   = map[fetcherKey]*fetcher{}
)

// A gitSpec is a remote base: a git repository, a folder in it and a ref.
type gitSpec struct {
	entry string // as the kustomization writes it
	repo  string // what git clones
	dir   string // slash path in the repository, "" for its root
	ref   string // "" for the remote's HEAD
}

func (g gitSpec) key() string {
	h := sha256.Sum256([]byte(g.repo + "\x00" + g.ref))
	return hex.EncodeToString(h[:8])
}

var (
	hostPath = regexp.MustCompile(`^(github\.com|gitlab\.com|bitbucket\.org)/([^/]+)/([^/]+)(/.*)?$`)
	hexRef   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// parseGitSpec reads a remote resource entry as kustomize does for the
// forms real repos use: https://host/org/repo//dir?ref=v1,
// https://host/org/repo.git/dir?ref=v1, github.com/org/repo/dir?ref=v1,
// git@host:org/repo//dir?ref=v1 and git::https://…; version= is read as
// ref=, and kustomize's other parameters are ignored.
func parseGitSpec(e string) (gitSpec, error) {
	s := strings.TrimPrefix(strings.TrimSpace(e), "git::")
	g := gitSpec{entry: e}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		for _, kv := range strings.Split(s[i+1:], "&") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "ref" || k == "version" && g.ref == "" {
				g.ref = v
			}
		}
		s = s[:i]
	}
	scheme := ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, s = s[:i+3], s[i+3:]
	}
	switch {
	case strings.Contains(s, "//"):
		i := strings.Index(s, "//")
		g.repo, g.dir = scheme+s[:i], s[i+2:]
	case strings.Contains(s, ".git/") || strings.HasSuffix(s, ".git"):
		i := strings.Index(s, ".git")
		g.repo, g.dir = scheme+s[:i+4], strings.TrimPrefix(s[i+4:], "/")
	case strings.Contains(s, "/_git/"):
		i := strings.Index(s, "/_git/") + len("/_git/")
		name, rest, _ := strings.Cut(s[i:], "/")
		g.repo, g.dir = scheme+s[:i]+name, rest
	default:
		m := hostPath.FindStringSubmatch(s)
		if m == nil {
			return g, fmt.Errorf("cannot tell the repository from the folder in %q: write it as URL//folder?ref=…", e)
		}
		if scheme == "" {
			scheme = "https://"
		}
		g.repo, g.dir = scheme+m[1]+"/"+m[2]+"/"+m[3], strings.TrimPrefix(m[4], "/")
	}
	if scheme == "" && !scpLike(g.repo) {
		g.repo = "https://" + g.repo
	}
	g.dir = path.Clean("/" + g.dir)[1:]
	if g.ref != "" && (strings.HasPrefix(g.ref, "-") || strings.ContainsAny(g.ref, " \t\n")) {
		return g, fmt.Errorf("ref %q of %q is not a git ref", g.ref, e)
	}
	if strings.HasPrefix(g.repo, "-") {
		return g, fmt.Errorf("%q is not a repository", g.repo)
	}
	return g, nil
}

func scpLike(s string) bool {
	at := strings.IndexByte(s, '@')
	colon := strings.IndexByte(s, ':')
	return at > 0 && colon > at && !strings.Contains(s[:colon], "/")
}

// resolve returns fsys with the remote bases that the overlay dir reaches
// fetched under remoteMount and its kustomizations pointing at them, or
// fsys itself when it reaches none. A base that cannot be fetched is an
// *render.UnverifiableError with git's reason.
func (f *fetcher) resolve(ctx context.Context, fsys fs.FS, dir string) (fs.FS, error) {
	if f == nil {
		return fsys, nil
	}
	w := &remoteWalk{f: f, ctx: ctx, base: fsys, overlay: dir, changes: map[string][]byte{}, seen: map[string]bool{}}
	if err := w.visit(dir, 0); err != nil {
		return nil, err
	}
	if len(w.changes) == 0 {
		return fsys, nil
	}
	if _, err := fs.Stat(fsys, remoteMount); err == nil {
		return nil, inputErr(remoteMount, 0, fmt.Errorf("%w: ferry fetches remote bases into a folder of this name; rename the repo's", ErrMalformed))
	}
	var cs []Change
	for _, p := range slices.Sorted(maps.Keys(w.changes)) {
		cs = append(cs, Change{Path: p, Data: w.changes[p]})
	}
	return Overlay(fsys, cs), nil
}

type remoteWalk struct {
	f       *fetcher
	ctx     context.Context
	base    fs.FS
	overlay string
	changes map[string][]byte // the fetched files and rewritten kustomizations
	seen    map[string]bool
	size    int
}

func (w *remoteWalk) read(p string) ([]byte, error) {
	if b, ok := w.changes[p]; ok {
		return b, nil
	}
	return fs.ReadFile(w.base, p)
}

func (w *remoteWalk) isDir(p string) bool {
	if strings.HasPrefix(p, remoteMount+"/") {
		for c := range w.changes {
			if strings.HasPrefix(c, p+"/") {
				return true
			}
		}
		return false
	}
	fi, err := fs.Stat(w.base, p)
	return err == nil && fi.IsDir()
}

// visit fetches the remote entries of the kustomization in dir and of
// every local or fetched kustomization it lists.
func (w *remoteWalk) visit(dir string, depth int) error {
	if w.seen[dir] || depth > 32 {
		return nil
	}
	w.seen[dir] = true
	var kfile string
	var data []byte
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if b, err := w.read(path.Join(dir, n)); err == nil {
			kfile, data = path.Join(dir, n), b
			break
		}
	}
	if kfile == "" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil // the build reports it
	}
	root, changed := doc.Content[0], false
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "resources", "bases", "components":
		default:
			continue
		}
		for _, item := range root.Content[i+1].Content {
			e := item.Value
			if item.Kind != yaml.ScalarNode || !render.IsRemote(e) || isHTTPFile(e) {
				if item.Kind == yaml.ScalarNode && !render.IsRemote(e) {
					if p := path.Join(dir, e); fs.ValidPath(p) && w.isDir(p) {
						if err := w.visit(p, depth+1); err != nil {
							return err
						}
					}
				}
				continue
			}
			mount, err := w.fetch(kfile, e)
			if err != nil {
				return err
			}
			item.Value, item.Style, changed = relSlash(dir, mount), 0, true
			if err := w.visit(mount, depth+1); err != nil {
				return err
			}
		}
	}
	if changed {
		out, err := yaml.Marshal(&doc)
		if err != nil {
			return err
		}
		w.changes[kfile] = out
	}
	return nil
}

// relSlash returns the slash path to, both inside the tree, relative to
// the folder from.
func relSlash(from, to string) string {
	f, t := strings.Split(from, "/"), strings.Split(to, "/")
	if from == "." {
		f = nil
	}
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	return path.Join(strings.Repeat("../", len(f)-i) + strings.Join(t[i:], "/"))
}

// isHTTPFile reports whether e is one file over http (a raw YAML URL, no
// repository folder or ref), which ferry does not fetch: the overlay stays
// unverifiable.
func isHTTPFile(e string) bool {
	low := strings.ToLower(strings.TrimSpace(e))
	rest, ok := strings.CutPrefix(low, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(low, "http://")
	}
	return ok && !strings.ContainsAny(rest, "?") && !strings.Contains(rest, "//") && !strings.Contains(rest, ".git") &&
		(strings.HasSuffix(rest, ".yaml") || strings.HasSuffix(rest, ".yml") || strings.HasSuffix(rest, ".json"))
}

// fetch makes the remote base e, listed in kfile, part of the walk's
// tree, and returns the slash path of its folder there.
func (w *remoteWalk) fetch(kfile, e string) (string, error) {
	g, err := parseGitSpec(e)
	if err != nil {
		return "", &render.UnverifiableError{Overlay: w.overlay, Reason: fmt.Sprintf("%s refers to remote resource %q: %v", kfile, e, err)}
	}
	files, err := w.f.get(w.ctx, g)
	if err != nil {
		return "", &render.UnverifiableError{Overlay: w.overlay, Reason: fmt.Sprintf("%s refers to remote resource %q, which ferry could not fetch: %v", kfile, e, err)}
	}
	root := path.Join(remoteMount, g.key())
	if _, ok := w.changes[path.Join(root, ".fetched")]; !ok {
		for p, b := range files {
			w.size += len(b)
			w.changes[path.Join(root, p)] = b
		}
		w.changes[path.Join(root, ".fetched")] = []byte(g.repo + " " + g.ref + "\n")
		if w.size > maxRemoteBytes {
			return "", &render.UnverifiableError{Overlay: w.overlay, Reason: fmt.Sprintf("%s: the remote bases it reaches are over %d bytes", kfile, maxRemoteBytes)}
		}
	}
	mount := path.Join(root, g.dir)
	if !w.isDir(mount) {
		return "", &render.UnverifiableError{Overlay: w.overlay, Reason: fmt.Sprintf("%s refers to remote resource %q: %s has no folder %q at %s", kfile, e, g.repo, g.dir, refOrHead(g.ref))}
	}
	return mount, nil
}

func refOrHead(ref string) string {
	if ref == "" {
		return "HEAD"
	}
	return ref
}

// get returns the files of g's repository at its ref, fetched once a
// process, and from the cache folder while it is fresh.
func (f *fetcher) get(ctx context.Context, g gitSpec) (map[string][]byte, error) {
	f.mu.Lock()
	e := f.fetched[g.key()]
	if e == nil {
		e = &fetched{}
		f.fetched[g.key()] = e
	}
	f.mu.Unlock()
	e.once.Do(func() { e.files, e.err = f.load(ctx, g) })
	return e.files, e.err
}

// load reads g from the cache folder, fetching it first when it is not
// there or no longer fresh.
func (f *fetcher) load(ctx context.Context, g gitSpec) (map[string][]byte, error) {
	dir := filepath.Join(f.dir, g.key())
	stamp := filepath.Join(dir, ".git", "ferry-fetched")
	fi, err := os.Stat(stamp)
	if err != nil || !hexRef.MatchString(g.ref) && time.Since(fi.ModTime()) > remoteFresh {
		if err := f.clone(ctx, g, dir); err != nil {
			return nil, err
		}
	}
	return readTree(dir)
}

// clone fetches g's ref into dir with the git CLI, within the fetcher's
// timeout, replacing what dir held only once the fetch has succeeded.
func (f *fetcher) clone(ctx context.Context, g gitSpec, dir string) error {
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(f.dir, "fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	ref := g.ref
	if ref == "" {
		ref = "HEAD"
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"fetch", "-q", "--depth", "1", "--no-tags", "--", g.repo, ref},
		{"-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD"},
	} {
		if err := f.git(ctx, tmp, args...); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("git fetch %s %s: no answer within validate.remote.timeout (%s)", g.repo, ref, f.timeout)
			}
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".git", "ferry-fetched"), []byte(g.repo+" "+ref+"\n"), 0o644); err != nil {
		return err
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	defer os.RemoveAll(old)
	return os.Rename(tmp, dir)
}

// git runs the git CLI in dir. Only the network transports are allowed
// (no ext:: or file:: from repo text), and git never prompts.
func (f *fetcher) git(ctx context.Context, dir string, args ...string) error {
	base := []string{"-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always", "-c", "protocol.ssh.allow=always", "-c", "protocol.git.allow=always"}
	cmd := exec.CommandContext(ctx, "git", append(base, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_PROTOCOL_FROM_USER=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ownGroup(cmd)
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("git %s: %s", args[0], msg)
	}
	return nil
}

// readTree reads the files of the checkout in dir, without .git, each
// under kustomize's bounds.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	total := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" && d.IsDir() {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil // directories; a symlink is left out, as it could point anywhere
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if total += len(b); total > maxRemoteBytes {
			return fmt.Errorf("the checkout is over %d bytes", maxRemoteBytes)
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}
