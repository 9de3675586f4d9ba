package cluster

import (
	"cmp"
	"slices"
	"strconv"
)

// Unit is what the cluster places on a worker: a connector (Task is
// ConnectorTask) or one task of it.
type Unit struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// ConnectorTask is the Task of a unit that stands for the connector itself.
const ConnectorTask = -1

// ConnectorUnit is the unit of connector name.
func ConnectorUnit(name string) Unit { return Unit{Connector: name, Task: ConnectorTask} }

// TaskUnit is the unit of task i of connector name.
func TaskUnit(name string, i int) Unit { return Unit{Connector: name, Task: i} }

// IsConnector reports whether u stands for a connector rather than a task.
func (u Unit) IsConnector() bool { return u.Task == ConnectorTask }

func (u Unit) String() string {
	if u.IsConnector() {
		return u.Connector
	}
	return u.Connector + "-" + strconv.Itoa(u.Task)
}

// CompareUnits orders units by connector, then task (the connector first).
func CompareUnits(a, b Unit) int {
	if c := cmp.Compare(a.Connector, b.Connector); c != 0 {
		return c
	}
	return cmp.Compare(a.Task, b.Task)
}

// SortUnits orders units by connector, then task (the connector first).
func SortUnits(us []Unit) { slices.SortFunc(us, CompareUnits) }

// Metadata is what a member tells the group when it joins.
type Metadata struct {
	Version  int    `json:"version"`
	WorkerID string `json:"worker_id"`
	URL      string `json:"url"`
	// Owned lists the units the member runs or is still stopping.
	Owned []Unit `json:"owned"`
}

// Joined is one member of a generation as the leader sees it.
type Joined struct {
	MemberID string
	Metadata
}

// Plan is the leader's placement of every unit, sent to every member, so
// each worker also knows where everything else runs.
type Plan struct {
	Version    int    `json:"version"`
	Generation int32  `json:"generation"`
	Leader     string `json:"leader"` // worker id of the leader
	LeaderURL  string `json:"leader_url"`
	// Units is every unit the leader placed: what the configs asked for.
	Units   []Unit      `json:"units"`
	Workers []Placement `json:"workers"`
}

// Placement is one member's part of a plan.
type Placement struct {
	MemberID string `json:"member_id"`
	WorkerID string `json:"worker_id"`
	URL      string `json:"url"`
	// Assigned units are the member's to run: the ones it kept and new ones.
	Assigned []Unit `json:"assigned"`
	// Revoked units must be stopped before the member rejoins; the next
	// generation places them elsewhere.
	Revoked []Unit `json:"revoked,omitempty"`
	// Error says why the member may not run anything (a duplicate worker id
	// or URL); it stays a member and is admitted once the conflict is gone.
	Error string `json:"error,omitempty"`
}

// For returns the placement of member id.
func (p Plan) For(memberID string) (Placement, bool) {
	for _, w := range p.Workers {
		if w.MemberID == memberID {
			return w, true
		}
	}
	return Placement{}, false
}

// Owner returns the placement holding unit u, if any.
func (p Plan) Owner(u Unit) (Placement, bool) {
	for _, w := range p.Workers {
		if slices.Contains(w.Assigned, u) {
			return w, true
		}
	}
	return Placement{}, false
}
