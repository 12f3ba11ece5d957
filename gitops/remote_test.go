package gitops

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/fixtures/gitserver"
	"github.com/ferry-dev/ferry/gitops/render"
)

func TestParseGitSpec(t *testing.T) {
	for _, tt := range []struct{ entry, repo, dir, ref string }{
		{"https://github.com/shop/bases//search?ref=v3", "https://github.com/shop/bases", "search", "v3"},
		{"https://github.com/shop/bases.git/search/prod?ref=main&timeout=90s", "https://github.com/shop/bases.git", "search/prod", "main"},
		{"github.com/shop/bases/search?ref=v3", "https://github.com/shop/bases", "search", "v3"},
		{"github.com/shop/bases?version=v1", "https://github.com/shop/bases", "", "v1"},
		{"git@github.com:shop/bases.git//search?ref=0123456789abcdef0123456789abcdef01234567", "git@github.com:shop/bases.git", "search", "0123456789abcdef0123456789abcdef01234567"},
		{"ssh://git@gitlab.example.com/shop/bases//search", "ssh://git@gitlab.example.com/shop/bases", "search", ""},
		{"git::https://dev.azure.com/org/proj/_git/bases/search?ref=v2", "https://dev.azure.com/org/proj/_git/bases", "search", "v2"},
		{"http://127.0.0.1:8080/platform.git//search/../base?ref=v3", "http://127.0.0.1:8080/platform.git", "base", "v3"},
	} {
		g, err := parseGitSpec(tt.entry)
		if err != nil || g.repo != tt.repo || g.dir != tt.dir || g.ref != tt.ref {
			t.Errorf("parseGitSpec(%q) = %q %q %q, %v; want %q %q %q", tt.entry, g.repo, g.dir, g.ref, err, tt.repo, tt.dir, tt.ref)
		}
	}
	for _, bad := range []string{"https://example.com/bases/search?ref=v3", "github.com/shop/bases?ref=--upload-pack=touch"} {
		if _, err := parseGitSpec(bad); err == nil {
			t.Errorf("parseGitSpec(%q) took it", bad)
		}
	}
}

func TestRelSlash(t *testing.T) {
	for _, tt := range []struct{ from, to, want string }{
		{"apps/a/overlays/x", ".ferry-remote/k/search", "../../../../.ferry-remote/k/search"},
		{".ferry-remote/k/search", ".ferry-remote/k/base", "../base"},
		{".", ".ferry-remote/k", ".ferry-remote/k"},
	} {
		if got := relSlash(tt.from, tt.to); got != tt.want {
			t.Errorf("relSlash(%q, %q) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

// remoteRepo is the app-of-apps fixture whose search-ui overlay for
// gke-eu-1 lists the remote base url, with validate.remote as given.
func remoteRepo(t *testing.T, url, remote string) fstest.MapFS {
	t.Helper()
	fsys, err := fixtures.RepoMap(fixtures.AppOfApps)
	if err != nil {
		t.Fatal(err)
	}
	o := "apps/search-ui/overlays/gke-eu-1/kustomization.yaml"
	fsys[o] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys[o].Data), "- ../../base\n", "- ../../base\n- "+url+"\n", 1))}
	if remote != "" {
		fsys["ferry.yaml"] = &fstest.MapFile{Data: append(fsys["ferry.yaml"].Data, []byte("validate:\n  remote: "+remote+"\n")...)}
	}
	return fsys
}

// platform is the remote repository: a base that pulls a second base of
// the same repository, and a ConfigMap the overlay must render with.
var platform = fstest.MapFS{
	"search/kustomization.yaml": {Data: []byte("resources:\n- ../common\n- search-config.yaml\n")},
	"search/search-config.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: search-defaults\ndata:\n  pageSize: \"50\"\n")},
	"common/kustomization.yaml": {Data: []byte("resources:\n- quota.yaml\n")},
	"common/quota.yaml":         {Data: []byte("apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: shop-quota\nspec:\n  hard:\n    pods: \"40\"\n")},
}

