// Package flux reads a workload's health on a cluster from what Flux
// reports there (ferry.yaml `health.kind: flux`): the Flux Kustomization
// that applies the workload, and the Deployments it applied. It only reads,
// through the cluster's Kubernetes API.
package flux

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-dev/ferry/bot"
	"github.com/ferry-dev/ferry/planner"
)

// Health asks each cluster's API server how a workload runs there.
//
// A cluster runs the asked commit when its Kustomization's
// status.lastAppliedRevision is that commit or a later one (see
// IsAncestor). Until it is, the answer is Progressing, whatever the health
// of an older revision, unless Flux tried the commit and failed (Degraded).
// At the commit:
//
//   - The Kustomization's Ready condition must be True for the current
//     generation: Ready False with a reason of failure (BuildFailed,
//     ReconciliationFailed, HealthCheckFailed, ArtifactFailed, ...) is
//     Degraded; anything else, Progressing.
//   - Every Deployment in the Kustomization's inventory must be rolled out
//     (its controller has seen the current generation, and every replica is
//     updated and available): one whose rollout passed its progress
//     deadline is Degraded; one still rolling out, Progressing.
//
// A Kustomization that does not exist (404) is Unknown: the cluster's Flux
// may not have created it yet.
type Health struct {
	// Client returns the API client of cluster. Required.
	Client func(cluster string) (*Client, error)
	// Kustomization names the Flux Kustomization that applies workload on
	// cluster. Required.
	Kustomization func(workload, cluster string) (namespace, name string)
	// IsAncestor reports whether commit ancestor is an ancestor of commit
	// descendant (full hex hashes), so that a cluster that applied a later
	// commit counts as running the asked one; a descendant the caller's
	// copy of the repo lacks yet is best reported as false. When nil, only
	// the asked commit itself counts.
	IsAncestor func(ancestor, descendant string) (bool, error)
}

var _ bot.HealthProvider = (*Health)(nil)

// kustomization is the part of a kustomize.toolkit.fluxcd.io/v1
// Kustomization ferry reads.
type kustomization struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Suspend bool `json:"suspend"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration    int64       `json:"observedGeneration"`
		LastAppliedRevision   string      `json:"lastAppliedRevision"`
		LastAttemptedRevision string      `json:"lastAttemptedRevision"`
		Conditions            []condition `json:"conditions"`
		Inventory             *struct {
			Entries []struct {
				ID string `json:"id"`
			} `json:"entries"`
		} `json:"inventory"`
	} `json:"status"`
}

type condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
	ObservedGeneration int64  `json:"observedGeneration"`
}

// deployment is the part of an apps/v1 Deployment ferry reads.
type deployment struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Replicas *int32 `json:"replicas"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration  int64       `json:"observedGeneration"`
		Replicas            int32       `json:"replicas"`
		UpdatedReplicas     int32       `json:"updatedReplicas"`
		AvailableReplicas   int32       `json:"availableReplicas"`
		UnavailableReplicas int32       `json:"unavailableReplicas"`
		Conditions          []condition `json:"conditions"`
	} `json:"status"`
}

// progressing are the Ready=False reasons of a reconciliation under way.
var progressing = map[string]bool{"Progressing": true, "ProgressingWithRetry": true, "DependencyNotReady": true, "": true}

