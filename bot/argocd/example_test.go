package argocd_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot/argocd"
	"github.com/ferry-dev/ferry/planner"
)

func ExampleHealth() {
	commit := plumbing.NewHash("3f2a1c0d5e6f708192a3b4c5d6e7f8091a2b3c4d")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// GET /api/v1/applications/playlist-api-gke-eu-2
		fmt.Fprintf(w, `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced", "revision": %q}}}`, commit)
	}))
	defer srv.Close()

	h := &argocd.Health{
		Server: srv.URL, // https://argocd.example.com
		Token:  "token of an account allowed to get applications",
		App:    func(workload, cluster string) string { return workload + "-" + cluster },
		// IsAncestor: a git check, so that a later commit counts too.
	}
	state, err := h.Observe(context.Background(), "playlist-api", "gke-eu-2", commit)
	fmt.Println(state == planner.Healthy, err)
	// Output: true <nil>
}
