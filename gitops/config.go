package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ferry-dev/ferry/gitops/targets"
)

// APIVersion is the apiVersion of ferry's own files.
const APIVersion = "ferry.dev/v1alpha1"

// ConfigFile is where the repo's configuration lives.
const ConfigFile = "ferry.yaml"

// MaxFileSize is the largest configuration, inventory or Migration file
// ferry reads.
const MaxFileSize = 1 << 20

// Config is ferry.yaml, at the root of the deployment repo.
type Config struct {
	APIVersion   string             `yaml:"apiVersion"`
	Kind         string             `yaml:"kind"`
	Workloads    string             `yaml:"workloads"`  // apps/{workload}
	Overlay      string             `yaml:"overlay"`    // apps/{workload}/overlays/{cluster}
	Pin          string             `yaml:"pin"`        // apps/{workload}/base/kustomization.yaml
	Clusters     string             `yaml:"clusters"`   // clusters.yaml
	Migrations   string             `yaml:"migrations"` // migrations
	Targets      TargetsConfig      `yaml:"targets"`
	Traffic      *TrafficConfig     `yaml:"traffic"`
	Health       HealthConfig       `yaml:"health"`
	PullRequests PullRequestsConfig `yaml:"pullRequests"`
	Validate     ValidateConfig     `yaml:"validate"`

	// values are the inventory's values by cluster, for the path
	// templates' {key} placeholders; set by Bind.
	values map[string]map[string]string
	// lines are the lines of the templates' keys in ferry.yaml, for the
	// errors Bind finds.
	lines map[string]int
}

// TargetsConfig says how a (workload, cluster) pair is handed to Argo CD or Flux.
type TargetsConfig struct {
	// Kind is targets.KindApplicationSet, KindApplication or
	// KindFluxKustomization.
	Kind string `yaml:"kind"`
	Path string `yaml:"path"`
	// Name is the metadata.name of a workload's registration on a
	// cluster when Path names a file per cluster holding many workloads'
	// registrations; "{workload}" by default.
	Name string `yaml:"name"`
}

// TrafficConfig says where the global load balancer's weights live. A repo
// without traffic management has none.
type TrafficConfig struct {
	Kind    string `yaml:"kind"`
	Path    string `yaml:"path"`
	Backend string `yaml:"backend"`
}

// The kinds of Traffic.
const (
	TrafficHTTPRoute      = "gateway-httproute"
	TrafficVirtualService = "istio-virtualservice"
	TrafficExternalDNS    = "external-dns"
)

// HealthConfig says how ferry learns that a cluster runs a workload healthily.
type HealthConfig struct {
	Kind    string `yaml:"kind"`
	Context string `yaml:"context"`
	// Reporters are the GitHub logins whose commit statuses, and the Apps
	// (as "<slug>[bot]") whose check runs, github-status believes; anyone
	// with write access can post a status of any context. Required with
	// github-status.
	Reporters []string `yaml:"reporters"`
	// Kubeconfig is the kubeconfig file that reaches a cluster's API
	// server, for health kind flux: a path that may hold {cluster} and
	// inventory placeholders (a file per cluster), relative to the
	// directory ferry runs in. When absent, the files of $KUBECONFIG, or
	// ~/.kube/config.
	Kubeconfig string `yaml:"kubeconfig"`
	// KubeContext is the kubeconfig context of a cluster, for health kind
	// flux (placeholders allowed). When absent: the context named like
	// the cluster; failing that, when Kubeconfig names a file per
	// cluster, that file's current context.
	KubeContext string `yaml:"kubeContext"`
}

// The kinds of Health.
const (
	HealthGitHubStatus = "github-status"
	HealthArgoCD       = "argocd"
	HealthFlux         = "flux"
	HealthNone         = "none"
)

