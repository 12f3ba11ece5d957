package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"go.yaml.in/yaml/v3"
)

// The bounds of every file kustomize reads through a Renderer. kustomize
// decodes YAML into maps, expanding each alias: nine nested anchors in
// one ConfigMap took a render to 24 GB. A file over a bound is refused
// before kustomize sees it, naming the file.
const (
	// MaxFileSize is the largest file an overlay may read; a CRD is a
	// few hundred kilobytes.
	MaxFileSize = 8 << 20
	// MaxExpandedNodes is how many YAML nodes a file may hold once its
	// aliases are expanded.
	MaxExpandedNodes = 1 << 20
)

// ErrTooBig is wrapped by the error of a file over a bound.
var ErrTooBig = errors.New("over ferry's bound for a file kustomize reads")

// A SizeError is a file over a size bound. The file was not read, or
// not past the bound.
type SizeError struct {
	Size  int64 // the file's size; at least Limit+1 when not known
	Limit int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%d bytes, more than %d", e.Size, e.Limit)
}

// ReadFileAtMost reads the file name of fsys unless it holds more than
// limit bytes. A larger file is an *fs.PathError wrapping a *SizeError,
// and is not read: an fs.FS that knows a file's size before reading it
// says so through a method of this name (gitstore's trees and gitops'
// overlays do), and any other is read through its open file, stopping
// past the limit.
func ReadFileAtMost(fsys fs.FS, name string, limit int64) ([]byte, error) {
	if r, ok := fsys.(interface {
		ReadFileAtMost(name string, limit int64) ([]byte, int64, error)
	}); ok {
		b, size, err := r.ReadFileAtMost(name, limit)
		if err == nil && size > limit {
			err = &fs.PathError{Op: "read", Path: name, Err: &SizeError{Size: size, Limit: limit}}
		}
		return b, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: &SizeError{Size: fi.Size(), Limit: limit}}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: unwrapPathError(err)}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: &SizeError{Size: int64(len(b)), Limit: limit}}
	}
	return b, nil
}

// bound refuses data, the content of name, when its aliases expand over
// the bound (ReadFileAtMost bounds its size).
func bound(name string, data []byte) error {
	if !bytes.ContainsRune(data, '&') || !bytes.ContainsRune(data, '*') {
		return nil // no anchor or no alias: nothing expands
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	memo := map[*yaml.Node]int{}
	total := 0
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return nil // not YAML: kustomize says so itself
		}
		if total += expanded(&doc, memo); total > MaxExpandedNodes {
			return fmt.Errorf("%s: %w: its aliases expand to more than %d YAML nodes", name, ErrTooBig, MaxExpandedNodes)
		}
	}
}

// expanded counts the nodes of n with every alias expanded, up to just
// over MaxExpandedNodes; memo holds the count of each node already seen.
func expanded(n *yaml.Node, memo map[*yaml.Node]int) int {
	if c, ok := memo[n]; ok {
		return c
	}
	memo[n] = MaxExpandedNodes + 1 // a cycle counts as too many
	c := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c = expanded(n.Alias, memo)
	}
	for _, k := range n.Content {
		if c += expanded(k, memo); c > MaxExpandedNodes {
			c = MaxExpandedNodes + 1
			break
		}
	}
	memo[n] = c
	return c
}
