package gitstore_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ferry-dev/ferry/gitops/gitstore"
)

func ExampleStore_Commit() {
	dir, err := os.MkdirTemp("", "gitstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if _, err := git.PlainInit(dir, true); err != nil {
		log.Fatal(err)
	}
	r, err := gitstore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	bot := object.Signature{Name: "ferry", Email: "ferry@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	msg := "ferry(eu-1-to-eu-2): api: pin\n\nFerry-Migration: eu-1-to-eu-2\nFerry-Workload: api\nFerry-Stage: pin\n"
	h, err := r.Commit(ctx, plumbing.ZeroHash, []gitstore.Change{
		{Path: "apps/api/base/kustomization.yaml", Data: []byte("# ferry: pinned-by=eu-1-to-eu-2\nresources: []\n")},
	}, gitstore.CommitMeta{Author: bot, Message: msg})
	if err != nil {
		log.Fatal(err)
	}
	// Publish it: the branch must not exist yet.
	if err := r.UpdateRef("refs/heads/main", plumbing.ZeroHash, h); err != nil {
		log.Fatal(err)
	}

	fsys, err := r.FS(h)
	if err != nil {
		log.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "apps/api/base/kustomization.yaml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	err = r.Log(ctx, h, func(c *object.Commit) error {
		stage, _ := gitstore.ParseTrailers(c.Message).Get("Ferry-Stage")
		fmt.Println(c.Hash, stage)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// # ferry: pinned-by=eu-1-to-eu-2
	// resources: []
	// c76932befb501c6958943737fc407beb2fc82cc1 pin
}
