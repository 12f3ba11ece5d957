package gitops_test

import (
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/fixtures"
	"github.com/ferry-dev/ferry/gitops"
)

// overlayChanges adds, replaces and deletes files and directories of the
// appset-httproute fixture.
var overlayChanges = []gitops.Change{
	// A new directory holding only added files.
	{Path: "apps/playlist-api/overlays/gke-eu-2/kustomization.yaml", Data: []byte("resources: [../../base]\n")},
	{Path: "apps/playlist-api/overlays/gke-eu-2/deployment-patch.yaml", Data: []byte("kind: Deployment\n")},
	// New nested directories.
	{Path: "docs/eu/notes.md", Data: []byte("# notes\n")},
	// A replaced file.
	{Path: "traffic/playlist-api.yaml", Data: []byte("replaced\n")},
	// A deleted file and a deleted directory.
	{Path: "argocd/recs-model.yaml", Delete: true},
	{Path: "apps/recs-model", Delete: true},
	// A deleted directory with one file added back.
	{Path: "apps/search-api/overlays/gke-eu-1", Delete: true},
	{Path: "apps/search-api/overlays/gke-eu-1/kustomization.yaml", Data: []byte("namespace: search\n")},
}

// files lists every file of fsys with its content.
func files(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		out[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantFiles is base's files with changes applied, the slow obvious way.
func wantFiles(t *testing.T, base fs.FS, changes []gitops.Change) map[string]string {
	want := files(t, base)
	for _, c := range changes {
		if c.Delete {
			for p := range want {
				if p == c.Path || strings.HasPrefix(p, c.Path+"/") {
					delete(want, p)
				}
			}
			continue
		}
		want[c.Path] = string(c.Data)
	}
	return want
}

func TestOverlayFiles(t *testing.T) {
	bases := map[string]func(t *testing.T) fs.FS{
		"mapfs": func(t *testing.T) fs.FS { return mapFS(t, "appset-httproute") },
		"fixture": func(t *testing.T) fs.FS {
			f, err := fixtures.Repo("appset-httproute")
			if err != nil {
				t.Fatal(err)
			}
			return f
		},
	}
	for name, base := range bases {
		t.Run(name, func(t *testing.T) {
			base := base(t)
			o := gitops.Overlay(base, overlayChanges)
			want := wantFiles(t, base, overlayChanges)
			if diff := cmp.Diff(want, files(t, o)); diff != "" {
				t.Errorf("files of the overlay mismatch (-want +got):\n%s", diff)
			}
			// Nothing of the deleted directory is left.
			for p := range files(t, o) {
				if strings.HasPrefix(p, "apps/recs-model/") {
					t.Errorf("%s is listed, but apps/recs-model was deleted", p)
				}
			}
		})
	}
}

// withDirs adds base's directories to it as entries of mode 0755, the mode
// the overlay gives every directory it opens.
func withDirs(base fstest.MapFS) fstest.MapFS {
	for p := range base {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			base[d] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		}
	}
	return base
}

// fstest.TestFS checks that Open, ReadDir, Stat and Glob agree with each
// other and with the expected list of files.
func TestOverlayTestFS(t *testing.T) {
	tests := []struct {
		name    string
		changes []gitops.Change
	}{
		{"no changes", nil},
		{"changes", overlayChanges},
		{"only deletions", []gitops.Change{{Path: "apps", Delete: true}, {Path: "ferry.yaml", Delete: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := withDirs(mapFS(t, "appset-httproute"))
			o := gitops.Overlay(base, tt.changes)
			want := slices.Sorted(maps.Keys(wantFiles(t, base, tt.changes)))
			if diff := cmp.Diff(want, slices.Sorted(maps.Keys(files(t, o)))); diff != "" {
				t.Errorf("files of the overlay mismatch (-want +got):\n%s", diff)
			}
			if err := fstest.TestFS(o, want...); err != nil {
				t.Error(err)
			}
		})
	}
}

// On a base whose directories are not 0755 (MapFS's implied directories
// and embed.FS are 0555), a directory's entry in its parent and its Stat
// disagree.
func TestOverlayTestFSDirMode(t *testing.T) {
	for _, name := range []string{"mapfs", "fixture"} {
		t.Run(name, func(t *testing.T) {
			var base fs.FS = mapFS(t, "appset-httproute")
			if name == "fixture" {
				var err error
				if base, err = fixtures.Repo("appset-httproute"); err != nil {
					t.Fatal(err)
				}
			}
			want := slices.Sorted(maps.Keys(wantFiles(t, base, overlayChanges)))
			if err := fstest.TestFS(gitops.Overlay(base, overlayChanges), want...); err != nil {
				t.Errorf("fstest.TestFS of an Overlay on a base with 0555 directories: %v", err)
			}
		})
	}
}

func TestOverlayDeleted(t *testing.T) {
	o := gitops.Overlay(mapFS(t, "appset-httproute"), overlayChanges)
	for _, name := range []string{
		"argocd/recs-model.yaml",
		"apps/recs-model",
		"apps/recs-model/base/deployment.yaml",
		"apps/search-api/overlays/gke-eu-1/kustomization.yaml.orig",
		"no/such/file",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := fs.ReadFile(o, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(%s) error = %v, want fs.ErrNotExist", name, err)
			}
			if _, err := fs.Stat(o, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(%s) error = %v, want fs.ErrNotExist", name, err)
			}
		})
	}
}