// PullRequestsConfig configures the pull requests ferry opens.
type PullRequestsConfig struct {
	AutoMerge   *bool    `yaml:"autoMerge"`
	MergeMethod string   `yaml:"mergeMethod"`
	Labels      []string `yaml:"labels"`
	MaxOpen     int      `yaml:"maxOpen"`
	Group       string   `yaml:"group"`
}

// ValidateConfig lists the team's own policy tools, run with the rendered target
// manifests on stdin.
type ValidateConfig struct {
	Commands []Command `yaml:"commands"`
	// Env names the environment variables a command gets besides PATH,
	// HOME and FERRY_CLUSTER: nothing else of ferry's environment (its
	// GitHub token, App key, Argo CD token) reaches a policy tool.
	Env []string `yaml:"env"`
	// Timeout bounds each command, with every process it started; two
	// minutes when absent.
	Timeout Duration `yaml:"timeout"`
	// Unverifiable says what happens to a workload whose overlay cannot be
	// rendered here, for a reason outside the repo (a remote base, a Helm
	// chart, a plugin): UnverifiableHold (the default) keeps it waiting,
	// with the reason; UnverifiableProceed lets it move on health and
	// soak alone, and its pull requests say what was not validated.
	Unverifiable string `yaml:"unverifiable"`
	// Remote says whether validation fetches the remote bases an
	// overlay lists (git URLs with ?ref=) to render it.
	Remote RemoteConfig `yaml:"remote"`
}

// RemoteConfig is validate.remote: off by default, so that a planner
// without network (or a repo that should not reach out) keeps such an
// overlay unverifiable; CI runners have network.
type RemoteConfig struct {
	// Fetch fetches each remote base with the git CLI (git's own
	// credentials and SSH configuration apply) into ferry's cache folder,
	// $FERRY_CACHE_DIR/remote or the user's cache folder. A commit hash
	// is fetched once; a branch or tag again after an hour.
	Fetch bool `yaml:"fetch"`
	// Timeout bounds each fetch, RemoteTimeout when absent. A fetch
	// that fails or times out leaves the overlay unverifiable, with
	// git's reason.
	Timeout Duration `yaml:"timeout"`
}

// The values of validate.unverifiable.
const (
	UnverifiableHold    = "hold"
	UnverifiableProceed = "proceed"
)

// A Command is one policy tool: its name in reports and its argv.
type Command struct {
	Name string   `yaml:"name"`
	Run  []string `yaml:"run"`
}

// decodeFile reads a small YAML file strictly into v, and returns its node
// tree for the positions of later errors.
func decodeFile(fsys fs.FS, name string, v any) (*yaml.Node, error) {
	info, err := fs.Stat(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, inputErr(name, 0, ErrMissingFile) // one wording, whatever the FS says
	}
	if err != nil {
		return nil, inputErr(name, 0, err)
	}
	if !info.Mode().IsRegular() {
		return nil, inputErr(name, 0, fmt.Errorf("%w: not a regular file", ErrMalformed))
	}
	if info.Size() > MaxFileSize {
		return nil, inputErr(name, 0, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, info.Size(), MaxFileSize))
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, inputErr(name, 0, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, inputErr(name, 0, fmt.Errorf("%w: the file is empty", ErrMissingField))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nil, yamlError(name, err)
	}
	return doc.Content[0], nil
}

// child is the value below n at mapping key or sequence index k (as a
// string); nil when there is none. A repeated key gives its last value.
func child(n *yaml.Node, k string) *yaml.Node {
	var value *yaml.Node
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				value = n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if fmt.Sprint(i) == k {
				value = c
			}
		}
	}
	return value
}

// lineOf is the line of the node at a path of mapping keys and sequence
// indexes (as strings) below n, or of its deepest existing ancestor.
func lineOf(n *yaml.Node, keys ...string) int {
	line := n.Line
	for _, k := range keys {
		next := child(n, k)
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

// nodeAt is the node at a path of mapping keys and sequence indexes (as
// strings) below n, or nil.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n = child(n, k); n == nil {
			return nil
		}
	}
	return n
}

