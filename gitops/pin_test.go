package gitops_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-dev/ferry/gitops"
)

func TestPin(t *testing.T) {
	src := []byte("# yaml-language-server: $schema=https://json.schemastore.org/kustomization\r\nresources:\r\n- deployment.yaml")
	pinned, res, err := gitops.Pin("base/kustomization.yaml", src, "eu-1-to-eu-2")
	if err != nil || len(res) != 1 {
		t.Fatalf("Pin() = %d results, %v", len(res), err)
	}
	want := "# yaml-language-server: $schema=https://json.schemastore.org/kustomization\r\n# ferry: pinned-by=eu-1-to-eu-2\r\nresources:\r\n- deployment.yaml"
	if string(pinned) != want {
		t.Errorf("Pin() = %q, want %q", pinned, want)
	}
	if m, err := gitops.ReadPin("k", pinned); m != "eu-1-to-eu-2" || err != nil {
		t.Errorf("ReadPin(pinned) = %q, %v", m, err)
	}
	if m, err := gitops.ReadPin("k", src); m != "" || err != nil {
		t.Errorf("ReadPin(unpinned) = %q, %v", m, err)
	}
	again, res, err := gitops.Pin("k", pinned, "eu-1-to-eu-2")
	if err != nil || len(res) != 0 || !bytes.Equal(again, pinned) {
		t.Errorf("Pin(already pinned) changed the file or failed: %v", err)
	}
	if _, _, err := gitops.Pin("k", pinned, "us-move"); !errors.Is(err, gitops.ErrPinnedByOther) {
		t.Errorf("Pin(pinned by another) error = %v, want ErrPinnedByOther", err)
	}
	if _, _, err := gitops.Unpin("k", pinned, "us-move"); !errors.Is(err, gitops.ErrPinnedByOther) {
		t.Errorf("Unpin(pinned by another) error = %v, want ErrPinnedByOther", err)
	}
	unpinned, _, err := gitops.Unpin("k", pinned, "eu-1-to-eu-2")
	if err != nil || !bytes.Equal(unpinned, src) {
		t.Errorf("Unpin() = %q, %v; want the original bytes back", unpinned, err)
	}
	two := []byte("# ferry: pinned-by=a\n# ferry: pinned-by=b\nresources: []\n")
	var ie *gitops.InputError
	if _, err := gitops.ReadPin("k", two); !errors.As(err, &ie) || !strings.Contains(err.Error(), "pinned by a and b") {
		t.Errorf("ReadPin(two markers) error = %v, want an InputError naming both", err)
	}
}

// TestPinCorpus pins and unpins every kustomization of the real repos in
// $FERRY_CORPUS: each comes back byte for byte.
func TestPinCorpus(t *testing.T) {
	dir := os.Getenv("FERRY_CORPUS")
	if dir == "" {
		t.Skip("FERRY_CORPUS is not set; skipping the corpus tests")
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "kustomization.") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pinned, _, err := gitops.Pin(p, src, "m")
		if err != nil {
			t.Errorf("Pin(%s): %v", p, err)
			return nil
		}
		if m, _ := gitops.ReadPin(p, pinned); m != "m" {
			t.Errorf("ReadPin(%s) after Pin = %q", p, m)
		}
		back, _, err := gitops.Unpin(p, pinned, "m")
		if err != nil || !bytes.Equal(back, src) {
			t.Errorf("Unpin(%s) did not restore the file: %v", p, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pinned and unpinned %d kustomization files byte for byte", n)
}
