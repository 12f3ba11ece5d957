package gitops

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"
	"time"
)

// A Problem is one reason a workload cannot run on a cluster, naming the
// object and the field.
type Problem struct {
	Object string // Kind/name, such as Deployment/recs-model
	Field  string // the field, such as spec.template.spec.nodeSelector
	Reason string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Object + " " + p.Reason
	}
	return p.Object + " " + p.Field + ": " + p.Reason
}

// Node labels that select a machine type or an accelerator.
var (
	machineTypeLabels = []string{"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type", "cloud.google.com/machine-family"}
	acceleratorLabels = []string{"cloud.google.com/gke-accelerator", "nvidia.com/gpu.product", "k8s.amazonaws.com/accelerator"}
)

// gpuResources are the extended resources that need an accelerator.
var gpuResources = []string{"nvidia.com/gpu", "amd.com/gpu"}

// Check reports what in the rendered objects the cluster cannot run:
// APIs and kinds outside its apis, node selectors and required node
// affinity on machine types and accelerators it lacks, GPU requests
// without accelerators, and storage classes it does not have. Objects are
// rendered manifests, decoded as generic maps.
func Check(objects []map[string]any, c *Cluster) []Problem {
	var out []Problem
	for _, o := range objects {
		apiVersion, _ := o["apiVersion"].(string)
		kind, _ := o["kind"].(string)
		name, _ := dig(o, "metadata", "name").(string)
		id := kind + "/" + name
		add := func(field, format string, args ...any) {
			out = append(out, Problem{Object: id, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		if !apiAllowed(c.Capabilities.APIs, apiVersion, kind) {
			add("", "apiVersion %s kind %s is not served by %s", apiVersion, kind, c.Name)
		}
		if pod, at := podSpec(o, kind); pod != nil {
			checkPod(pod, at, c, add)
		}
		if kind == "PersistentVolumeClaim" {
			if sc, ok := dig(o, "spec", "storageClassName").(string); ok && sc != "" && !slices.Contains(c.Capabilities.StorageClasses, sc) {
				add("spec.storageClassName", "storage class %s is not on %s", sc, c.Name)
			}
		}
		if kind == "StatefulSet" {
			vcts, _ := dig(o, "spec", "volumeClaimTemplates").([]any)
			for i, v := range vcts {
				if sc, ok := dig(v, "spec", "storageClassName").(string); ok && sc != "" && !slices.Contains(c.Capabilities.StorageClasses, sc) {
					add(fmt.Sprintf("spec.volumeClaimTemplates[%d].spec.storageClassName", i), "storage class %s is not on %s", sc, c.Name)
				}
			}
		}
	}
	return out
}

// apiAllowed matches "group/version/Kind" (core: "v1/Kind") against the
// cluster's globs, where "*" alone means every API (path.Match's * stops
// at a slash, so as a glob it would match none).
func apiAllowed(globs []string, apiVersion, kind string) bool {
	key := apiVersion + "/" + kind
	for _, g := range globs {
		if ok, _ := path.Match(g, key); ok || g == "*" {
			return true
		}
	}
	return false
}

// podSpec finds the pod spec of a workload object and its field path.
func podSpec(o map[string]any, kind string) (map[string]any, string) {
	var keys []string
	switch kind {
	case "Pod":
		keys = []string{"spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController", "Rollout":
		keys = []string{"spec", "template", "spec"}
	case "CronJob":
		keys = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil, ""
	}
	p, _ := dig(o, keys...).(map[string]any)
	return p, strings.Join(keys, ".")
}

func checkPod(pod map[string]any, at string, c *Cluster, add func(field, format string, args ...any)) {
	caps := c.Capabilities
	need := func(field, label, value string) {
		switch {
		case slices.Contains(machineTypeLabels, label) && !slices.Contains(caps.MachineTypes, value):
			add(field, "machine type %s is not on %s", value, c.Name)
		case slices.Contains(acceleratorLabels, label) && !slices.Contains(caps.Accelerators, value):
			add(field, "accelerator %s is not on %s", value, c.Name)
		}
	}
	sel, _ := pod["nodeSelector"].(map[string]any)
	for _, label := range sortedKeys(sel) {
		if v, ok := sel[label].(string); ok {
			need(at+".nodeSelector", label, v)
		}
	}
	terms, _ := dig(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms").([]any)
	for i, term := range terms {
		exprs, _ := dig(term, "matchExpressions").([]any)
		for j, e := range exprs {
			label, _ := dig(e, "key").(string)
			op, _ := dig(e, "operator").(string)
			values, _ := dig(e, "values").([]any)
			if op != "In" || len(values) == 0 {
				continue
			}
			field := fmt.Sprintf("%s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[%d].matchExpressions[%d]", at, i, j)
			// The pod schedules if any value exists on the cluster.
			var have []string
			switch {
			case slices.Contains(machineTypeLabels, label):
				have = caps.MachineTypes
			case slices.Contains(acceleratorLabels, label):
				have = caps.Accelerators
			default:
				continue
			}
			if !slices.ContainsFunc(values, func(v any) bool { s, _ := v.(string); return slices.Contains(have, s) }) {
				need(field, label, fmt.Sprint(values[0]))
			}
		}
	}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := pod[list].([]any)
		for i, ctr := range cs {
			for _, kind := range []string{"limits", "requests"} {
				res, _ := dig(ctr, "resources", kind).(map[string]any)
				for _, gpu := range gpuResources {
					if q, ok := res[gpu]; ok && fmt.Sprint(q) != "0" && len(caps.Accelerators) == 0 {
						add(fmt.Sprintf("%s.%s[%d].resources.%s", at, list, i, kind), "%s requested but %s has no accelerators", gpu, c.Name)
					}
				}
			}
		}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// PolicyTimeout bounds each validate command when validate.timeout does
// not.
const PolicyTimeout = 2 * time.Minute

// RunPolicies runs the team's validate commands with the rendered target
// manifests on stdin. A command that fails blocks the pair: its Problem
// carries the command's output.
//
// Each command gets a clean environment: PATH, HOME, FERRY_CLUSTER and the
// variables v.Env names, read through getenv; never the rest of ferry's,
// which holds its tokens. It runs in a process group of its own, and at
// the timeout the whole group is killed, children and all.
func RunPolicies(ctx context.Context, v ValidateConfig, getenv func(string) string, manifests []byte, cluster string) []Problem {
	timeout := v.Timeout.Duration
	if timeout <= 0 {
		timeout = PolicyTimeout
	}
	env := []string{"FERRY_CLUSTER=" + cluster}
	for _, k := range append([]string{"PATH", "HOME"}, v.Env...) {
		if val := getenv(k); val != "" {
			env = append(env, k+"="+val)
		}
	}
	var out []Problem
	for _, c := range v.Commands {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		cmd := exec.CommandContext(ctx, c.Run[0], c.Run[1:]...)
		cmd.Stdin = bytes.NewReader(manifests)
		cmd.Env = env
		ownGroup(cmd)
		// A child that keeps the output pipe open must not keep ferry
		// waiting once the group is killed.
		cmd.WaitDelay = time.Second
		output, err := cmd.CombinedOutput()
		timedOut := ctx.Err() == context.DeadlineExceeded
		cancel()
		switch {
		case timedOut:
			out = append(out, Problem{Object: "policy/" + c.Name, Reason: fmt.Sprintf("timed out on %s after %s: %s", cluster, timeout, strings.TrimSpace(string(output)))})
		case err != nil:
			out = append(out, Problem{Object: "policy/" + c.Name, Reason: fmt.Sprintf("failed on %s (%v): %s", cluster, err, strings.TrimSpace(string(output)))})
		}
	}
	return out
}
