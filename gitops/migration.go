package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// A Migration moves workloads from one cluster to others, a stage and a pull
// request at a time.
type Migration struct {
	APIVersion string        `yaml:"apiVersion"`
	Kind       string        `yaml:"kind"`
	Metadata   Metadata      `yaml:"metadata"`
	Spec       MigrationSpec `yaml:"spec"`
	// File is where the Migration was read from.
	File string `yaml:"-"`
}

// Metadata names a Migration.
type Metadata struct {
	Name string `yaml:"name"`
}

// MigrationSpec is what a Migration asks for.
type MigrationSpec struct {
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// Retire moves every workload it selects off From: onto the clusters
	// that already run it besides From, and a workload that runs on From
	// alone onto To (which may then be empty when none does).
	Retire      bool     `yaml:"retire"`
	Workloads   []string `yaml:"workloads"` // globs over workload names
	Exclude     []string `yaml:"exclude"`
	Steps       []int    `yaml:"steps"` // % of traffic on the targets after each shift stage
	Soak        Duration `yaml:"soak"`
	MaxInFlight int      `yaml:"maxInFlight"`
	Paused      bool     `yaml:"paused"`
	Abort       bool     `yaml:"abort"`
}

// Selects reports whether the Migration moves the workload.
func (m *Migration) Selects(workload string) bool {
	match := func(globs []string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, workload); ok {
				return true
			}
		}
		return false
	}
	return match(m.Spec.Workloads) && !match(m.Spec.Exclude)
}

// LoadMigrations reads every *.yaml and *.yml file of dir, sorted by name.
// A missing dir means no migrations.
func LoadMigrations(fsys fs.FS, dir string, inv *Inventory) ([]*Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, inputErr(dir, 0, err)
	}
	var out []*Migration
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		m, err := loadMigration(fsys, path.Join(dir, e.Name()), inv)
		if err != nil {
			return nil, err
		}
		if other, dup := seen[m.Metadata.Name]; dup {
			return nil, inputErr(m.File, 0, fmt.Errorf("%w: migration %q is also in %s", ErrDuplicate, m.Metadata.Name, other))
		}
		seen[m.Metadata.Name] = m.File
		out = append(out, m)
	}
	return out, nil
}

func loadMigration(fsys fs.FS, name string, inv *Inventory) (*Migration, error) {
	m := &Migration{File: name}
	root, err := decodeFile(fsys, name, m)
	if err != nil {
		return nil, err
	}
	fail := func(err error, keys ...string) error { return inputErr(name, lineOf(root, keys...), err) }
	if m.APIVersion != APIVersion || m.Kind != "Migration" {
		return nil, fail(fmt.Errorf("%w: want apiVersion %s and kind Migration", ErrMissingField, APIVersion), "kind")
	}
	if err := CheckName("migration", m.Metadata.Name); err != nil {
		return nil, fail(err, "metadata", "name")
	}
	s := &m.Spec
	if _, ok := inv.Cluster(s.From); !ok {
		return nil, fail(fmt.Errorf("%w: from: cluster %q is not in the inventory", ErrUnknownName, s.From), "spec", "from")
	}
	if len(s.To) == 0 && !s.Retire {
		return nil, fail(fmt.Errorf("%w: to: no target clusters (a Migration with retire: true may name none)", ErrMissingField), "spec")
	}
	for i, to := range s.To {
		at := []string{"spec", "to", fmt.Sprint(i)}
		if _, ok := inv.Cluster(to); !ok {
			return nil, fail(fmt.Errorf("%w: to: cluster %q is not in the inventory", ErrUnknownName, to), at...)
		}
		if to == s.From || slices.Index(s.To, to) != i {
			return nil, fail(fmt.Errorf("%w: to: cluster %q is the source or named twice", ErrDuplicate, to), at...)
		}
	}
	if len(s.Workloads) == 0 {
		s.Workloads = []string{"*"}
	}
	for i, g := range append(slices.Clone(s.Workloads), s.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fail(fmt.Errorf("%w: workload glob %q: %v", ErrBadName, g, err), "spec", "workloads", fmt.Sprint(i))
		}
	}
	if err := wholeNumbers(root, "steps", true, "spec", "steps"); err != nil {
		return nil, inFile(name, err)
	}
	if len(s.Steps) == 0 {
		s.Steps = []int{10, 50, 100}
	}
	if err := checkSteps(s.Steps); err != nil {
		return nil, fail(fmt.Errorf("%w: %v", ErrBadName, err), "spec", "steps")
	}
	if err := wholeNumbers(root, "maxInFlight", true, "spec", "maxInFlight"); err != nil {
		return nil, inFile(name, err)
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = 1 // absent: one workload at a time
	}
	if nodeAt(root, "spec", "soak") == nil {
		// No default: a Migration that forgot its soak must not merge
		// every stage in the same minute.
		return nil, fail(fmt.Errorf("%w: spec.soak: how long each stage must be merged and healthy before the next, such as 30m (0s for no soak)", ErrMissingField), "spec")
	}
	return m, nil
}
