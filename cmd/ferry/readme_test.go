package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's quick start names two make targets; both must exist, and
// make demo must run ferry demo (which readme_quickstart.txtar runs as a
// user would).
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## Quick start.*?```sh\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md: no sh block under ## Quick start")
	}
	var targets []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "make" {
			targets = append(targets, f[1])
		}
	}
	if strings.Join(targets, " ") != "demo test" {
		t.Errorf("README quick start runs make %q, want make demo and make test", targets)
	}
	for _, target := range targets {
		if !regexp.MustCompile(`(?m)^` + target + `:`).Match(makefile) {
			t.Errorf("Makefile has no %s target", target)
		}
	}
	demo := regexp.MustCompile(`(?m)^demo:.*\n\t(.*)`).FindSubmatch(makefile)
	if demo == nil || !strings.Contains(string(demo[1]), "./cmd/ferry demo") {
		t.Errorf("make demo does not run ./cmd/ferry demo: %q", demo)
	}
}
