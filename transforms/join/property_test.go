package join

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// model is the brute-force reference of the join: the latest row of each
// side per id, as the records leave them, and the output rows computed
// from nothing but those.
type model struct {
	inner, where bool
	left, right  map[int]string // the JSON the reference reads back
	channel      map[int]int
	name, status map[int]string
	hasL, hasR   map[int]bool
}

func newModel(inner, where bool) *model {
	return &model{inner: inner, where: where, left: map[int]string{}, right: map[int]string{}, channel: map[int]int{},
		name: map[int]string{}, status: map[int]string{}, hasL: map[int]bool{}, hasR: map[int]bool{}}
}

// propertyConfig is the join the reference computes: maybe a where on the
// right side, outputs keyed by channel so that channel changes split.
func (m *model) config() map[string]string {
	cfg := map[string]string{"join.type": "left", "output.key.fields": "channel"}
	if m.inner {
		cfg["join.type"] = "inner"
	}
	if m.where {
		cfg["where"] = "status = 'NORMAL' AND right.name NOT LIKE '%test%'"
	}
	return cfg
}

// table is what the change stream must replay to: the (key, row) pairs of
// every id's output row.
func (m *model) table() map[string]int {
	t := map[string]int{}
	for id := range m.hasL {
		if !m.hasL[id] || m.inner && !m.hasR[id] {
			continue
		}
		if m.where && (!m.hasR[id] || m.status[id] != "NORMAL" || strings.Contains(m.name[id], "test")) {
			continue // where: null is neither NORMAL nor unlike anything
		}
		row := fmt.Sprintf(`{"id":%d,"channel":%d,"name":null,"status":null}`, id, m.channel[id])
		if m.hasR[id] {
			row = fmt.Sprintf(`{"id":%d,"channel":%d,"name":%q,"status":%q}`, id, m.channel[id], m.name[id], m.status[id])
		}
		t[fmt.Sprintf("[%d] %s", m.channel[id], row)]++
	}
	return t
}

// randomStream makes n records over ids, on both sides, spread over parts
// partitions by id: plain rows, Debezium creates, updates, snapshot reads
// and deletes, tombstones and repeats. m follows them.
func randomStream(rng *rand.Rand, m *model, n, ids, parts int) []sdk.Record {
	names := []string{"Ann", "Bob", "a test"}
	statuses := []string{"NORMAL", "NORMAL", "FROZEN"}
	var recs []sdk.Record
	for range n {
		id := rng.IntN(ids)
		topic, isLeft := "user", rng.IntN(2) == 0
		var text string
		if isLeft {
			topic = "student"
			ch := rng.IntN(3)
			text = fmt.Sprintf(`{"id":%d,"channel_id":%d,"update_time":%d}`, id, ch, rng.IntN(2))
		} else {
			text = fmt.Sprintf(`{"id":%d,"name":%q,"register_date_time":1704110400000,"status":%q}`, id, names[rng.IntN(len(names))], statuses[rng.IntN(len(statuses))])
		}
		held, has := m.right[id], m.hasR[id]
		if isLeft {
			held, has = m.left[id], m.hasL[id]
		}
		var r sdk.Record
		del := false
		switch k := rng.IntN(10); {
		case k < 3:
			r = rec(topic, id, text)
		case k < 6:
			r = envelope(topic, id, []string{"c", "u", "r"}[rng.IntN(3)], `{"id":-1}`, text)
		case k < 7:
			r, del = envelope(topic, id, "d", fmt.Sprintf(`{"id":%d}`, id), "null"), true
		case k < 8:
			r, del = tombstone(topic, id), true
		default: // a repeat of what the key holds, or a delete of nothing
			if has {
				r, text = envelope(topic, id, "u", held, held), held
			} else {
				r, del = tombstone(topic, id), true
			}
		}
		r.Partition = int32(id % parts)
		recs = append(recs, r)
		m.set(id, isLeft, del, text)
	}
	return recs
}