// Observe returns the health of workload on cluster if Flux there applied
// commit or a later one, and Progressing while it has not yet.
func (h *Health) Observe(ctx context.Context, workload, cluster string, commit plumbing.Hash) (planner.Health, error) {
	if h.Client == nil || h.Kustomization == nil {
		return planner.Unknown, errors.New("flux: no Client or Kustomization")
	}
	c, err := h.Client(cluster)
	if err != nil {
		return planner.Unknown, err
	}
	ns, name := h.Kustomization(workload, cluster)
	var k kustomization
	path := "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/" + url.PathEscape(ns) + "/kustomizations/" + url.PathEscape(name)
	if err := c.Get(ctx, path, &k); IsNotFound(err) {
		return planner.Unknown, nil
	} else if err != nil {
		return planner.Unknown, fmt.Errorf("flux: cluster %s: %w", cluster, err)
	}
	ready := k.ready()
	at, err := h.at(commit.String(), k.Status.LastAppliedRevision)
	if err != nil {
		return planner.Unknown, fmt.Errorf("flux: cluster %s: kustomization %s/%s: %w", cluster, ns, name, err)
	}
	if !at {
		// Flux keeps the last applied revision when an apply fails: a
		// failure at the asked commit shows in the attempted one.
		tried, err := h.at(commit.String(), k.Status.LastAttemptedRevision)
		if err != nil {
			return planner.Unknown, fmt.Errorf("flux: cluster %s: kustomization %s/%s: %w", cluster, ns, name, err)
		}
		if tried && ready != nil && ready.Status == "False" && !progressing[ready.Reason] {
			return planner.Degraded, nil
		}
		return planner.Progressing, nil
	}
	if k.Spec.Suspend || k.Status.ObservedGeneration < k.Metadata.Generation || ready == nil {
		return planner.Progressing, nil
	}
	switch ready.Status {
	case "True":
	case "False":
		if !progressing[ready.Reason] {
			return planner.Degraded, nil
		}
		return planner.Progressing, nil
	default:
		return planner.Progressing, nil
	}
	return h.deployments(ctx, c, cluster, &k)
}

// ready is the Kustomization's Ready condition, nil when it has none.
func (k *kustomization) ready() *condition {
	for i := range k.Status.Conditions {
		if k.Status.Conditions[i].Type == "Ready" {
			return &k.Status.Conditions[i]
		}
	}
	return nil
}

// deployments is the health of the Deployments the Kustomization applied.
func (h *Health) deployments(ctx context.Context, c *Client, cluster string, k *kustomization) (planner.Health, error) {
	if k.Status.Inventory == nil {
		return planner.Healthy, nil // nothing applied, or pruning is off
	}
	out := planner.Healthy
	for _, e := range k.Status.Inventory.Entries {
		// An entry's id is <namespace>_<name>_<group>_<kind>.
		f := strings.Split(e.ID, "_")
		if len(f) != 4 || f[2] != "apps" || f[3] != "Deployment" {
			continue
		}
		var d deployment
		path := "/apis/apps/v1/namespaces/" + url.PathEscape(f[0]) + "/deployments/" + url.PathEscape(f[1])
		if err := c.Get(ctx, path, &d); IsNotFound(err) {
			out = planner.Progressing
			continue
		} else if err != nil {
			return planner.Unknown, fmt.Errorf("flux: cluster %s: %w", cluster, err)
		}
		switch d.rollout() {
		case planner.Degraded:
			return planner.Degraded, nil
		case planner.Progressing:
			out = planner.Progressing
		}
	}
	return out, nil
}

// rollout is a Deployment's state as kubectl rollout status reads it.
func (d *deployment) rollout() planner.Health {
	for _, c := range d.Status.Conditions {
		if c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded" {
			return planner.Degraded
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	if s.ObservedGeneration < d.Metadata.Generation || s.UpdatedReplicas < want ||
		s.Replicas > s.UpdatedReplicas || s.AvailableReplicas < want {
		return planner.Progressing
	}
	return planner.Healthy
}

// at reports whether revision (Flux's "<branch>@sha1:<hash>", or the older
// "<branch>/<hash>") is commit or a descendant of it.
func (h *Health) at(commit, revision string) (bool, error) {
	r := revision
	if i := strings.LastIndexAny(r, ":/"); i >= 0 {
		r = r[i+1:]
	}
	r = strings.ToLower(r)
	if !plumbing.IsHash(r) {
		return false, nil // none yet, or not a git source
	}
	if strings.EqualFold(r, commit) {
		return true, nil
	}
	if h.IsAncestor == nil {
		return false, nil
	}
	ok, err := h.IsAncestor(commit, r)
	if err != nil {
		return false, fmt.Errorf("is %s an ancestor of %s: %w", commit, r, err)
	}
	return ok, nil
}
