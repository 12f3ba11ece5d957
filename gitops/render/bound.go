package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

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

// bound refuses data, the content of name, when it is over a bound.
func bound(name string, data []byte) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("%s: %w: %d bytes, more than %d", name, ErrTooBig, len(data), MaxFileSize)
	}
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
