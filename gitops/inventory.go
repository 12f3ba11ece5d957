package gitops

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Inventory is clusters.yaml: every cluster ferry may move workloads
// between, with the strings that differ between clusters and what each
// cluster can run.
type Inventory struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Clusters   []Cluster `yaml:"clusters"`

	file string // where it was read, for errors
}

// A Cluster is one entry of the inventory.
type Cluster struct {
	Name string `yaml:"name"`
	// Values are the cluster-specific strings; deriving for another cluster
	// replaces each by that cluster's value of the same key.
	Values map[string]string `yaml:"values"`
	// Workloads are values of one workload on this cluster (an identity
	// client id): deriving the workload for another cluster replaces each
	// by that cluster's value of the same key for the workload, which it
	// must have. Other clusters need not list the workload.
	Workloads    map[string]map[string]string `yaml:"workloads"`
	Capabilities Capabilities                 `yaml:"capabilities"`
	line         int                          // of the entry, for errors
}

// Capabilities are what a cluster can run. If an API, kind, accelerator or
// machine type is used, assume it is used on all clusters: a workload may
// move only where everything it uses exists.
type Capabilities struct {
	APIs           []string `yaml:"apis"` // group/version/kind globs: "apps/v1/*", "v1/*"
	MachineTypes   []string `yaml:"machineTypes"`
	Accelerators   []string `yaml:"accelerators"`
	StorageClasses []string `yaml:"storageClasses"`
}

// Cluster returns the cluster named name.
func (inv *Inventory) Cluster(name string) (*Cluster, bool) {
	for i := range inv.Clusters {
		if inv.Clusters[i].Name == name {
			return &inv.Clusters[i], true
		}
	}
	return nil, false
}

// Names returns the cluster names in inventory order.
func (inv *Inventory) Names() []string {
	out := make([]string, len(inv.Clusters))
	for i, c := range inv.Clusters {
		out[i] = c.Name
	}
	return out
}

// LoadInventory reads and checks the cluster inventory at name.
func LoadInventory(fsys fs.FS, name string) (*Inventory, error) {
	var inv Inventory
	root, err := decodeFile(fsys, name, &inv)
	if err != nil {
		return nil, err
	}
	inv.file = name
	fail := func(err error, keys ...string) error { return inputErr(name, lineOf(root, keys...), err) }
	if inv.APIVersion != APIVersion || inv.Kind != "ClusterInventory" {
		return nil, fail(fmt.Errorf("%w: want apiVersion %s and kind ClusterInventory", ErrMissingField, APIVersion), "kind")
	}
	if len(inv.Clusters) == 0 {
		return nil, fail(fmt.Errorf("%w: no clusters", ErrMissingField), "clusters")
	}
	seen := map[string]int{}
	for i := range inv.Clusters {
		inv.Clusters[i].line = lineOf(root, "clusters", fmt.Sprint(i))
	}
	for i, c := range inv.Clusters {
		at := []string{"clusters", fmt.Sprint(i), "name"}
		if err := CheckName("cluster", c.Name); err != nil {
			return nil, fail(err, at...)
		}
		if first, dup := seen[c.Name]; dup {
			return nil, fail(fmt.Errorf("%w: cluster %q is also entry %d", ErrDuplicate, c.Name, first), at...)
		}
		seen[c.Name] = i
	}
	// Derivation replaces each value of the source by the target's value
	// of the same key, so every cluster must have every key.
	keys := map[string]bool{}
	for _, c := range inv.Clusters {
		for k := range c.Values {
			keys[k] = true
		}
	}
	all := make([]string, 0, len(keys))
	for k := range keys {
		all = append(all, k)
	}
	sort.Strings(all)
	for i, c := range inv.Clusters {
		var missing []string
		for _, k := range all {
			if _, ok := c.Values[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, fail(fmt.Errorf("%w: cluster %q has no values for %s, which other clusters have", ErrMissingField, c.Name, strings.Join(missing, ", ")), "clusters", fmt.Sprint(i), "values")
		}
		for _, api := range c.Capabilities.APIs {
			if _, err := path.Match(api, ""); err != nil {
				return nil, fail(fmt.Errorf("%w: api pattern %q: %v", ErrBadName, api, err), "clusters", fmt.Sprint(i), "capabilities", "apis")
			}
		}
	}
	return &inv, nil
}
