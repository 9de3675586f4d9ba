package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func connector(name string, tasks int) []Unit {
	us := []Unit{ConnectorUnit(name)}
	for i := range tasks {
		us = append(us, TaskUnit(name, i))
	}
	return us
}

func member(n int, owned ...Unit) Joined {
	return Joined{MemberID: fmt.Sprintf("m%d", n), Metadata: Metadata{WorkerID: fmt.Sprintf("w%d", n), URL: fmt.Sprintf("http://w%d", n), Owned: owned}}
}

// next is what each member would send at the next join: what it was
// assigned, without what it revoked.
func next(plan Plan, ids ...string) []Joined {
	var out []Joined
	for _, p := range plan.Workers {
		if len(ids) > 0 && !slices.Contains(ids, p.MemberID) {
			continue
		}
		out = append(out, Joined{MemberID: p.MemberID, Metadata: Metadata{WorkerID: p.WorkerID, URL: p.URL, Owned: p.Assigned}})
	}
	return out
}

func count(units []Unit, isConnector bool) int {
	n := 0
	for _, u := range units {
		if u.IsConnector() == isConnector {
			n++
		}
	}
	return n
}

// checkSafe fails when a unit is assigned twice, or assigned to a member
// while another member of the same generation still owned it.
func checkSafe(t *testing.T, members []Joined, plan Plan) {
	t.Helper()
	owner := map[Unit]string{}
	for _, m := range members {
		for _, u := range m.Owned {
			owner[u] = m.MemberID // a unit owned twice: any owner but one must revoke
		}
	}
	placed := map[Unit]string{}
	for _, p := range plan.Workers {
		for _, u := range p.Assigned {
			if other, dup := placed[u]; dup {
				t.Fatalf("%v assigned to %s and %s", u, other, p.MemberID)
			}
			placed[u] = p.MemberID
			if o, owned := owner[u]; owned && !ownedBy(members, p.MemberID, u) {
				t.Fatalf("%v assigned to %s while %s still owns it", u, p.MemberID, o)
			}
		}
	}
}

func ownedBy(members []Joined, id string, u Unit) bool {
	for _, m := range members {
		if m.MemberID == id {
			return slices.Contains(m.Owned, u)
		}
	}
	return false
}

// checkBalanced fails unless every unit is placed and each member's share of
// each kind is within one of every other's.
func checkBalanced(t *testing.T, plan Plan) {
	t.Helper()
	placed := 0
	for _, isConnector := range []bool{true, false} {
		lo, hi := 1<<30, -1
		for _, p := range plan.Workers {
			if p.Error != "" {
				continue
			}
			n := count(p.Assigned, isConnector)
			lo, hi = min(lo, n), max(hi, n)
			placed += n
		}
		if hi-lo > 1 {
			t.Fatalf("unbalanced (connectors=%v): %d to %d per member: %+v", isConnector, lo, hi, plan.Workers)
		}
	}
	if placed != len(plan.Units) {
		t.Fatalf("%d of %d units placed: %+v", placed, len(plan.Units), plan.Workers)
	}
}

func TestAssignSpreadsNewUnitsEvenly(t *testing.T) {
	units := append(append(connector("a", 3), connector("b", 2)...), connector("c", 1)...)
	members := []Joined{member(1), member(2), member(3)}
	plan := Assign(members, units)
	checkSafe(t, members, plan)
	checkBalanced(t, plan)
	for _, p := range plan.Workers {
		if count(p.Assigned, false) != 2 || count(p.Assigned, true) != 1 || len(p.Revoked) != 0 {
			t.Fatalf("want 2 tasks and 1 connector each, nothing revoked: %+v", p)
		}
	}
}

func TestAssignIsStickyWhenNothingChanges(t *testing.T) {
	units := append(connector("a", 4), connector("b", 5)...)
	first := Assign([]Joined{member(1), member(2), member(3)}, units)
	again := Assign(next(first), units)
	for i := range first.Workers {
		if !slices.Equal(first.Workers[i].Assigned, again.Workers[i].Assigned) || len(again.Workers[i].Revoked) > 0 {
			t.Fatalf("placement moved without a reason:\n%+v\n%+v", first.Workers[i], again.Workers[i])
		}
	}
}

