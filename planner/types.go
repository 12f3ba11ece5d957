package planner

import (
	"fmt"
	"slices"
	"time"
)

// Input is everything the planner knows: plain data gathered by the caller
// from the repo at the base branch's head, its history, the forge and the
// health provider.
type Input struct {
	// Now is the time the plan is made for.
	Now time.Time
	// Migrations in the repo, in any order.
	Migrations []Migration
	// Workloads is the observed state of every workload in the repo, in any
	// order.
	Workloads []WorkloadState
	// History holds ferry's stage commits on the base branch's first-parent
	// history (the commits with Ferry-* trailers), oldest first.
	History []Event
	// SealedHistory says History is every stage ferry sealed since the
	// Migrations appeared: then a pin without its pin stage there was not
	// ferry's (added by hand), and the workload stops.
	SealedHistory bool
	// Health holds what the health provider reports. With HealthGate false
	// (health kind none) it is ignored and only soak times gate.
	Health     []Observation
	HealthGate bool
	// PRs are ferry's pull requests: the open ones, and for each ferry
	// branch the most recent closed one.
	PRs []PR
	// MaxOpen is how many ferry PRs may be open at once; 0 means no limit.
	MaxOpen int
	// Waves is set when one pull request carries a wave's stage
	// (pullRequests.group: wave): new stages of one wave take one maxOpen
	// slot between them.
	Waves bool
}

// Wave numbers the wave of a workload: the Migration's workloads in name
// order, MaxInFlight to a wave, from 1. Without MaxInFlight all are wave 1.
func (m *Migration) Wave(workload string) int {
	if !slices.Contains(m.Workloads, workload) {
		return 1
	}
	before := 0
	for _, w := range m.Workloads {
		if w < workload {
			before++
		}
	}
	return waveAt(before, m.MaxInFlight)
}

// waveAt is the wave of the workload at rank (0-based, in name order).
func waveAt(rank, maxInFlight int) int {
	if maxInFlight <= 0 {
		return 1
	}
	return rank/maxInFlight + 1
}

// Migration is a Migration file, reduced to what planning needs.
type Migration struct {
	Name string
	From string
	To   []string
	// Retire: each workload's targets are the clusters that already run
	// it besides From, or To when none does (see Targets).
	Retire bool
	// Workloads are the names of the workloads the Migration selects,
	// already matched against its globs and excludes.
	Workloads   []string
	Steps       []int // % of traffic on the targets after each shift stage, ascending, ending at 100
	Soak        time.Duration
	MaxInFlight int // 0 means no limit
	Paused      bool
	Abort       bool
}

// WorkloadState is the observed state of one workload at the base branch's head:
// what the tree says, never what ferry did last.
type WorkloadState struct {
	Name string
	// PinnedBy is the Migration named by the workload's pin marker, or "".
	PinnedBy string
	// Clusters holds, for each cluster with an overlay or a registration of
	// the workload, which of the two it has.
	Clusters map[string]Presence
	// Weights maps each cluster with a traffic backend to its weight. Nil
	// means the workload has no traffic (a worker): it skips the shifts.
	Weights map[string]int
	// Problems are the reasons validation found that the workload cannot
	// move to a target of the Migration that selects it, such as
	// "Deployment/recs-model nodeSelector accelerator nvidia-tesla-a100 not
	// on gke-eu-2". The caller validates only workloads not yet pinned.
	Problems []string
	// Unreadable says why the workload's files could not be read, naming
	// the file and line; the workload stops until a person fixes them,
	// and the others go on.
	Unreadable string
}

// Presence says what of a workload a cluster has.
type Presence struct {
	Overlay      bool
	Registration bool
}

// Event is one of ferry's stage commits, read from its trailers.
type Event struct {
	Migration string
	Workload  string
	Stage     Stage
	Commit    string
	Time      time.Time
}

// Observation is what the health provider reports for a workload on a
// cluster, at a commit: the commit the report vouches for (the cluster runs
// that commit or a later one).
type Observation struct {
	Workload string
	Cluster  string
	Commit   string
	State    Health
	// Err, with State Unknown, is why the provider could not say.
	Err string
}

// Health is the state of a workload on a cluster.
type Health int

const (
	// Unknown: nothing reported.
	Unknown Health = iota
	// Progressing: being rolled out.
	Progressing
	// Healthy: running and ready.
	Healthy
	// Degraded: failed; after a shift this triggers a rollback.
	Degraded
)

func (h Health) String() string {
	switch h {
	case Unknown:
		return "Unknown"
	case Progressing:
		return "Progressing"
	case Healthy:
		return "Healthy"
	case Degraded:
		return "Degraded"
	}
	return fmt.Sprintf("Health(%d)", int(h))
}

// PRState is the state of a pull request.
type PRState int

const (
	PROpen PRState = iota
	PRMerged
	PRClosed // closed without merging
)

// MarshalText writes the state's name: open, merged or closed.
func (s PRState) MarshalText() ([]byte, error) {
	switch s {
	case PROpen:
		return []byte("open"), nil
	case PRMerged:
		return []byte("merged"), nil
	case PRClosed:
		return []byte("closed"), nil
	}
	return nil, fmt.Errorf("unknown pull request state %d", int(s))
}

// PR is one of ferry's pull requests.
type PR struct {
	Number    int     `json:"number"`
	Migration string  `json:"migration"`
	Workload  string  `json:"workload"`
	Stage     Stage   `json:"stage"`
	State     PRState `json:"state"`
	// Held is set when the PR carries the ferry/hold label.
	Held bool `json:"held"`
	// Foreign is set when the PR's head is not the commit ferry pushed.
	Foreign bool `json:"foreign"`
}
