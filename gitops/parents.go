package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// A parent list is a kustomization in an ancestor directory of a
// registration file that lists it under resources: the app-of-apps of
// Argo CD, or a Flux cluster folder. Argo CD or Flux applies the parent,
// so a registration it does not list is never applied, and one it lists
// that is gone breaks it.

// listing is one resources entry of a parent that names a file.
type listing struct {
	file  string // the parent's kustomization file
	dir   string
	index int
	entry *yaml.Node
	items []*yaml.Node // every resources entry
}

// listings returns the entries of the kustomizations above name that list
// it under resources, nearest first.
func listings(f Files, name string) ([]listing, error) {
	var out []listing
	for _, dir := range ancestors(name) {
		file, items, err := resourcesOf(f, dir)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			if it.Kind == yaml.ScalarNode && !isRemoteEntry(it.Value) && path.Join(dir, it.Value) == name {
				out = append(out, listing{file: file, dir: dir, index: i, entry: it, items: items})
			}
		}
	}
	return out, nil
}

// resourcesOf reads dir's kustomization and its resources entries; "" when
// the directory has none.
func resourcesOf(f Files, dir string) (string, []*yaml.Node, error) {
	for _, n := range kustomizationNames {
		name := path.Join(dir, n)
		data, err := f.Read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		docs, err := rewrite.Parse(name, data)
		if err != nil {
			return "", nil, inputErr(name, 0, err)
		}
		if len(docs) == 0 {
			return name, nil, nil
		}
		root := docs[0]
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		res := rewrite.Get(root, "resources")
		if res == nil || res.Kind != yaml.SequenceNode {
			return name, nil, nil
		}
		return name, res.Content, nil
	}
	return "", nil, nil
}

// depth is the number of segments of a directory: 0 for the root.
func depth(dir string) int {
	if dir == "." {
		return 0
	}
	return strings.Count(dir, "/") + 1
}

func isRemoteEntry(e string) bool {
	return strings.Contains(e, "://") || strings.Contains(e, "?") || strings.HasPrefix(e, "/")
}

// listAdd lists dst, derived from src, in the parents that list src: in
// src's own parent when dst is in the same directory, or in the parent at
// the same place above dst (another cluster's folder). The entry is
// written as the list's others are (a leading "./", quotes) and goes where a sorted
// list keeps it sorted, or else after src's entry or at the end. A target
// folder with no parent is left as it is: nothing there lists files.
func listAdd(f Files, src, dst string) error {
	ls, err := listings(f, src)
	if err != nil {
		return err
	}
	for _, l := range ls {
		up := depth(path.Dir(src)) - depth(l.dir)
		dir := path.Dir(dst)
		for range up {
			dir = path.Dir(dir)
		}
		file, items, err := resourcesOf(f, dir)
		if err != nil {
			return err
		}
		if file == "" {
			continue
		}
		rel := strings.TrimPrefix(dst, dir+"/")
		if dir == "." {
			rel = dst
		}
		// The target list's own entries set the style; an empty one
		// takes the source's.
		style := l.entry
		if file != l.file && len(items) > 0 {
			style = items[len(items)-1]
		}
		if strings.HasPrefix(style.Value, "./") {
			rel = "./" + rel
		}
		if slices.ContainsFunc(items, func(it *yaml.Node) bool { return path.Join(dir, it.Value) == dst }) {
			continue // listed already
		}
		before := rewrite.Step{}
		values := make([]string, len(items))
		for i, it := range items {
			values[i] = it.Value
		}
		switch {
		case len(items) > 1 && slices.IsSorted(values):
			if i, _ := slices.BinarySearch(values, rel); i < len(items) {
				before = rewrite.Index(i)
			}
		case file == l.file && l.index+1 < len(items):
			before = rewrite.Index(l.index + 1)
		}
		data, err := f.Read(file)
		if err != nil {
			return err
		}
		value := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: rel, Style: style.Style}
		out, res, err := rewrite.Apply(file, data, rewrite.Insert{
			Path:   rewrite.Path{Steps: []rewrite.Step{rewrite.Key("resources")}},
			Before: before,
			Value:  value,
		})
		if err != nil {
			return inputErr(file, 0, err)
		}
		f.Write(file, out, res...)
	}
	return nil
}

// listRemove removes name's entries from the parents that list it.
func listRemove(f Files, name string) error {
	ls, err := listings(f, name)
	if err != nil {
		return err
	}
	for _, l := range ls {
		data, err := f.Read(l.file)
		if err != nil {
			return err
		}
		out, res, err := rewrite.Apply(l.file, data, rewrite.Delete{
			Path: rewrite.Path{Steps: []rewrite.Step{rewrite.Key("resources"), rewrite.Index(l.index)}},
		})
		if err != nil {
			return inputErr(l.file, l.entry.Line, fmt.Errorf("removing %s from the list: %w", l.entry.Value, err))
		}
		f.Write(l.file, out, res...)
	}
	return nil
}
