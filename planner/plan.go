package planner

import (
	"time"
)

// Phase is where a workload stands in a Migration, derived from the tree.
type Phase int

const (
	// NotStarted: selected, not pinned, no target present.
	NotStarted Phase = iota
	// Pinned: pinned by the Migration, no target yet.
	Pinned
	// Deployed: every target has its overlay and registration (and a
	// backend at weight 0 when the workload has traffic).
	Deployed
	// Shifting: some traffic, less than 100%, is on the targets.
	Shifting
	// Shifted: all traffic is on the targets; the source still exists.
	Shifted
	// CleanedUp: the source is gone; the pin remains.
	CleanedUp
	// Done: moved and unpinned.
	Done
	// RollingBack: aborting; targets still present.
	RollingBack
	// RolledBack: the Migration was rolled back for this workload; it
	// stays on the source.
	RolledBack
	// Unexplained: the tree is in a state no stage explains (changed by
	// hand); the workload stops until a person fixes it.
	Unexplained
)

var phaseNames = [...]string{"not-started", "pinned", "deployed", "shifting", "shifted", "cleaned-up", "done", "rolling-back", "rolled-back", "unexplained"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// MarshalText writes the phase's name.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Plan is the planner's answer: one Entry per (Migration, workload) the
// Migrations select or pin, sorted by Migration then workload.
type Plan struct {
	Now     time.Time `json:"now"`
	Entries []Entry   `json:"entries"`
}

// Entry is the plan for one workload in one Migration.
type Entry struct {
	Migration string `json:"migration"`
	Workload  string `json:"workload"`
	Phase     Phase  `json:"phase"`
	// Share is the percentage of traffic on the targets now (0 when the
	// workload has no traffic).
	Share int `json:"share"`
	// Next is the action to take now, or nil when the workload waits or
	// is finished.
	Next *Action `json:"next,omitempty"`
	// Wait is the gate that holds the workload, with its figures ("soak
	// 12m of 30m", "gke-eu-2 not healthy at 3f2a1c0", "maxInFlight 5
	// reached", "paused", "PR #41 closed unmerged", "validation: ..." as
	// String renders them). Nil when Next is set or the workload is done.
	Wait *Gate `json:"wait,omitempty"`
	// BlockedBy is the pull request the workload waits on, when a person's
	// act on it stops the stage: held, a commit ferry did not write, or
	// closed without merging.
	BlockedBy *PR `json:"blockedBy,omitempty"`
}

// Finished reports whether no workload has anything left to do: each is
// done, or stopped by validation or by unreadable files, which no time or
// health will change.
func (p *Plan) Finished() bool {
	for _, e := range p.Entries {
		if e.Phase == Done {
			continue
		}
		if e.Next != nil || e.Wait == nil || (e.Wait.Kind != GateValidation && e.Wait.Kind != GateUnreadable) {
			return false
		}
	}
	return true
}

// Action is one stage to carry out: the edit to make, as data.
type Action struct {
	Migration string   `json:"migration"`
	Workload  string   `json:"workload"`
	Stage     Stage    `json:"stage"`
	From      string   `json:"from"`
	To        []string `json:"to"`
	// Weights are the weights to set (Shift, Rollback): every cluster with
	// a backend. Clusters other than the source and the targets keep their
	// weight; the pool of the source's and targets' weights is split (see
	// ShiftWeights).
	Weights map[string]int `json:"weights,omitempty"`
	// PR is the open pull request already carrying this stage, if any;
	// the bot updates it rather than opening another.
	PR int `json:"pr,omitempty"`
	// Gates are the gates that passed, with their figures, for the pull
	// request body: "soak 31m of 30m", "gke-eu-2 healthy at 3f2a1c0".
	Gates []Gate `json:"gates,omitempty"`
	// Derivation, for a deploy, is every replacement that derives the
	// targets' files from the source's, as the bot found it: read it
	// before it happens.
	Derivation []Replacement `json:"derivation,omitempty"`
}

// A Replacement is one source string that becomes a target's in a derived
// file: Key names it in the inventory (name, a value's key, or
// workloads.W.key).
type Replacement struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Key    string `json:"key"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Within string `json:"within,omitempty"` // the dotted name it is part of
}
