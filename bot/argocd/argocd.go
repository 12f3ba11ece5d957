// Package argocd reads a workload's health on a cluster from the Argo CD
// Application that deploys it there (ferry.yaml `health.kind: argocd`).
package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/planner"
)

// Health asks Argo CD's API how a workload runs on a cluster. The zero
// value of each optional field means its default.
//
// A cluster runs the asked commit when its Application is Synced at that
// revision, or at a later one (see IsAncestor). Until it does, the answer is
// Progressing, whatever the health of an older revision. At the commit,
// status.health.status maps to:
//
//   - Healthy: Healthy.
//   - Progressing: Progressing.
//   - Suspended: Progressing; a paused rollout has not finished.
//   - Degraded: Degraded, as is a sync operation that failed or errored at
//     the commit.
//   - Missing, Unknown or none: Unknown. Missing resources on a synced
//     Application are not a failed rollout; ferry waits rather than rolls
//     back.
//
// An Application that does not exist (404) is Unknown: the ApplicationSet
// controller may not have generated it yet.
type Health struct {
	// Client makes the requests; http.DefaultClient by default.
	Client *http.Client
	// Server is Argo CD's base URL, e.g. https://argocd.example.com.
	// Required.
	Server string
	// Token is the bearer token of an Argo CD account allowed to get
	// applications. It never appears in errors.
	Token string
	// App names the Application of workload on cluster;
	// "{workload}-{cluster}" by default.
	App func(workload, cluster string) string
	// IsAncestor reports whether commit ancestor is an ancestor of commit
	// descendant (both full hex hashes), so that an Application synced at a
	// later commit counts as running the asked one. When nil, only the asked
	// commit itself counts.
	IsAncestor func(ancestor, descendant string) (bool, error)
	// Timeout bounds each request; 30s by default.
	Timeout time.Duration
	// Backoff is the wait before the first retry of a 5xx answer or a
	// transport error, doubled before the second; 1s by default.
	Backoff time.Duration
}

var _ bot.HealthProvider = (*Health)(nil)

// ErrUnauthorized is wrapped by the *StatusError of a 401 or 403 answer:
// the token is missing, expired or not allowed to get the Application.
var ErrUnauthorized = errors.New("argocd: not authorized")

// StatusError is an answer of Argo CD's API other than 200 or 404.
type StatusError struct {
	App     string // the Application's name
	Code    int    // the HTTP status code
	Message string // Argo CD's message, if any
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("argocd: application %s: %d %s", e.App, e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes a 401 or 403 match ErrUnauthorized.
func (e *StatusError) Is(target error) bool {
	return target == ErrUnauthorized && (e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden)
}

// retries is how many times a 5xx answer or a transport error is retried.
const retries = 2

// application is the part of Argo CD's v1alpha1.Application ferry reads.
type application struct {
	Status struct {
		Health struct {
			Status string `json:"status"`
		} `json:"health"`
		Sync struct {
			Status    string   `json:"status"`
			Revision  string   `json:"revision"`
			Revisions []string `json:"revisions"` // multi-source Applications
		} `json:"sync"`
		OperationState *struct {
			Phase      string `json:"phase"`
			SyncResult *struct {
				Revision  string   `json:"revision"`
				Revisions []string `json:"revisions"`
			} `json:"syncResult"`
		} `json:"operationState"`
	} `json:"status"`
}

// Observe returns the health of workload on cluster if its Application runs
// commit or a later one, and Progressing while it does not yet.
func (h *Health) Observe(ctx context.Context, workload, cluster string, commit plumbing.Hash) (planner.Health, error) {
	if h.Server == "" {
		return planner.Unknown, errors.New("argocd: no server")
	}
	name := workload + "-" + cluster
	if h.App != nil {
		name = h.App(workload, cluster)
	}
	app, err := h.get(ctx, name)
	if err != nil || app == nil {
		return planner.Unknown, err
	}
	st := app.Status
	if op := st.OperationState; op != nil && op.SyncResult != nil && (op.Phase == "Failed" || op.Phase == "Error") {
		failed, err := h.at(commit.String(), append([]string{op.SyncResult.Revision}, op.SyncResult.Revisions...))
		if err != nil {
			return planner.Unknown, fmt.Errorf("argocd: application %s: %w", name, err)
		}
		if failed {
			return planner.Degraded, nil
		}
	}
	revs := append([]string{st.Sync.Revision}, st.Sync.Revisions...)
	if op := st.OperationState; st.Sync.Revision == "" && len(st.Sync.Revisions) == 0 && op != nil && op.SyncResult != nil && op.Phase == "Succeeded" {
		revs = append([]string{op.SyncResult.Revision}, op.SyncResult.Revisions...)
	}
	at, err := h.at(commit.String(), revs)
	if err != nil {
		return planner.Unknown, fmt.Errorf("argocd: application %s: %w", name, err)
	}
	if !at {
		return planner.Progressing, nil
	}
	switch st.Sync.Status {
	case "Synced":
	case "OutOfSync":
		return planner.Progressing, nil
	default:
		return planner.Unknown, nil
	}
	switch st.Health.Status {
	case "Healthy":
		return planner.Healthy, nil
	case "Progressing", "Suspended":
		return planner.Progressing, nil
	case "Degraded":
		return planner.Degraded, nil
	}
	return planner.Unknown, nil
}

// at reports whether one of revs is commit or a descendant of it.
func (h *Health) at(commit string, revs []string) (bool, error) {
	for _, r := range revs {
		if strings.EqualFold(r, commit) {
			return true, nil
		}
	}
	if h.IsAncestor == nil {
		return false, nil
	}
	for _, r := range revs {
		if r == "" || !plumbing.IsHash(r) {
			continue // a Helm chart version or an unresolved ref
		}
		ok, err := h.IsAncestor(commit, strings.ToLower(r))
		if err != nil {
			return false, fmt.Errorf("is %s an ancestor of %s: %w", commit, r, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// get fetches the Application, retrying 5xx answers and transport errors.
// It returns nil, nil when the Application does not exist.
func (h *Health) get(ctx context.Context, name string) (*application, error) {
	backoff := h.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var err error
	for attempt := 0; ; attempt++ {
		var app *application
		var retry bool
		app, retry, err = h.getOnce(ctx, name)
		if !retry || attempt == retries {
			return app, err
		}
		t := time.NewTimer(backoff << attempt)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("argocd: application %s: %w (after %v)", name, ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (h *Health) getOnce(ctx context.Context, name string) (app *application, retry bool, err error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := strings.TrimSuffix(h.Server, "/") + "/api/v1/applications/" + url.PathEscape(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("argocd: application %s: %w", name, err)
	}
	req.Header.Set("Accept", "application/json")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// Transport errors name the URL, never the header; retry unless
		// the caller gave up.
		return nil, ctx.Err() == nil, fmt.Errorf("argocd: application %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("argocd: application %s: %w", name, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		var a application
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, false, fmt.Errorf("argocd: application %s: %w", name, err)
		}
		return &a, false, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, nil
	}
	var msg struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	_ = json.Unmarshal(body, &msg)
	text := msg.Message
	if text == "" {
		text = msg.Error
	}
	if h.Token != "" {
		text = strings.ReplaceAll(text, h.Token, "***")
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return nil, resp.StatusCode >= 500, &StatusError{App: name, Code: resp.StatusCode, Message: text}
}
