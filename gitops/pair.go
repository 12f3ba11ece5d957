package gitops

import (
	"context"
	"fmt"
)

// ValidatePair checks that workload w, running on cluster from, can run on
// cluster to: its overlay for from renders, and what it renders uses only
// what to has (Check), and passes the repo's policy commands. A render
// that fails is returned as the error, a *render.UnverifiableError when
// the reason is outside the repo (a remote base, helm, a plugin) or a
// *render.BuildError when the overlay is broken.
func (repo *Repo) ValidatePair(ctx context.Context, w *Workload, from, to string) ([]Problem, error) {
	target, ok := repo.Inventory.Cluster(to)
	if !ok {
		return []Problem{{Object: "cluster/" + to, Reason: "is not in the inventory"}}, nil
	}
	overlay, ok := w.Overlays[from]
	if !ok {
		return []Problem{{Object: "workload/" + w.Name, Reason: fmt.Sprintf("has no overlay for %s", from)}}, nil
	}
	res, err := repo.Build(ctx, repo.fsys, overlay)
	if err != nil {
		return nil, err
	}
	objects := make([]map[string]any, len(res.Objects))
	for i, o := range res.Objects {
		objects[i] = o.Object
	}
	problems := Check(objects, target)
	problems = append(problems, RunPolicies(ctx, repo.Config.Validate, repo.getenv, res.YAML, to)...)
	return problems, nil
}
