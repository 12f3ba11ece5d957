//go:build release

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// The release tests run after `make release-snapshot` built the archives
// (FERRY_DIST names goreleaser's dist folder); `go test -tags release`.

// installVersion is the version the tests publish ferry's module at, in a
// module proxy of their own, for `go install ...@version`.
const installVersion = "v0.99.0"

// TestRelease runs testdata/release: what `ferry --version` reports for a
// go install of a module version and for the snapshot release's archive,
// and the GitHub Action's install step against that archive.
func TestRelease(t *testing.T) {
	dist := os.Getenv("FERRY_DIST")
	if dist == "" {
		t.Fatal("FERRY_DIST must name goreleaser's dist folder; make release-snapshot sets it")
	}
	dist, err := filepath.Abs(dist)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Version string }
	if err := readJSON(filepath.Join(dist, "metadata.json"), &meta); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	install, err := actionStep(filepath.Join(root, "action.yml"), "install")
	if err != nil {
		t.Fatal(err)
	}
	goenv := map[string]string{}
	for _, k := range []string{"GOPROXY", "GOCACHE", "GOMODCACHE", "GOROOT"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		goenv[k] = strings.TrimSpace(string(out))
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/release",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			proxy := filepath.Join(env.WorkDir, "proxy")
			if err := publishModule(proxy, root, installVersion); err != nil {
				return err
			}
			env.Setenv("GOPROXY", "file://"+filepath.ToSlash(proxy)+","+goenv["GOPROXY"])
			env.Setenv("GONOSUMDB", "github.com/ferry-dev/ferry")
			env.Setenv("GOFLAGS", "")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("CGO_ENABLED", "0")
			for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
				env.Setenv(k, goenv[k])
			}
			env.Setenv("PATH", filepath.Join(goenv["GOROOT"], "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			env.Setenv("INSTALL_VERSION", installVersion)
			env.Setenv("SNAPSHOT_VERSION", "v"+meta.Version)
			env.Setenv("DIST", dist)
			env.Setenv("ARCHIVE", fmt.Sprintf("ferry_%s_%s_%s.tar.gz", meta.Version, runtime.GOOS, runtime.GOARCH))
			env.Setenv("CHECKSUMS", fmt.Sprintf("ferry_%s_checksums.txt", meta.Version))
			return os.WriteFile(filepath.Join(env.WorkDir, "install.sh"), []byte(install), 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sha256": cmdSHA256,
		},
	})
}

// cmdSHA256 implements "sha256 FILE SUMS": FILE's sha256 is the one SUMS
// (a checksums file) lists for its name.
func cmdSHA256(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sha256 FILE SUMS")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	sum := sha256.Sum256(data)
	line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(args[0])
	sums, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	found := strings.Contains("\n"+string(sums), "\n"+line+"\n")
	if found == neg {
		ts.Fatalf("%s in %s: %v, want %v", line, args[1], found, !neg)
	}
}

// publishModule writes the module in root at version into a file-based
// module proxy dir, as a tag pushed to GitHub would reach proxy.golang.org.
func publishModule(dir, root, version string) error {
	const path = "github.com/ferry-dev/ferry"
	at := filepath.Join(dir, path, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	z, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(z, module.Version{Path: path, Version: version}, root); err != nil {
		z.Close()
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	info := fmt.Sprintf(`{"Version":%q,"Time":"2026-12-01T00:00:00Z"}`, version)
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".mod": mod, version + ".info": []byte(info)} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// actionStep returns the run script of the step with id in a composite
// action's action.yml.
func actionStep(file, id string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var a struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s.Run, nil
		}
	}
	return "", fmt.Errorf("%s: no step %q", file, id)
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
