package targets_test

import (
	"fmt"
	"strings"

	"github.com/ferry-dev/ferry/gitops/targets"
)

func ExampleApplicationSet_Add() {
	src := []byte(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
spec:
  generators:
    - list:
        elements:
          - cluster: gke-eu-1 # the first one
            url: https://10.10.0.1
  template:
    metadata:
      name: 'web-{{.cluster}}'
`)
	// The caller builds the substitution from the cluster inventory.
	eu2 := strings.NewReplacer("gke-eu-1", "gke-eu-2", "https://10.10.0.1", "https://10.20.0.1").Replace
	out, results, err := targets.ApplicationSet{}.Add("argocd/web.yaml", src, "gke-eu-1", "gke-eu-2", eu2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	fmt.Println(results[0].Path)
	// Output:
	// apiVersion: argoproj.io/v1alpha1
	// kind: ApplicationSet
	// metadata:
	//   name: web
	// spec:
	//   generators:
	//     - list:
	//         elements:
	//           - cluster: gke-eu-1 # the first one
	//             url: https://10.10.0.1
	//           - cluster: gke-eu-2 # the first one
	//             url: https://10.20.0.1
	//   template:
	//     metadata:
	//       name: 'web-{{.cluster}}'
	// .spec.generators[0].list.elements
}
