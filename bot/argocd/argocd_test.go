package argocd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/bot/argocd"
	"github.com/ferry-dev/ferry/planner"
)

const token = "s3cret-token"

var (
	commit = plumbing.NewHash("3f2a1c0d5e6f708192a3b4c5d6e7f8091a2b3c4d")
	later  = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"
	older  = "0123456789abcdef0123456789abcdef01234567"
)

// app is an Argo CD Application as its API serves it, cut to what ferry
// reads plus a few fields it ignores.
func app(name, health, sync, revision string) map[string]any {
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": name, "namespace": "argocd"},
		"spec": map[string]any{
			"source":      map[string]any{"repoURL": "https://github.com/music/deploy", "path": "apps/playlist-api/overlays/gke-eu-2", "targetRevision": "main"},
			"destination": map[string]any{"server": "https://10.20.0.1", "namespace": "playlist"},
		},
		"status": map[string]any{
			"health": map[string]any{"status": health},
			"sync": map[string]any{
				"status":     sync,
				"revision":   revision,
				"comparedTo": map[string]any{"source": map[string]any{"targetRevision": "main"}},
			},
			"reconciledAt": "2026-11-02T09:00:00Z",
		},
	}
}

// server serves one answer for the Application playlist-api-gke-eu-2 and
// counts the requests; it checks the bearer token.
func server(t *testing.T, code int, body any) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/applications/playlist-api-gke-eu-2" {
			http.Error(w, `{"error":"not found","code":5,"message":"applications.argoproj.io \"x\" not found"}`, http.StatusNotFound)
			return
		}
		if code != http.StatusUnauthorized && r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("Authorization header %q, want the bearer token", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestObserve(t *testing.T) {
	isAncestor := func(ancestor, descendant string) (bool, error) {
		return ancestor == commit.String() && descendant == later, nil
	}
	errGit := errors.New("git: object not found")
	const name = "playlist-api-gke-eu-2"
	withOp := func(a map[string]any, phase, revision string) map[string]any {
		a["status"].(map[string]any)["operationState"] = map[string]any{"phase": phase, "syncResult": map[string]any{"revision": revision}}
		return a
	}
	tests := []struct {
		name       string
		code       int
		body       any
		isAncestor func(string, string) (bool, error)
		want       planner.Health
		wantErr    error // matched with errors.Is; nil for none
		requests   int32
	}{
		{name: "healthy at the commit", code: 200, body: app(name, "Healthy", "Synced", commit.String()), want: planner.Healthy, requests: 1},
		{name: "progressing at the commit", code: 200, body: app(name, "Progressing", "Synced", commit.String()), want: planner.Progressing, requests: 1},
		{name: "suspended at the commit", code: 200, body: app(name, "Suspended", "Synced", commit.String()), want: planner.Progressing, requests: 1},
		{name: "degraded at the commit", code: 200, body: app(name, "Degraded", "Synced", commit.String()), want: planner.Degraded, requests: 1},
		{name: "missing at the commit", code: 200, body: app(name, "Missing", "Synced", commit.String()), want: planner.Unknown, requests: 1},
		{name: "out of sync at the commit", code: 200, body: app(name, "Healthy", "OutOfSync", commit.String()), want: planner.Progressing, requests: 1},
		{name: "unknown sync", code: 200, body: app(name, "Healthy", "Unknown", commit.String()), want: planner.Unknown, requests: 1},
		{name: "wrong revision", code: 200, body: app(name, "Healthy", "Synced", older), isAncestor: isAncestor, want: planner.Progressing, requests: 1},
		{name: "degraded at an older revision", code: 200, body: app(name, "Degraded", "Synced", older), want: planner.Progressing, requests: 1},
		{name: "later revision", code: 200, body: app(name, "Healthy", "Synced", later), isAncestor: isAncestor, want: planner.Healthy, requests: 1},
		{name: "later revision without IsAncestor", code: 200, body: app(name, "Healthy", "Synced", later), want: planner.Progressing, requests: 1},
		{name: "IsAncestor fails", code: 200, body: app(name, "Healthy", "Synced", later),
			isAncestor: func(string, string) (bool, error) { return false, errGit }, want: planner.Unknown, wantErr: errGit, requests: 1},
		{name: "revision from the operation", code: 200, body: withOp(app(name, "Healthy", "Synced", ""), "Succeeded", commit.String()), want: planner.Healthy, requests: 1},
		{name: "failed sync of the commit", code: 200, body: withOp(app(name, "Healthy", "OutOfSync", older), "Failed", commit.String()), want: planner.Degraded, requests: 1},
		{name: "not found", code: 404, body: map[string]any{"error": "not found", "code": 5}, want: planner.Unknown, requests: 1},
		{name: "unauthorized", code: 401, body: map[string]any{"error": "invalid session: token " + token + " expired", "code": 16, "message": "invalid session: token " + token + " expired"},
			want: planner.Unknown, wantErr: argocd.ErrUnauthorized, requests: 1},
		{name: "server error", code: 503, body: map[string]any{"message": "unavailable"}, want: planner.Unknown, wantErr: &argocd.StatusError{}, requests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := server(t, tt.code, tt.body)
			h := &argocd.Health{Client: srv.Client(), Server: srv.URL + "/", Token: token, IsAncestor: tt.isAncestor, Backoff: time.Millisecond}
			got, err := h.Observe(t.Context(), "playlist-api", "gke-eu-2", commit)
			var se *argocd.StatusError
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Observe: %v", err)
			case tt.wantErr == nil:
			case errors.As(tt.wantErr, &se):
				if !errors.As(err, &se) || se.Code != tt.code {
					t.Errorf("Observe error %v, want a *StatusError %d", err, tt.code)
				}
			case !errors.Is(err, tt.wantErr):
				t.Errorf("Observe error %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("Observe error shows the token: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Observe mismatch (-want +got):\n%s", diff)
			}
			if got := n.Load(); got != tt.requests {
				t.Errorf("Observe made %d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestObserveRetriesThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(app("playlist-api-gke-eu-2", "Healthy", "Synced", commit.String()))
	}))
	defer srv.Close()
	h := &argocd.Health{Client: srv.Client(), Server: srv.URL, Token: token, Backoff: time.Millisecond}
	got, err := h.Observe(t.Context(), "playlist-api", "gke-eu-2", commit)
	if err != nil || got != planner.Healthy {
		t.Errorf("Observe = %v, %v; want Healthy after two retries", got, err)
	}
	if n.Load() != 3 {
		t.Errorf("Observe made %d requests, want 3", n.Load())
	}
}

func TestObserveAppName(t *testing.T) {
	srv, _ := server(t, 200, app("playlist-api-gke-eu-2", "Healthy", "Synced", commit.String()))
	h := &argocd.Health{Client: srv.Client(), Server: srv.URL, Token: token,
		App: func(w, c string) string { return fmt.Sprintf("%s-%s", w, strings.TrimPrefix(c, "prod-")) }}
	got, err := h.Observe(t.Context(), "playlist-api", "prod-gke-eu-2", commit)
	if err != nil || got != planner.Healthy {
		t.Errorf("Observe = %v, %v; want Healthy from the Application App names", got, err)
	}
}

func TestObserveHonoursContext(t *testing.T) {
	srv, n := server(t, 500, map[string]any{"message": "boom"})
	h := &argocd.Health{Client: srv.Client(), Server: srv.URL, Token: token, Backoff: time.Hour}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := h.Observe(ctx, "playlist-api", "gke-eu-2", commit)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Observe error %v, want %v", err, context.DeadlineExceeded)
	}
	if n.Load() != 1 {
		t.Errorf("Observe made %d requests, want 1 before the deadline", n.Load())
	}
}