func (m *model) set(id int, isLeft, del bool, text string) {
	if isLeft {
		m.hasL[id] = !del
		if !del {
			m.left[id] = text
			m.channel[id], _ = strconv.Atoi(between(text, `"channel_id":`, `,`))
		}
		return
	}
	m.hasR[id] = !del
	if !del {
		m.right[id] = text
		m.name[id] = between(text, `"name":"`, `"`)
		m.status[id] = between(text, `"status":"`, `"`)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

// TestChangeStreamReplaysToTheJoin: whatever the order of the sides'
// versions and deletes, and however they are cut into batches, the change
// records, applied in order, leave exactly the output rows the latest rows
// make, never retracting a row they did not add under that key, never
// updating a row to itself.
func TestChangeStreamReplaysToTheJoin(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 1))
		m := newModel(seed%2 == 0, seed%4 < 2)
		recs := randomStream(rng, m, 2000, 40, 3)
		h := newHarness(t, m.config(), 3)
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(100))
			h.batch(recs[i:end], true)
			i = end
		}
		if len(h.faults) > 0 {
			t.Fatalf("seed %d: fault %v", seed, h.faults[0].Fault)
		}
		if got, want := h.table(), m.table(); !maps.Equal(got, want) {
			t.Fatalf("seed %d (inner %v, where %v): the change stream leaves\n%s\nthe reference\n%s", seed, m.inner, m.where,
				strings.Join(sortedKeys(got), "\n"), strings.Join(sortedKeys(want), "\n"))
		}
		if c := h.op.Counts(); c["split"] == 0 || c["deleted"] == 0 || c["same_output"] == 0 || c["unchanged"] == 0 || m.where && c["filtered"] == 0 || !m.inner && c["unmatched"] == 0 {
			t.Fatalf("seed %d: the stream did not exercise the operator: %v", seed, c)
		}
	}
}

// TestCrashAndReplayGivesTheUninterruptedResults: the stream cut into
// random batches, some lost (the task died before committing) and replayed
// after a restore from the committed changelog, gives the change stream of
// an uninterrupted run, record for record, and the same state.
func TestCrashAndReplayGivesTheUninterruptedResults(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 2))
		m := newModel(seed%2 == 1, seed%4 < 2)
		recs := randomStream(rng, m, 3000, 60, 4)
		cfg := m.config()
		straight := newHarness(t, cfg, 4)
		straight.batch(recs, true)

		crashy := newHarness(t, cfg, 4)
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(200))
			if rng.IntN(4) == 0 {
				crashy.batch(recs[i:end], false) // lost with the task
				crashy.start()
				continue
			}
			crashy.batch(recs[i:end], true)
			i = end
		}
		if !slices.EqualFunc(straight.out, crashy.out, func(a, b sdk.Record) bool {
			return string(a.Key) == string(b.Key) && string(a.Value) == string(b.Value)
		}) {
			t.Fatalf("seed %d: %d outputs straight, %d with crashes; they differ", seed, len(straight.out), len(crashy.out))
		}
		if got, want := crashy.table(), m.table(); !maps.Equal(got, want) {
			t.Fatalf("seed %d: the change stream with crashes does not replay to the join", seed)
		}
		crashy.start()
		if !sameState(straight.op, crashy.op) {
			t.Fatalf("seed %d: the restored state differs from the uninterrupted one", seed)
		}
	}
}

// sameState compares two operators' entries.
func sameState(a, b *Operator) bool {
	for _, i := range slices.Sorted(maps.Keys(a.state.Parts())) {
		pb := b.state.Lookup(i)
		if pb == nil || !maps.EqualFunc(a.state.Lookup(i).Rows, pb.Rows, func(x, y *entry) bool {
			return string(x.left) == string(y.left) && string(x.right) == string(y.right) &&
				string(x.out) == string(y.out) && string(x.outKey) == string(y.outKey) && x.at == y.at
		}) {
			return false
		}
	}
	return len(a.state.Parts()) == len(b.state.Parts())
}

// TestStateRoundTrips: every entry shape survives the changelog encoding,
// and a cut one does not parse.
func TestStateRoundTrips(t *testing.T) {
	for _, e := range []entry{
		{left: []byte{0}, at: -5},
		{right: []byte{1, 1}, at: 1 << 40},
		{left: []byte{0}, right: []byte{0, 0}, out: []byte(`{"a":1}`), outKey: []byte(`[1]`), at: 7},
		{left: []byte{0}, out: []byte(`{}`), outKey: []byte{}},
	} {
		b := appendState(nil, 42, &e)
		var got entry
		if err := parseState(b, 42, &got); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if string(got.left) != string(e.left) || string(got.right) != string(e.right) || string(got.out) != string(e.out) ||
			string(got.outKey) != string(e.outKey) || got.at != e.at || (got.left == nil) != (e.left == nil) || (got.out == nil) != (e.out == nil) {
			t.Fatalf("%+v came back %+v", e, got)
		}
		for cut := range len(b) {
			if parseState(b[:cut], 42, &entry{}) == nil {
				t.Errorf("%+v cut at %d parses", e, cut)
			}
		}
		if !errors.Is(parseState(b, 43, &entry{}), errStoredPrint) {
			t.Error("another fingerprint parses")
		}
	}
}