// wholeNumbers refuses a field that is present but not a whole number:
// yaml.v3 decodes 1.9 into an int as 1, without a word. A sequence is
// checked item by item. positive also refuses 0 and below.
func wholeNumbers(root *yaml.Node, field string, positive bool, keys ...string) error {
	n := nodeAt(root, keys...)
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, it := range items {
		v, err := strconv.Atoi(it.Value)
		if it.Kind != yaml.ScalarNode || it.ShortTag() != "!!int" || err != nil {
			return &InputError{Line: it.Line, Err: fmt.Errorf("%w: %s: %q is not a whole number", ErrBadName, field, it.Value)}
		}
		if positive && v <= 0 {
			return &InputError{Line: it.Line, Err: fmt.Errorf("%w: %s: %d is not a positive whole number", ErrBadName, field, v)}
		}
	}
	return nil
}

// LoadConfig reads and checks ferry.yaml.
func LoadConfig(fsys fs.FS) (*Config, error) {
	var c Config
	root, err := decodeFile(fsys, ConfigFile, &c)
	if err != nil {
		return nil, err
	}
	if err := c.check(root); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check(root *yaml.Node) error {
	fail := func(err error, keys ...string) error { return inputErr(ConfigFile, lineOf(root, keys...), err) }
	if c.APIVersion != APIVersion || c.Kind != "Config" {
		return fail(fmt.Errorf("%w: want apiVersion %s and kind Config", ErrMissingField, APIVersion), "kind")
	}
	if c.Clusters == "" {
		c.Clusters = "clusters.yaml"
	}
	if c.Migrations == "" {
		c.Migrations = "migrations"
	}
	templates := []struct {
		key, value string
		need       []string
	}{
		{"workloads", c.Workloads, []string{"{workload}"}},
		{"overlay", c.Overlay, []string{"{workload}"}},
		{"pin", c.Pin, []string{"{workload}"}},
		{"clusters", c.Clusters, nil},
		{"migrations", c.Migrations, nil},
	}
	for _, t := range templates {
		if t.key == "pin" && t.value == "" {
			continue // the registration files carry the marker
		}
		if err := checkTemplate(t.value, t.need); err != nil {
			return fail(fmt.Errorf("%s: %w", t.key, err), t.key)
		}
	}
	c.lines = map[string]int{}
	for _, keys := range [][]string{{"overlay"}, {"pin"}, {"targets", "path"}, {"traffic", "path"}, {"traffic", "backend"}, {"health", "context"}} {
		c.lines[strings.Join(keys, ".")] = lineOf(root, keys...)
	}
	if !strings.HasSuffix(c.Workloads, "/{workload}") && c.Workloads != "{workload}" || strings.Count(c.Workloads, "{workload}") != 1 {
		return fail(fmt.Errorf("%w: workloads must end in the segment {workload}, as in apps/{workload}", ErrBadName), "workloads")
	}
	rk, ok := registrationKinds[c.Targets.Kind]
	if !ok {
		return fail(unknownKind("targets.kind", c.Targets.Kind, registrationKinds), "targets", "kind")
	}
	if err := checkTemplate(c.Targets.Path, rk.need); err != nil {
		return fail(fmt.Errorf("targets.path: %w", err), "targets", "path")
	}
	if c.Targets.Name != "" && (!rk.perCluster || strings.Contains(c.Targets.Path, "{workload}")) {
		return fail(fmt.Errorf("%w: targets.name is for a targets.path that names a file per cluster, without {workload}", ErrUnknownField), "targets", "name")
	}
	if rk.perCluster && !strings.Contains(c.Targets.Path, "{workload}") {
		if c.Targets.Name == "" {
			c.Targets.Name = "{workload}"
		}
		if !strings.Contains(c.Targets.Name, "{workload}") {
			return fail(fmt.Errorf("%w: targets.name %q does not contain {workload}", ErrMissingField, c.Targets.Name), "targets", "name")
		}
	}
	if rk.perCluster && !hasClusterPlaceholder(c.Targets.Path) {
		return fail(fmt.Errorf("%w: targets.path %q has no {cluster} or other cluster value placeholder: kind %s has a file per workload and cluster", ErrMissingField, c.Targets.Path, c.Targets.Kind), "targets", "path")
	}
	if c.Pin == "" && !strings.Contains(c.Targets.Path, "{workload}") {
		return fail(fmt.Errorf("%w: pin: targets.path %q holds many workloads' registrations, so it cannot carry one workload's pin marker; name a file per workload as pin", ErrMissingField, c.Targets.Path), "targets", "path")
	}
	if hasClusterPlaceholder(c.Pin) {
		return fail(fmt.Errorf("%w: pin %q: a workload has one pin file, so it cannot name a cluster", ErrBadName, c.Pin), "pin")
	}
	if !hasClusterPlaceholder(c.Overlay) && c.Targets.Kind != targets.KindFluxKustomization {
		return fail(fmt.Errorf("%w: overlay %q has no {cluster} or other cluster value placeholder (one folder for every cluster works with flux-kustomization registrations, whose postBuild variables tell the clusters apart)", ErrMissingField, c.Overlay), "overlay")
	}
	if t := c.Traffic; t != nil {
		tk, ok := trafficKinds[t.Kind]
		if !ok {
			return fail(unknownKind("traffic.kind", t.Kind, trafficKinds), "traffic", "kind")
		}
		if err := checkTemplate(t.Path, tk.need); err != nil && tk.need != nil {
			return fail(fmt.Errorf("traffic.path: %w", err), "traffic", "path")
		}
		if !hasClusterPlaceholder(t.Backend) {
			return fail(fmt.Errorf("%w: traffic.backend must contain {cluster} or another cluster value placeholder", ErrMissingField), "traffic", "backend")
		}
	}
	switch c.Health.Kind {
	case "":
		// No default: a repo that forgot its health gate must not run
		// without one.
		return fail(fmt.Errorf("%w: health.kind: say how ferry learns that a cluster runs a workload healthily: %s, %s, %s, or %s (no health gate: soak alone gates each stage)", ErrMissingField, HealthGitHubStatus, HealthArgoCD, HealthFlux, HealthNone), "health")
	case HealthGitHubStatus, HealthArgoCD:
		if c.Health.Context == "" && c.Health.Kind == HealthGitHubStatus {
			return fail(fmt.Errorf("%w: health.context", ErrMissingField), "health")
		}
		if len(c.Health.Reporters) == 0 && c.Health.Kind == HealthGitHubStatus {
			return fail(fmt.Errorf("%w: health.reporters: name the GitHub Apps (as <slug>[bot]) or users whose statuses and check runs count, such as argocd-notifications[bot]: anyone who can push can post a status", ErrMissingField), "health")
		}
	case HealthFlux:
		if c.Health.Context == "" {
			return fail(fmt.Errorf("%w: health.context: name the Flux Kustomization that applies a workload on a cluster, as [namespace/]name with placeholders, such as flux-system/{workload}", ErrMissingField), "health")
		}
	case HealthNone:
	default:
		return fail(fmt.Errorf("%w: health.kind %q is not one of %s, %s, %s, %s", ErrUnknownName, c.Health.Kind, HealthGitHubStatus, HealthArgoCD, HealthFlux, HealthNone), "health", "kind")
	}
	pr := &c.PullRequests
	if pr.AutoMerge == nil {
		t := true
		pr.AutoMerge = &t
	}
	switch pr.MergeMethod {
	case "":
		pr.MergeMethod = "squash"
	case "squash", "merge", "rebase":
	default:
		return fail(fmt.Errorf("%w: pullRequests.mergeMethod %q is not squash, merge or rebase", ErrUnknownName, pr.MergeMethod), "pullRequests", "mergeMethod")
	}
	switch pr.Group {
	case "":
		pr.Group = "workload"
	case "workload", "wave":
	default:
		return fail(fmt.Errorf("%w: pullRequests.group %q is not workload or wave", ErrUnknownName, pr.Group), "pullRequests", "group")
	}
	if err := wholeNumbers(root, "pullRequests.maxOpen", true, "pullRequests", "maxOpen"); err != nil {
		return inFile(ConfigFile, err)
	}
	if pr.MaxOpen == 0 {
		pr.MaxOpen = 10 // absent
	}
	switch c.Validate.Unverifiable {
	case "":
		c.Validate.Unverifiable = UnverifiableHold
	case UnverifiableHold, UnverifiableProceed:
	default:
		return fail(fmt.Errorf("%w: validate.unverifiable %q is not %s or %s", ErrUnknownName, c.Validate.Unverifiable, UnverifiableHold, UnverifiableProceed), "validate", "unverifiable")
	}
	for i, cmd := range c.Validate.Commands {
		if cmd.Name == "" || len(cmd.Run) == 0 {
			return fail(fmt.Errorf("%w: a validate command needs a name and run", ErrMissingField), "validate", "commands", fmt.Sprint(i))
		}
	}
	return nil
}

// placeholder matches a template's placeholders: {workload}, {cluster},
// and {key} for any key of the clusters' inventory values.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)\}`)

// SharedOverlay reports whether every cluster applies the same folder of
// a workload: Flux Kustomizations per cluster that point at one path and
// tell the clusters apart with postBuild variables (${CLUSTER_NAME}). A
// cluster then runs the workload where it is registered; deploy derives
// no overlay and cleanup deletes none.
func (c *Config) SharedOverlay() bool { return !hasClusterPlaceholder(c.Overlay) }

// hasClusterPlaceholder reports whether template t has a placeholder that
// differs between clusters: {cluster} or a value's.
func hasClusterPlaceholder(t string) bool {
	for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
		if m[1] != "workload" {
			return true
		}
	}
	return false
}

