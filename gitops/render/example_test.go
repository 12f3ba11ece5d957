package render_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ferry-dev/ferry/gitops/render"
)

func ExampleRenderer_Build() {
	var r render.Renderer // the zero value renders as Flux does
	res, err := r.Build(context.Background(), os.DirFS("testdata/repo"), "apps/search/overlays/gke-eu-1")
	var unverifiable *render.UnverifiableError
	switch {
	case errors.As(err, &unverifiable):
		fmt.Println("cannot render here:", unverifiable.Reason)
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	for _, o := range res.Objects {
		fmt.Println(o.Kind, o.Namespace, o.Name)
	}
	// Output:
	// StatefulSet search search
	// Service search search
	// PodDisruptionBudget search search
}
