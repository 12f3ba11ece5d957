package render

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestIsRemote(t *testing.T) {
	tests := []struct {
		entry string
		want  bool
	}{
		{"deployment.yaml", false},
		{"../../base", false},
		{"../../components/metrics", false},
		{"config.d/app.yaml", false},
		{"github.io-docs/base", false},
		{".git-hooks/x.yaml", false},
		{"https://github.com/x/y//base", true},
		{"http://example.com/deploy.yaml", true},
		{"github.com/x/y/base?ref=v1", true},
		{"github.com/x/y/base", true},
		{"git@github.com:x/y.git", true},
		{"git::https://example.com/x/y", true},
		{"ssh://git@example.com/x/y.git//base", true},
		{"file:///srv/repo.git", true},
		{"example.com/team/repo.git/base", true},
		{"dev.azure.com/org/project/_git/repo", true},
		{"example.com/x/y//base", true},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			if got := IsRemote(tt.entry); got != tt.want {
				t.Errorf("IsRemote(%q) = %v, want %v", tt.entry, got, tt.want)
			}
		})
	}
}

func TestRecordingFS(t *testing.T) {
	fsys := fstest.MapFS{
		"a/kustomization.yaml": {Data: []byte("resources: [x.yaml]")},
		"a/x.yaml":             {Data: []byte("kind: X")},
		"a/.hidden.yaml":       {Data: []byte("kind: H")},
		"a/sub/y.yaml":         {Data: []byte("kind: Y")},
	}
	r := newRecordingFS(fsys)

	dir, file, err := r.CleanedAbs("/a/sub/../x.yaml")
	if err != nil || dir != "/a" || file != "x.yaml" {
		t.Errorf(`CleanedAbs("/a/sub/../x.yaml") = %q, %q, %v; want "/a", "x.yaml", nil`, dir, file, err)
	}
	if dir, file, err := r.CleanedAbs("/a/sub"); err != nil || dir != "/a/sub" || file != "" {
		t.Errorf(`CleanedAbs("/a/sub") = %q, %q, %v; want "/a/sub", "", nil`, dir, file, err)
	}
	if _, _, err := r.CleanedAbs("/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(`CleanedAbs("/nope") error = %v, want fs.ErrNotExist`, err)
	}
	got, err := r.Glob("/a/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/a/kustomization.yaml", "/a/x.yaml"}, got); diff != "" {
		t.Errorf("Glob mismatch (-want +got):\n%s", diff)
	}
	names, err := r.ReadDir("/a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".hidden.yaml", "kustomization.yaml", "sub", "x.yaml"}, names); diff != "" {
		t.Errorf("ReadDir mismatch (-want +got):\n%s", diff)
	}
	var walked []string
	if err := r.Walk("/a", func(p string, _ fs.FileInfo, err error) error {
		walked = append(walked, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/a", "/a/.hidden.yaml", "/a/kustomization.yaml", "/a/sub", "/a/sub/y.yaml", "/a/x.yaml"}, walked); diff != "" {
		t.Errorf("Walk mismatch (-want +got):\n%s", diff)
	}
	if !r.IsDir("/a/sub") || r.IsDir("/a/x.yaml") || !r.Exists("/a/x.yaml") || r.Exists("/a/z.yaml") {
		t.Error("IsDir/Exists answer wrongly")
	}

	if b, err := r.ReadFile("/a/x.yaml"); err != nil || string(b) != "kind: X" {
		t.Errorf(`ReadFile("/a/x.yaml") = %q, %v; want "kind: X", nil`, b, err)
	}

	reads, ok := r.snapshot()
	if !ok {
		t.Fatal("snapshot: reads not cacheable")
	}
	if !reads.valid(fsys, map[probe]digest{}) {
		t.Error("reads are not valid against the fs.FS they were recorded from")
	}
	changes := map[string]fstest.MapFS{
		"file content":  with(fsys, "a/x.yaml", "kind: Z"),
		"file added":    with(fsys, "a/z.yaml", "kind: Z"),
		"listing":       with(fsys, "a/sub/w.yaml", "kind: W"),
		"hidden file":   with(fsys, "a/.hidden.yaml", "kind: G"), // listed, never read
		"unrelated dir": with(fsys, "b/x.yaml", "kind: X"),
	}
	wantValid := map[string]bool{"hidden file": true, "unrelated dir": true}
	for name, changed := range changes {
		if got := reads.valid(changed, map[probe]digest{}); got != wantValid[name] {
			t.Errorf("after a change of %s, valid = %v, want %v", name, got, wantValid[name])
		}
	}
}

func with(fsys fstest.MapFS, name, data string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	out[name] = &fstest.MapFile{Data: []byte(data)}
	return out
}