// Bind checks the templates' placeholders against the inventory, whose
// values they may use ({region}, {environment}, a folder name that is not
// the cluster's), and binds c to it, so that the templates expand them.
// Every placeholder must be {workload}, {cluster} or a key of the
// clusters' values, and the overlay, a per-cluster registration file and
// a traffic backend must name each cluster differently.
func (c *Config) Bind(inv *Inventory) error {
	keys := map[string]bool{"workload": true, "cluster": true}
	values := map[string]map[string]string{}
	for _, cl := range inv.Clusters {
		values[cl.Name] = cl.Values
		for k := range cl.Values {
			keys[k] = true // the inventory makes every cluster have every key
		}
	}
	type tmpl struct {
		key, value string
		unique     bool
	}
	perCluster := registrationKinds[c.Targets.Kind].perCluster
	ts := []tmpl{{"overlay", c.Overlay, !c.SharedOverlay()}, {"pin", c.Pin, false}, {"health.context", c.Health.Context, false},
		{"targets.path", c.Targets.Path, perCluster}}
	if c.Traffic != nil {
		ts = append(ts, tmpl{"traffic.path", c.Traffic.Path, false}, tmpl{"traffic.backend", c.Traffic.Backend, true})
	}
	for _, t := range ts {
		for _, m := range placeholder.FindAllStringSubmatch(t.value, -1) {
			if !keys[m[1]] {
				return inputErr(ConfigFile, c.lines[t.key], fmt.Errorf("%w: %s: {%s} is not {workload}, {cluster} or a key of the values in %s", ErrUnknownName, t.key, m[1], c.Clusters))
			}
		}
	}
	c.values = values
	for _, t := range ts {
		if !t.unique {
			continue
		}
		seen := map[string]string{}
		for _, cl := range inv.Names() {
			p := c.Expand(t.value, "w", cl)
			if other, dup := seen[p]; dup {
				c.values = nil
				return inputErr(ConfigFile, c.lines[t.key], fmt.Errorf("%w: %s %q is %q for both %s and %s", ErrDuplicate, t.key, t.value, p, other, cl))
			}
			seen[p] = cl
		}
	}
	return nil
}

