package traffic

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/rewrite"
)

// The runtime controllers that own a route's weights.
const (
	Flagger      = "Flagger"
	ArgoRollouts = "Argo Rollouts"
)

// An OwnedError reports a runtime controller that sets the weights of a
// workload's route itself, so ferry must not shift them: a Flagger Canary,
// or an Argo Rollouts Rollout with traffic routing or a blue-green
// strategy. File and Line locate the controller's object.
type OwnedError struct {
	File       string
	Line       int
	Controller string // Flagger or ArgoRollouts
	Object     string // kind/name, such as Canary/podinfo
	// RouteFile and RouteObject name the route (traffic/web.yaml,
	// HTTPRoute/web) when Route.Owner found the owner; empty from
	// DetectOwner.
	RouteFile, RouteObject string
}

func (e *OwnedError) Error() string {
	what := "the workload's route weights are"
	if e.RouteObject != "" {
		what = fmt.Sprintf("%s: weights of %s are", e.RouteFile, e.RouteObject)
	}
	return fmt.Sprintf("%s managed at runtime by %s (%s in %s:%d); ferry does not shift them",
		what, e.Controller, strings.Replace(e.Object, "/", " ", 1), e.File, e.Line)
}

// DetectOwner reports a runtime controller that owns the weights of a
// workload's route. files are the files of the workload (its rendered
// manifests, or the repo files of its base and overlays) by name. It
// returns a *OwnedError for the first, by file name, Flagger Canary
// (flagger.app) or Argo Rollouts Rollout whose spec.strategy has
// canary.trafficRouting or blueGreen, and nil when there is none. Files
// that are not YAML, such as Helm templates, are scanned as text for such
// a Rollout or Canary instead and never fail the check.
func DetectOwner(files map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := ownerIn(name, files[name]); err != nil {
			return err
		}
	}
	return nil
}

// Owner is DetectOwner for the route in src: its error names the route.
func (r Route) Owner(name string, src []byte, files map[string][]byte) error {
	err := DetectOwner(files)
	var oe *OwnedError
	if errors.As(err, &oe) {
		oe.RouteFile, oe.RouteObject = name, r.Kind
		if n := routeName(src, r.Kind); n != "" {
			oe.RouteObject += "/" + n
		}
	}
	return err
}

// routeName is the metadata.name of the first document of kind in src.
func routeName(src []byte, kind string) string {
	docs, _ := roots("", src)
	for _, root := range docs {
		if rewrite.Scalar(rewrite.Get(root, "kind")) == kind {
			return rewrite.Scalar(rewrite.Get(root, "metadata", "name"))
		}
	}
	return ""
}

func ownerIn(name string, src []byte) error {
	docs, err := roots(name, src)
	if err != nil {
		return ownerInText(name, src)
	}
	for _, root := range docs {
		if c := owner(rewrite.Scalar(rewrite.Get(root, "apiVersion")), rewrite.Scalar(rewrite.Get(root, "kind")), root); c != "" {
			return &OwnedError{File: name, Line: root.Line, Controller: c, Object: rewrite.Scalar(rewrite.Get(root, "kind")) + "/" + rewrite.Scalar(rewrite.Get(root, "metadata", "name"))}
		}
	}
	return nil
}

// owner names the controller that an object of apiVersion and kind makes
// the owner of the weights, or "".
func owner(apiVersion, kind string, root *yaml.Node) string {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch {
	case group == "flagger.app" && kind == "Canary":
		return Flagger
	case group == "argoproj.io" && kind == "Rollout":
		strategy := rewrite.Get(root, "spec", "strategy")
		if present(rewrite.Get(strategy, "canary", "trafficRouting")) || present(rewrite.Get(strategy, "blueGreen")) {
			return ArgoRollouts
		}
	}
	return ""
}

func present(n *yaml.Node) bool {
	return n != nil && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// ownerInText finds a Rollout or Canary in a file that is not YAML (a Helm
// template) by its lines: a top-level apiVersion and kind, and for a
// Rollout an indented blueGreen: or trafficRouting: key.
func ownerInText(name string, src []byte) error {
	lines := splitLines(src)
	start := 0
	for start < len(lines) {
		end := start
		for end < len(lines) && (end == start || !strings.HasPrefix(lines[end], "---")) {
			end++
		}
		doc := lines[start:end]
		var apiVersion, kind, objName string
		line, routing := 0, false
		for i, l := range doc {
			t := strings.TrimSpace(l)
			if t == "" || strings.HasPrefix(t, "#") || t == "---" {
				continue
			}
			if line == 0 {
				line = start + i + 1
			}
			k, v, _ := strings.Cut(t, ":")
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			switch {
			case indentOf(l) == 0 && k == "apiVersion":
				apiVersion = v
			case indentOf(l) == 0 && k == "kind":
				kind = v
			case indentOf(l) == 2 && k == "name" && objName == "":
				objName = v
			case indentOf(l) > 0 && (k == "blueGreen" || k == "trafficRouting"):
				routing = true
			}
		}
		group, _, _ := strings.Cut(apiVersion, "/")
		var c string
		switch {
		case group == "flagger.app" && kind == "Canary":
			c = Flagger
		case group == "argoproj.io" && kind == "Rollout" && routing:
			c = ArgoRollouts
		}
		if c != "" {
			return &OwnedError{File: name, Line: line, Controller: c, Object: kind + "/" + objName}
		}
		start = end
	}
	return nil
}
