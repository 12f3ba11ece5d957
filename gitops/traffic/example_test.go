package traffic_test

import (
	"fmt"
	"strings"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

func ExampleRoute_AddBackend() {
	src := []byte(`kind: HTTPRoute
metadata:
  name: web
spec:
  rules:
  - backendRefs:
    - kind: ServiceImport
      name: web-gke-eu-1 # the source
      weight: 100
`)
	r := traffic.Route{Kind: "HTTPRoute", Backend: func(c string) string { return "web-" + c }}
	out, _, err := r.AddBackend("traffic/web.yaml", src, "gke-eu-1", "gke-eu-2", func(s string) string {
		return strings.ReplaceAll(s, "gke-eu-1", "gke-eu-2")
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// kind: HTTPRoute
	// metadata:
	//   name: web
	// spec:
	//   rules:
	//   - backendRefs:
	//     - kind: ServiceImport
	//       name: web-gke-eu-1 # the source
	//       weight: 100
	//     - kind: ServiceImport
	//       name: web-gke-eu-2 # the source
	//       weight: 0
}

func ExampleDetectOwner() {
	err := traffic.DetectOwner(map[string][]byte{
		"apps/podinfo/canary.yaml": []byte("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo\n"),
	})
	fmt.Println(err)
	// Output:
	// the workload's route weights are managed at runtime by Flagger (Canary podinfo in apps/podinfo/canary.yaml:1); ferry does not shift them
}