// Expand fills the placeholders of template t for workload and cluster:
// {workload}, {cluster}, and the cluster's values once c is bound to the
// inventory. A placeholder with no value is left as it is.
func (c *Config) Expand(t, workload, cluster string) string {
	if !strings.Contains(t, "{") {
		return t
	}
	// By hand rather than with the placeholder regexp: the planner
	// expands templates for every workload and cluster of a large repo.
	var b strings.Builder
	b.Grow(len(t) + len(workload) + len(cluster))
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		m := t[i : i+j+1]
		b.WriteString(t[:i])
		switch k := m[1 : len(m)-1]; {
		case k == "workload":
			b.WriteString(workload)
		case k == "cluster" && cluster != "":
			b.WriteString(cluster)
		default:
			if v, ok := c.values[cluster][k]; ok && cluster != "" {
				b.WriteString(v)
			} else {
				b.WriteString(m)
			}
		}
		t = t[i+j+1:]
	}
}

// LoadBoundConfig reads ferry.yaml and the inventory, and binds the one to
// the other: the configuration where only it is needed, with templates
// that expand every placeholder.
func LoadBoundConfig(fsys fs.FS) (*Config, error) {
	cfg, err := LoadConfig(fsys)
	if err != nil {
		return nil, err
	}
	inv, err := LoadInventory(fsys, cfg.Clusters)
	if err != nil {
		return nil, err
	}
	if err := cfg.Bind(inv); err != nil {
		return nil, err
	}
	return cfg, nil
}

