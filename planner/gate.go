package planner

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GateKind names one condition of a stage.
type GateKind int

const (
	// GatePinnedBy: the workload is pinned by Migration (passes a deploy;
	// holds a workload pinned by another Migration).
	GatePinnedBy GateKind = iota + 1
	// GateUnknownMigration: the workload is pinned by Migration, which
	// does not exist.
	GateUnknownMigration
	// GateUnexplained: the tree is in a state no stage explains; Reason
	// says which fact.
	GateUnexplained
	// GateNothingToRollBack: aborting, but the source is already removed.
	GateNothingToRollBack
	// GateRolledBack: the workload was rolled back at Commit.
	GateRolledBack
	// GateAborted: the Migration sets spec.abort (holds a forward stage;
	// passes a rollback stage).
	GateAborted
	// GateRollingBack: a rollback started at Commit.
	GateRollingBack
	// GatePaused: the Migration sets spec.paused.
	GatePaused
	// GateHeld: pull request PR carries the ferry/hold label.
	GateHeld
	// GateForeign: pull request PR's head is a commit ferry did not write.
	GateForeign
	// GateClosed: pull request PR was closed without merging.
	GateClosed
	// GateValidation: validation for Clusters; Problems when it failed.
	GateValidation
	// GateHealthy: Cluster reports the workload healthy, at Commit when
	// set.
	GateHealthy
	// GateDegraded: Cluster reports the workload degraded at Commit (the
	// gate of an automatic rollback).
	GateDegraded
	// GateSoak: the last stage was merged Elapsed ago, and must be Soak
	// ago; NoCommit when the last stage has no ferry commit to time.
	GateSoak
	// GateDrained: Cluster's weight is Weight, and must be 0.
	GateDrained
	// GateTargetsDrained: no traffic is on the targets.
	GateTargetsDrained
	// GateRemoved: Cluster no longer has the workload.
	GateRemoved
	// GateTargetsRemoved: no target has the workload.
	GateTargetsRemoved
	// GateMaxInFlight: Count of Limit workloads in flight.
	GateMaxInFlight
	// GateMaxOpen: the pull request is Count of Limit open at once.
	GateMaxOpen
	// GateUnreadable: the workload's files are bad input; Reason names
	// the file and line.
	GateUnreadable
	// GateRanBefore: a rollback of a workload whose targets ran it before
	// the Migration (ferry did not deploy them): ferry does not know the
	// split to restore, nor may it remove them.
	GateRanBefore
)

// Gate is one condition of a stage with its figures: a gate that passed
// (Action.Gates) or the one that holds a workload (Entry.Wait, with Holds
// set). It is data; String renders it for people, and its text form is
// that rendering.
type Gate struct {
	Kind GateKind
	// Holds is set when the gate holds the workload back.
	Holds     bool
	Migration string
	Cluster   string
	Clusters  []string
	Commit    string
	PR        int
	Weight    int
	Count     int
	Limit     int
	Elapsed   time.Duration
	Soak      time.Duration
	NoCommit  bool
	Reason    string
	Problems  []string
}

// hold returns g marked as the gate that holds the workload.
func hold(g Gate) *Gate {
	g.Holds = true
	return &g
}

// String renders the gate as the plan and pull requests print it: "soak
// 12m of 30m", "gke-eu-2 not healthy at 3f2a1c0", "maxInFlight 5 reached".
func (g Gate) String() string {
	at := ""
	if g.Commit != "" {
		at = " at " + short(g.Commit)
	}
	switch g.Kind {
	case GatePinnedBy:
		return "pinned by " + g.Migration
	case GateUnknownMigration:
		return "pinned by unknown migration " + g.Migration
	case GateUnexplained:
		return "unexplained: " + g.Reason
	case GateRanBefore:
		return "rollback: the targets ran the workload before the migration, so ferry neither removes them nor guesses the weights to restore; set the weights by hand, then unpin"
	case GateNothingToRollBack:
		return "abort: the source is already removed; nothing to roll back to"
	case GateRolledBack:
		return "rolled back at " + short(g.Commit)
	case GateAborted:
		if g.Holds {
			return "aborted"
		}
		return "abort requested"
	case GateRollingBack:
		return "rolling back since " + short(g.Commit)
	case GatePaused:
		return "paused"
	case GateHeld:
		return "held: ferry/hold on PR #" + strconv.Itoa(g.PR)
	case GateForeign:
		return "PR #" + strconv.Itoa(g.PR) + " has a commit ferry did not write"
	case GateClosed:
		return "PR #" + strconv.Itoa(g.PR) + " closed unmerged"
	case GateValidation:
		if !g.Holds {
			return "validated for " + strings.Join(g.Clusters, ", ")
		}
		s := "validation:"
		if len(g.Problems) > 0 {
			s += " " + g.Problems[0]
		}
		if n := len(g.Problems) - 1; n > 0 {
			s += fmt.Sprintf(" (and %d more)", n)
		}
		return s
	case GateHealthy:
		if g.Holds && g.Reason != "" {
			return g.Cluster + " health unknown" + at + ": " + g.Reason
		}
		if g.Holds {
			return g.Cluster + " not healthy" + at
		}
		return g.Cluster + " healthy" + at
	case GateDegraded:
		return g.Cluster + " degraded" + at
	case GateSoak:
		if g.NoCommit {
			return "soak: no ferry commit for the last stage"
		}
		unit := time.Minute
		if g.Soak > 0 && g.Soak < time.Minute {
			unit = time.Second
		}
		return "soak " + FormatDuration(g.Elapsed, unit) + " of " + FormatDuration(g.Soak, unit)
	case GateDrained:
		if g.Holds {
			return fmt.Sprintf("%s still has weight %d", g.Cluster, g.Weight)
		}
		return g.Cluster + " weight 0"
	case GateTargetsDrained:
		return "no traffic on the targets"
	case GateRemoved:
		return g.Cluster + " removed"
	case GateTargetsRemoved:
		return "targets removed"
	case GateMaxInFlight:
		if g.Holds {
			return fmt.Sprintf("maxInFlight %d reached", g.Limit)
		}
		return fmt.Sprintf("maxInFlight %d of %d", g.Count, g.Limit)
	case GateUnreadable:
		return "unreadable: " + g.Reason
	case GateMaxOpen:
		if g.Holds {
			return fmt.Sprintf("maxOpen %d reached", g.Limit)
		}
		return fmt.Sprintf("maxOpen %d of %d", g.Count, g.Limit)
	}
	return fmt.Sprintf("gate %d", int(g.Kind))
}

// gateNames are the kinds' names in JSON, by GateKind.
var gateNames = [...]string{"", "pinned-by", "unknown-migration", "unexplained", "nothing-to-roll-back", "rolled-back",
	"aborted", "rolling-back", "paused", "held", "foreign", "closed", "validation", "healthy", "degraded", "soak",
	"drained", "targets-drained", "removed", "targets-removed", "max-in-flight", "max-open", "unreadable", "ran-before"}

// String is the kind's name: "soak", "max-in-flight".
func (k GateKind) String() string {
	if k > 0 && int(k) < len(gateNames) {
		return gateNames[k]
	}
	return "unknown"
}

// MarshalJSON writes the gate as its kind's name, its text as String
// renders it, and every problem (validation), as "-o json" shows it.
func (g Gate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Gate     string   `json:"gate"`
		Text     string   `json:"text"`
		Problems []string `json:"problems,omitempty"`
	}{g.Kind.String(), g.String(), g.Problems})
}
