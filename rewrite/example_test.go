package rewrite_test

import (
	"fmt"

	"github.com/ferry-dev/ferry/rewrite"
)

// Shift half the traffic: two weights change, and only their lines.
func ExampleApply() {
	src := []byte(`# traffic for playlist-api
kind: HTTPRoute
metadata: {name: playlist-api}
spec:
  rules:
  - backendRefs:
    - name: playlist-api-gke-eu-1
      weight: 100   # the old cluster
    - name: playlist-api-gke-eu-2
      weight: 0
`)
	weight := func(backend string) rewrite.Path {
		return rewrite.MustParsePath(`HTTPRoute/playlist-api:.spec.rules[0].backendRefs[name=` + backend + `].weight`)
	}
	out, results, err := rewrite.Apply("traffic/playlist-api.yaml", src,
		rewrite.Set{Path: weight("playlist-api-gke-eu-1"), Value: "50"},
		rewrite.Set{Path: weight("playlist-api-gke-eu-2"), Value: "50"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	for _, r := range results {
		fmt.Printf("%s:%d %s: %s -> %s\n", r.File, r.Line, r.Path, r.Old, r.New)
	}
	// Output:
	// # traffic for playlist-api
	// kind: HTTPRoute
	// metadata: {name: playlist-api}
	// spec:
	//   rules:
	//   - backendRefs:
	//     - name: playlist-api-gke-eu-1
	//       weight: 50   # the old cluster
	//     - name: playlist-api-gke-eu-2
	//       weight: 50
	// traffic/playlist-api.yaml:8 HTTPRoute/playlist-api:.spec.rules[0].backendRefs[name=playlist-api-gke-eu-1].weight: 100 -> 50
	// traffic/playlist-api.yaml:10 HTTPRoute/playlist-api:.spec.rules[0].backendRefs[name=playlist-api-gke-eu-2].weight: 0 -> 50
}

// Pin a workload, and unpin it: the file comes back byte for byte.
func ExampleAddComment() {
	src := []byte("resources:\n- deployment.yaml\n")
	pinned, _, _ := rewrite.Apply("base/kustomization.yaml", src, rewrite.AddComment{Text: "# ferry: pinned-by=eu-1-to-eu-2"})
	fmt.Print(string(pinned))
	fmt.Println(rewrite.TopComments(pinned))
	unpinned, _, _ := rewrite.Apply("base/kustomization.yaml", pinned, rewrite.RemoveComment{Text: "# ferry: pinned-by=eu-1-to-eu-2"})
	fmt.Println(string(unpinned) == string(src))
	// Output:
	// # ferry: pinned-by=eu-1-to-eu-2
	// resources:
	// - deployment.yaml
	// [# ferry: pinned-by=eu-1-to-eu-2]
	// true
}