// inFile names the file of an *InputError that has only a line.
func inFile(name string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.File == "" {
		ie.File = name
	}
	return err
}

// checkTemplate requires a path template to be relative, clean, inside the
// repo, and to hold the placeholders need, each as a whole path segment.
func checkTemplate(t string, need []string) error {
	if t == "" {
		return ErrMissingField
	}
	if err := checkPath(t); err != nil {
		return err
	}
	for _, n := range need {
		if !strings.Contains(t, n) {
			return fmt.Errorf("%w: %q does not contain %s", ErrMissingField, t, n)
		}
	}
	return nil
}

// checkPath refuses a path that could leave the repo.
func checkPath(p string) error {
	if path.IsAbs(p) || strings.HasPrefix(p, "\\") || strings.Contains(p, "\\") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("%w: %q is not a clean relative path inside the repo", ErrBadName, p)
	}
	return nil
}

// names are the names of workloads, clusters and migrations: they become
// path segments and branch names, so nothing that could leave the repo.
var names = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)

// CheckName refuses a name that is not a DNS label-like name, such as one
// with "..", "/" or upper case.
func CheckName(kind, name string) error {
	if !names.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("%w: %s %q must be lower-case letters, digits, '-' and '.', and must not contain '..' or '/'", ErrBadName, kind, name)
	}
	return nil
}

// Duration is a time.Duration written as in Go ("30m", "1h30m").
type Duration struct{ time.Duration }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 30m", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as in Go.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

var errNotSorted = errors.New("steps must rise to 100")

func checkSteps(steps []int) error {
	if len(steps) == 0 {
		return nil
	}
	if !slices.IsSorted(steps) || steps[0] <= 0 || steps[len(steps)-1] != 100 {
		return errNotSorted
	}
	for i := 1; i < len(steps); i++ {
		if steps[i] == steps[i-1] {
			return errNotSorted
		}
	}
	return nil
}