func TestAssignMovesOnlyTheDeadMembersUnits(t *testing.T) {
	units := append(connector("a", 3), connector("b", 3)...)
	first := Assign([]Joined{member(1), member(2), member(3)}, units)
	survivors := next(first, "m1", "m2")
	after := Assign(survivors, units)
	checkSafe(t, survivors, after)
	checkBalanced(t, after)
	for _, p := range after.Workers {
		if len(p.Revoked) > 0 {
			t.Fatalf("a survivor had units revoked: %+v", p)
		}
		before, _ := first.For(p.MemberID)
		for _, u := range before.Assigned {
			if !slices.Contains(p.Assigned, u) {
				t.Fatalf("%s lost %v although it survived", p.MemberID, u)
			}
		}
	}
}

func TestAssignMakesRoomForANewMemberInTwoSteps(t *testing.T) {
	units := connector("a", 6)
	first := Assign([]Joined{member(1), member(2)}, units)
	joined := append(next(first), member(3))
	second := Assign(joined, units)
	checkSafe(t, joined, second)
	newcomer, _ := second.For("m3")
	if count(newcomer.Assigned, false) != 0 {
		t.Fatalf("the newcomer got tasks still owned elsewhere: %+v", newcomer)
	}
	revoked := 0
	for _, p := range second.Workers {
		revoked += count(p.Revoked, false)
	}
	if revoked != 2 {
		t.Fatalf("want exactly 2 tasks revoked to make room, got %d: %+v", revoked, second.Workers)
	}
	third := Assign(next(second), units)
	checkSafe(t, next(second), third)
	checkBalanced(t, third)
	newcomer, _ = third.For("m3")
	if count(newcomer.Assigned, false) != 2 {
		t.Fatalf("the newcomer should now hold 2 tasks: %+v", newcomer)
	}
}

func TestAssignRefusesADuplicateWorkerID(t *testing.T) {
	units := connector("a", 2)
	old := member(1, units...)
	twin := Joined{MemberID: "m0", Metadata: Metadata{WorkerID: "w1", URL: "http://elsewhere"}}
	plan := Assign([]Joined{old, twin}, units)
	p, _ := plan.For("m0")
	if p.Error == "" || len(p.Assigned) != 0 {
		t.Fatalf("the twin joining second must be refused with a reason: %+v", p)
	}
	kept, _ := plan.For("m1")
	if len(kept.Assigned) != len(units) {
		t.Fatalf("the first worker must keep its units: %+v", kept)
	}
	sameURL := Joined{MemberID: "m9", Metadata: Metadata{WorkerID: "w9", URL: old.URL}}
	plan = Assign([]Joined{old, sameURL}, units)
	if p, _ := plan.For("m9"); p.Error == "" {
		t.Fatalf("a second worker with the same URL must be refused: %+v", p)
	}
}

func TestAssignRevokesUnitsNoLongerWanted(t *testing.T) {
	plan := Assign([]Joined{member(1, connector("gone", 1)...)}, connector("kept", 1))
	p, _ := plan.For("m1")
	if !slices.Equal(p.Revoked, connector("gone", 1)) || !slices.Equal(p.Assigned, connector("kept", 1)) {
		t.Fatalf("got %+v", p)
	}
}

// TestAssignNeverPlacesAUnitTwice drives random joins, deaths and config
// changes and checks the safety invariant every generation, and that a
// stable group converges to a balanced placement.
func TestAssignNeverPlacesAUnitTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var units []Unit
		for c := range 1 + rng.IntN(4) {
			units = append(units, connector(fmt.Sprintf("c%d", c), rng.IntN(6))...)
		}
		members := []Joined{member(0)}
		nextID := 1
		for step := range 12 {
			plan := Assign(members, units)
			checkSafe(t, members, plan)
			members = next(plan)
			switch rng.IntN(5) {
			case 0:
				members = append(members, member(nextID))
				nextID++
			case 1:
				if len(members) > 1 {
					i := rng.IntN(len(members))
					members = slices.Delete(members, i, i+1)
				}
			case 2:
				units = append(units, connector(fmt.Sprintf("n%d-%d", round, step), rng.IntN(4))...)
			}
		}
		// No more changes: two generations settle everything.
		for range 2 {
			plan := Assign(members, units)
			checkSafe(t, members, plan)
			members = next(plan)
		}
		checkBalanced(t, Assign(members, units))
	}
}