// A remote base served by a local git http-backend renders with
// validate.remote.fetch, from the cache once fetched; without it the
// overlay is unverifiable (and validate.unverifiable decides, see the
// bot's TestUnverifiableOptIn).
func TestRemoteBase(t *testing.T) {
	srv := gitserver.New(t)
	url := srv.Add("platform", platform, "v3") + "//search?ref=v3"
	cache := t.TempDir()
	getenv := func(k string) string {
		if k == "FERRY_CACHE_DIR" {
			return cache
		}
		return ""
	}
	load := func(fsys fstest.MapFS) *Repo {
		r, err := LoadWith(fsys, LoadOptions{Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ctx := context.Background()

	offline := load(remoteRepo(t, url, ""))
	w, _ := offline.Workload("search-ui")
	var ue *render.UnverifiableError
	if _, err := offline.ValidatePair(ctx, w, "gke-eu-1", "gke-eu-2"); !errors.As(err, &ue) || !strings.Contains(ue.Reason, "remote") {
		t.Fatalf("without validate.remote: ValidatePair = %v, want unverifiable naming the remote base", err)
	}
	if n := srv.Requests(); n != 0 {
		t.Fatalf("without validate.remote, the git server was asked %d times", n)
	}

	online := load(remoteRepo(t, url, "{fetch: true, timeout: 30s}"))
	w, _ = online.Workload("search-ui")
	problems, err := online.ValidatePair(ctx, w, "gke-eu-1", "gke-eu-2")
	if err != nil || len(problems) != 0 {
		t.Fatalf("with validate.remote.fetch: ValidatePair = %v, %v; want no problems", problems, err)
	}
	res, err := online.Build(ctx, online.FS(), w.Overlays["gke-eu-1"])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range res.Objects {
		names = append(names, o.Kind+"/"+o.Name)
	}
	for _, want := range []string{"ConfigMap/search-defaults", "ResourceQuota/shop-quota"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("rendered %v, want %s from the remote base", names, want)
		}
	}
	edit, err := online.DeployEdit(ctx, w, "gke-eu-1", []string{"gke-eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(edit.Unverified) != 0 {
		t.Errorf("DeployEdit.Unverified = %v, want none: the derived overlay rendered", edit.Unverified)
	}
	for _, c := range edit.Changes {
		if strings.Contains(c.Path, remoteMount) {
			t.Errorf("the edit writes %s, a fetched file", c.Path)
		}
	}

	// Another run (another fetcher) reads the cache, not the network.
	asked := srv.Requests()
	again := newFetcher(ValidateConfig{Remote: RemoteConfig{Fetch: true, Timeout: Duration{29 * time.Second}}}, getenv)
	if _, err := again.resolve(ctx, online.FS(), w.Overlays["gke-eu-1"]); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests(); n != asked {
		t.Errorf("a fresh cache entry was fetched again: %d requests", n-asked)
	}

	// A server that is gone: unverifiable, with git's reason.
	srv.Close()
	cache = t.TempDir()
	gone := load(remoteRepo(t, url, "{fetch: true, timeout: 31s}"))
	w, _ = gone.Workload("search-ui")
	if _, err := gone.ValidatePair(ctx, w, "gke-eu-1", "gke-eu-2"); !errors.As(err, &ue) || !strings.Contains(ue.Reason, "could not fetch") {
		t.Errorf("with the server gone: ValidatePair = %v, want unverifiable saying the fetch failed", err)
	}
}

// A remote that accepts the connection and never answers is given up at
// validate.remote.timeout, with the git processes it started.
func TestRemoteBaseTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	cache := t.TempDir()
	r, err := LoadWith(remoteRepo(t, "http://"+ln.Addr().String()+"/platform.git//search?ref=v3", "{fetch: true, timeout: 1s}"),
		LoadOptions{Getenv: func(k string) string {
			if k == "FERRY_CACHE_DIR" {
				return cache
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := r.Workload("search-ui")
	_, err = r.ValidatePair(context.Background(), w, "gke-eu-1", "gke-eu-2")
	var ue *render.UnverifiableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "validate.remote.timeout") {
		t.Errorf("ValidatePair = %v, want unverifiable naming the timeout", err)
	}
}
