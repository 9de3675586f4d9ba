package cluster

import (
	"cmp"
	"fmt"
	"slices"
)

// Assign computes the placement of units over the members of a generation.
//
// It is sticky and incremental: a unit one member owns stays there; units
// nobody owns (new, or their owner left the group) go to the least loaded
// members; a member above its fair share has the excess revoked, to be placed
// by the next generation once it has stopped them, so that a unit never runs
// on two members. Connectors and tasks are balanced separately, as each
// kind's load differs. Members with a duplicate worker id or URL are refused
// (Placement.Error) and get nothing.
func Assign(members []Joined, units []Unit) Plan {
	members = slices.Clone(members)
	slices.SortFunc(members, func(a, b Joined) int { return cmp.Compare(a.MemberID, b.MemberID) })
	admitted, refused := admit(members)

	wanted := map[Unit]bool{}
	for _, u := range units {
		wanted[u] = true
	}
	assigned := map[string][]Unit{}
	revoked := map[string][]Unit{}
	busy := map[Unit]bool{} // owned by some member: not assignable this generation
	for _, m := range refused {
		for _, u := range m.Owned {
			busy[u] = true
			revoked[m.MemberID] = append(revoked[m.MemberID], u)
		}
	}
	for _, m := range admitted {
		owned := slices.Clone(m.Owned)
		SortUnits(owned)
		for _, u := range owned {
			switch {
			case !wanted[u]:
				// Deleted or stopped: the member stops it on its own, but
				// saying so makes it rejoin once done.
				revoked[m.MemberID] = append(revoked[m.MemberID], u)
			case busy[u]:
				revoked[m.MemberID] = append(revoked[m.MemberID], u)
			default:
				busy[u] = true
				assigned[m.MemberID] = append(assigned[m.MemberID], u)
			}
		}
	}

	for _, isConnector := range []bool{true, false} {
		var kind []Unit
		for _, u := range units {
			if u.IsConnector() == isConnector {
				kind = append(kind, u)
			}
		}
		balance(admitted, kind, isConnector, assigned, revoked, busy)
	}

	plan := Plan{Version: 1, Units: slices.Clone(units)}
	SortUnits(plan.Units)
	for _, m := range members {
		p := Placement{MemberID: m.MemberID, WorkerID: m.WorkerID, URL: m.URL,
			Assigned: nonNil(assigned[m.MemberID]), Revoked: revoked[m.MemberID], Error: refused[m.MemberID].reason}
		SortUnits(p.Assigned)
		SortUnits(p.Revoked)
		plan.Workers = append(plan.Workers, p)
	}
	return plan
}

type refusal struct {
	Joined
	reason string
}

// admit refuses every member but one of each worker id and each URL. The one
// kept is the one owning most (the one that was there first), then the
// smallest member id, so a worker restarted before its old session expired
// waits for that session instead of taking over a live twin's units.
func admit(members []Joined) ([]Joined, map[string]refusal) {
	order := slices.Clone(members)
	slices.SortStableFunc(order, func(a, b Joined) int { return cmp.Compare(len(b.Owned), len(a.Owned)) })
	byID := map[string]Joined{}
	byURL := map[string]Joined{}
	refused := map[string]refusal{}
	for _, m := range order {
		if other, dup := byID[m.WorkerID]; dup {
			refused[m.MemberID] = refusal{m, fmt.Sprintf("worker id %q is already in the group (member %s at %s): give every worker its own id, or wait for a previous run's session to expire", m.WorkerID, other.MemberID, other.URL)}
			continue
		}
		if other, dup := byURL[m.URL]; dup && m.URL != "" {
			refused[m.MemberID] = refusal{m, fmt.Sprintf("REST URL %s is already used by worker %q in the group: give every worker its own advertised.url", m.URL, other.WorkerID)}
			continue
		}
		byID[m.WorkerID] = m
		byURL[m.URL] = m
	}
	var admitted []Joined
	for _, m := range members {
		if _, no := refused[m.MemberID]; !no {
			admitted = append(admitted, m)
		}
	}
	return admitted, refused
}

// balance gives every admitted member its fair share of one kind of unit.
func balance(admitted []Joined, units []Unit, isConnector bool, assigned, revoked map[string][]Unit, busy map[Unit]bool) {
	if len(admitted) == 0 {
		return
	}
	load := func(id string) int {
		n := 0
		for _, u := range assigned[id] {
			if u.IsConnector() == isConnector {
				n++
			}
		}
		return n
	}
	// Quotas: floor or floor+1 each; the +1s go to the members holding most
	// already, so that fewer units move.
	order := slices.Clone(admitted)
	slices.SortStableFunc(order, func(a, b Joined) int { return cmp.Compare(load(b.MemberID), load(a.MemberID)) })
	quota := map[string]int{}
	for i, m := range order {
		quota[m.MemberID] = len(units) / len(admitted)
		if i < len(units)%len(admitted) {
			quota[m.MemberID]++
		}
	}
	for _, m := range admitted {
		excess := load(m.MemberID) - quota[m.MemberID]
		if excess <= 0 {
			continue
		}
		var keep []Unit
		// Revoke from the end of the sorted list: the highest task numbers.
		mine := assigned[m.MemberID]
		SortUnits(mine)
		for i := len(mine) - 1; i >= 0; i-- {
			u := mine[i]
			if excess > 0 && u.IsConnector() == isConnector {
				revoked[m.MemberID] = append(revoked[m.MemberID], u)
				excess--
				continue
			}
			keep = append(keep, u)
		}
		assigned[m.MemberID] = keep
	}
	for _, u := range units {
		if busy[u] {
			continue
		}
		var best string
		for _, m := range admitted {
			if best == "" || load(m.MemberID)-quota[m.MemberID] < load(best)-quota[best] {
				best = m.MemberID
			}
		}
		assigned[best] = append(assigned[best], u)
		busy[u] = true
	}
}

func nonNil(us []Unit) []Unit {
	if us == nil {
		return []Unit{}
	}
	return us
}