func TestOverlayReadDirDeleted(t *testing.T) {
	o := gitops.Overlay(mapFS(t, "appset-httproute"), overlayChanges)
	ents, err := fs.ReadDir(o, "apps/recs-model")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a deleted directory = %d entries, error %v; want fs.ErrNotExist", len(ents), err)
	}
}

// An add followed by a delete of its directory leaves nothing.
func TestOverlayDeleteAfterAdd(t *testing.T) {
	o := gitops.Overlay(mapFS(t, "appset-httproute"), []gitops.Change{
		{Path: "apps/recs-model/extra/new.yaml", Data: []byte("x\n")},
		{Path: "apps/recs-model", Delete: true},
	})
	if _, err := fs.Stat(o, "apps/recs-model"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a directory deleted after a file was added in it: error = %v, want fs.ErrNotExist", err)
	}
}

func TestOverlayReadDir(t *testing.T) {
	o := gitops.Overlay(mapFS(t, "appset-httproute"), overlayChanges)
	tests := []struct {
		dir  string
		want []string
	}{
		// Only added files.
		{"apps/playlist-api/overlays/gke-eu-2", []string{"deployment-patch.yaml", "kustomization.yaml"}},
		{"apps/playlist-api/overlays", []string{"gke-eu-1/", "gke-eu-2/", "gke-us-1/"}},
		{"docs", []string{"eu/"}},
		{"docs/eu", []string{"notes.md"}},
		// Deleted, then one file added back.
		{"apps/search-api/overlays/gke-eu-1", []string{"kustomization.yaml"}},
		// A deleted directory and file are not listed.
		{"apps", []string{"event-consumer/", "playlist-api/", "search-api/"}},
		{"argocd", []string{"event-consumer.yaml", "playlist-api.yaml", "search-api.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			ents, err := fs.ReadDir(o, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range ents {
				n := e.Name()
				if e.IsDir() {
					n += "/"
				}
				got = append(got, n)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadDir(%s) mismatch (-want +got):\n%s", tt.dir, diff)
			}
		})
	}
	data, err := fs.ReadFile(o, "traffic/playlist-api.yaml")
	if err != nil || string(data) != "replaced\n" {
		t.Errorf("ReadFile(traffic/playlist-api.yaml) = %q, %v; want the replaced content", data, err)
	}
	if info, err := fs.Stat(o, "traffic/playlist-api.yaml"); err != nil || info.Size() != int64(len("replaced\n")) {
		t.Errorf("Stat(traffic/playlist-api.yaml) = %v, %v; want the replaced content's size", info, err)
	}
}

// The overlay does not change its base.
func TestOverlayLeavesBase(t *testing.T) {
	base := mapFS(t, "appset-httproute")
	before := files(t, base)
	gitops.Overlay(base, overlayChanges)
	if diff := cmp.Diff(before, files(t, base)); diff != "" {
		t.Errorf("Overlay changed its base (-before +after):\n%s", diff)
	}
}

func TestOverlayInvalidPath(t *testing.T) {
	o := gitops.Overlay(mapFS(t, "appset-httproute"), nil)
	for _, name := range []string{"../x", "/etc/passwd", "a//b", "./a"} {
		if _, err := o.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) error = %v, want fs.ErrInvalid", name, err)
		}
	}
}
