package join

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

// A left join: a student alone is output with nulls; its user's arrival
// retracts that row for the joined one; the user's changes and delete
// update it; the student's delete retracts it.
func TestLeftJoinLeftFirst(t *testing.T) {
	h := newHarness(t, nil, 1)
	wantOut(t, h.send(student(1, 7)),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':null,'status':null}}`)
	wantOut(t, h.send(user(1, "Ann", "NORMAL")),
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':null,'status':null},'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(user(1, "Ann", "FROZEN")),
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'}}`)
	wantOut(t, h.send(tombstone("user", 1)),
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'},'after':{'id':1,'channel':7,'name':null,'status':null}}`)
	wantOut(t, h.send(student(1, 8)),
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':null,'status':null},'after':{'id':1,'channel':8,'name':null,'status':null}}`)
	wantOut(t, h.send(tombstone("student", 1)),
		`[1] {'op':'d','before':{'id':1,'channel':8,'name':null,'status':null},'after':null}`)
	wantCounts(t, h, map[string]int64{"joined": 2, "unmatched": 3, "inserted": 1, "updated": 4, "deleted": 1, "emitted": 6, "waiting": 1})
	if n := len(h.op.state.Part(0).Rows); n != 0 {
		t.Errorf("%d keys held after both sides left", n)
	}
	h.start()
	if n := len(h.op.state.Part(0).Rows); n != 0 {
		t.Errorf("%d keys restored after both sides left", n)
	}
}

// A left join whose right row comes first: nothing until the left row.
func TestLeftJoinRightFirst(t *testing.T) {
	h := newHarness(t, nil, 1)
	wantOut(t, h.send(user(2, "Bob", "NORMAL")))
	wantOut(t, h.send(student(2, 5)),
		`[2] {'op':'c','before':null,'after':{'id':2,'channel':5,'name':'Bob','status':'NORMAL'}}`)
	wantCounts(t, h, map[string]int64{"waiting": 1, "joined": 1, "inserted": 1})
}

// An inner join outputs a key only while both sides have a row, whichever
// comes first.
func TestInnerJoin(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner"}, 1)
	wantOut(t, h.send(student(1, 7)))
	wantOut(t, h.send(user(2, "Bob", "NORMAL")))
	wantOut(t, h.send(user(1, "Ann", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(student(2, 9)),
		`[2] {'op':'c','before':null,'after':{'id':2,'channel':9,'name':'Bob','status':'NORMAL'}}`)
	wantOut(t, h.send(tombstone("user", 1)),
		`[1] {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':null}`)
	wantOut(t, h.send(user(1, "Ann", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(tombstone("student", 2)),
		`[2] {'op':'d','before':{'id':2,'channel':9,'name':'Bob','status':'NORMAL'},'after':null}`)
	// The user of the student deleted waits for a new student.
	wantOut(t, h.send(student(2, 3)),
		`[2] {'op':'c','before':null,'after':{'id':2,'channel':3,'name':'Bob','status':'NORMAL'}}`)
	wantCounts(t, h, map[string]int64{"waiting": 4, "joined": 4, "inserted": 4, "deleted": 2, "unmatched": 0})
}

// Many records of a key in one batch: each change comes out in order, and
// a change that makes the output what it was emits nothing.
func TestOneBatchManyChanges(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner"}, 1)
	wantOut(t, h.send(student(1, 7), user(1, "Ann", "NORMAL"), user(1, "Ann", "FROZEN"), student(1, 7), tombstone("student", 1), student(1, 8)),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`,
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'}}`,
		`[1] {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'},'after':null}`,
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':8,'name':'Ann','status':'FROZEN'}}`)
	wantCounts(t, h, map[string]int64{"unchanged": 1})
}

// A version equal to the row held emits nothing, and neither does a new
// version whose output is the row emitted (update_time is not output).
func TestUnchangedVersionsEmitNothing(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.send(student(1, 7), user(1, "Ann", "NORMAL"))
	logged := len(h.log[0])
	wantOut(t, h.send(student(1, 7), user(1, "Ann", "NORMAL")))
	if len(h.log[0]) != logged {
		t.Errorf("repeats wrote %d changelog entries", len(h.log[0])-logged)
	}
	wantOut(t, h.send(rec("student", 1, `{"id":1,"channel_id":7,"update_time":1704067299999}`)))
	wantCounts(t, h, map[string]int64{"unchanged": 2, "same_output": 1, "emitted": 2})
	// The new update_time is held, all the same.
	h.start()
	wantOut(t, h.send(rec("student", 1, `{"id":1,"channel_id":7,"update_time":1704067299999}`)))
	wantCounts(t, h, map[string]int64{"unchanged": 1})
}

// output.key.fields keys the outputs by group; an update that changes the
// group is a delete under the old key and a create under the new one.
func TestKeyMovingUpdateSplits(t *testing.T) {
	h := newHarness(t, map[string]string{"output.key.fields": "status,channel"}, 1)
	wantOut(t, h.send(student(1, 7), user(1, "Ann", "NORMAL")),
		`[null,7] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':null,'status':null}}`,
		`[null,7] {'op':'d','before':{'id':1,'channel':7,'name':null,'status':null},'after':null}`,
		`['NORMAL',7] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(user(1, "Anna", "NORMAL")),
		`['NORMAL',7] {'op':'u','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':{'id':1,'channel':7,'name':'Anna','status':'NORMAL'}}`)
	wantOut(t, h.send(student(1, 8)),
		`['NORMAL',7] {'op':'d','before':{'id':1,'channel':7,'name':'Anna','status':'NORMAL'},'after':null}`,
		`['NORMAL',8] {'op':'c','before':null,'after':{'id':1,'channel':8,'name':'Anna','status':'NORMAL'}}`)
	wantCounts(t, h, map[string]int64{"split": 2, "updated": 1, "inserted": 1})
}

// where is SQL's WHERE over the join: a row that stops meeting it is
// retracted, and one that starts to is created. A null-padded row of a
// left join does not meet a condition on the right side.
func TestWhereRetracts(t *testing.T) {
	h := newHarness(t, map[string]string{
		"where": `right.name NOT LIKE '%测试%' AND right.name NOT LIKE 'DM\_%' AND right.name NOT LIKE '%test%' AND status = 'NORMAL'`,
	}, 1)
	wantOut(t, h.send(student(1, 7)))
	wantOut(t, h.send(user(1, "Ann", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(user(1, "Ann", "FROZEN")),
		`[1] {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':null}`)
	wantOut(t, h.send(user(1, "Ann", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(user(1, "DM_Ann", "NORMAL")),
		`[1] {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':null}`)
	// DMAnn is no DM_ account: the \_ is a literal underscore.
	wantOut(t, h.send(user(1, "DMAnn", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'DMAnn','status':'NORMAL'}}`)
	h.send(student(2, 7), user(2, "小明测试", "NORMAL"), student(3, 7), user(3, "a test b", "NORMAL"))
	wantCounts(t, h, map[string]int64{"filtered": 7, "inserted": 3, "deleted": 2})
}

// Debezium envelopes: an update is its after, a delete its before, a
// snapshot read a row; the tombstone after a delete deletes nothing more.
func TestDebeziumEnvelopes(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner"}, 1)
	wantOut(t, h.send(
		envelope("student", 1, "r", "null", `{"id":1,"channel_id":7,"update_time":1}`),
		envelope("user", 1, "c", "null", `{"id":1,"name":"Ann","register_date_time":1704110400000,"status":"NORMAL","password":"x"}`),
	), `[1] {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(envelope("user", 1, "u", `{"id":1,"name":"Ann","status":"NORMAL"}`, `{"id":1,"name":"Ann","status":"FROZEN"}`)),
		`[1] {'op':'u','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'}}`)
	wantOut(t, h.send(envelope("student", 1, "d", `{"id":1,"channel_id":7}`, "null"), tombstone("student", 1)),
		`[1] {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'FROZEN'},'after':null}`)
	wantCounts(t, h, map[string]int64{"unknown_delete": 1})
	if len(h.faults) > 0 {
		t.Fatal(h.faultTexts())
	}
}

// Without key fields the join is by Kafka key, which the output is keyed by
// too.
func TestKafkaKeyJoin(t *testing.T) {
	h := newHarness(t, map[string]string{"left.key.fields": "", "right.key.fields": "", "join.type": "inner"}, 1)
	wantOut(t, h.send(student(1, 7), user(1, "Ann", "NORMAL")),
		`{'id':1} {'op':'c','before':null,'after':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'}}`)
	wantOut(t, h.send(envelope("user", 1, "d", `{"id":1}`, "null")),
		`{'id':1} {'op':'d','before':{'id':1,'channel':7,'name':'Ann','status':'NORMAL'},'after':null}`)
	nokey := student(2, 1)
	nokey.Key = nil
	h.send(nokey)
	if f := h.faultTexts(); len(f) != 1 || !strings.Contains(f[0], "no key") {
		t.Fatalf("faults %q", f)
	}
}

// State is per input partition: the same id in two partitions is two keys
// (co-partitioned inputs never do that), and each partition's state is
// logged to its own changelog partition.
func TestStatePerPartition(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner"}, 2)
	s, u := student(1, 7), user(1, "Ann", "NORMAL")
	u.Partition = 1
	wantOut(t, h.send(s, u))
	u.Partition = 0
	if got := h.send(u); len(got) != 1 {
		t.Fatalf("outputs %q", got)
	}
	if len(h.log[0]) != 2 || len(h.log[1]) != 1 {
		t.Fatalf("changelog entries per partition: %d, %d", len(h.log[0]), len(h.log[1]))
	}
}

// Bad records come back as faults, each with a clear reason, and the rest
// of the batch goes on.
func TestBadInput(t *testing.T) {
	h := newHarness(t, nil, 1)
	bad := []struct {
		rec  sdk.Record
		want string
	}{
		{rec("student", 1, `{"id":1,"channel_id":`), "unexpected end"},
		{rec("student", 1, `[1]`), "not an object"},
		{rec("student", 1, `{"id":null,"channel_id":1}`), "key field id is null"},
		{rec("user", 1, `{"id":"x"}`), `"x" is not a long`},
		{rec("user", 1, `{"op":"u","before":{"id":1},"after":null}`), "without after"},
		{rec("user", 1, `{"op":"d","before":null,"after":{"id":1}}`), "without before"},
		{rec("user", 1, `{"op":"z","after":{"id":1}}`), "unknown op"},
		{rec("other", 1, `{"id":1}`), "topic other is in none"},
		{sdk.Record{Topic: "student"}, "tombstone without a key"},
		{sdk.Record{Topic: "student", Key: []byte(`{"id":"q"}`)}, "tombstone key"},
	}
	recs := []sdk.Record{student(5, 1)}
	for _, b := range bad {
		recs = append(recs, b.rec)
	}
	recs = append(recs, user(5, "Eve", "NORMAL"))
	out, err := h.op.Process(t.Context(), recs)
	if err != nil {
		t.Fatal(err)
	}
	var faults []sdk.Record
	for _, r := range out {
		if r.Fault != nil {
			faults = append(faults, r)
		}
	}
	if len(faults) != len(bad) {
		t.Fatalf("%d faults for %d bad records", len(faults), len(bad))
	}
	for i, b := range bad {
		f := faults[i]
		if f.Topic != b.rec.Topic || string(f.Value) != string(b.rec.Value) || string(f.Key) != string(b.rec.Key) {
			t.Errorf("fault %d is not its input record: %+v", i, f)
		}
		if !strings.Contains(f.Fault.Error(), b.want) {
			t.Errorf("fault %d: %v, want one mentioning %q", i, f.Fault, b.want)
		}
	}
	if got := h.take(out, true); len(got) != 2 {
		t.Fatalf("good records gave %q", got)
	}
}

// A value a function cannot take withdraws the key's output and
// dead-letters the record; the row is held, and a later version that
// computes brings the output back.
func TestComputeErrorWithdrawsOutput(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner", "output.fields": "id = left.id, n = cast(right.name as long)"}, 1)
	wantOut(t, h.send(student(1, 7), user(1, "12", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'n':12}}`)
	wantOut(t, h.send(user(1, "abc", "NORMAL")),
		`[1] {'op':'d','before':{'id':1,'n':12},'after':null}`)
	if f := h.faultTexts(); len(f) != 1 || !strings.Contains(f[0], `output field n: cast: "abc" is not a long`) {
		t.Fatalf("faults %q", f)
	}
	// The student changes: still nothing to output, and the record is
	// fine.
	wantOut(t, h.send(student(1, 8)))
	wantOut(t, h.send(user(1, "13", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'n':13}}`)
	wantCounts(t, h, map[string]int64{"compute_errors": 2})
}

// The before of an update is the row emitted, as emitted: a restart with
// other output expressions retracts the old row, not a recomputation of
// it, so downstream counts never drift.
func TestBeforeIsTheRowEmitted(t *testing.T) {
	h := newHarness(t, map[string]string{"join.type": "inner", "output.fields": "id = left.id, who = upper(right.name)"}, 1)
	h.send(student(1, 7), user(1, "ann", "NORMAL"))
	h.cfg["output.fields"] = "id = left.id, who = lower(right.name)"
	h.start()
	wantOut(t, h.send(user(1, "Bob", "NORMAL")),
		`[1] {'op':'u','before':{'id':1,'who':'ANN'},'after':{'id':1,'who':'bob'}}`)
	// The output alone changed: the next version of any side updates it.
	h.cfg["output.fields"] = "id = left.id, who = concat('x', right.name)"
	h.start()
	wantOut(t, h.send(student(1, 7)))
	wantOut(t, h.send(student(1, 8)),
		`[1] {'op':'u','before':{'id':1,'who':'bob'},'after':{'id':1,'who':'xBob'}}`)
}

// state.ttl.ms forgets keys with no record for that long, without a
// retraction; any record of a key keeps it alive.
func TestStateTTL(t *testing.T) {
	h := newHarness(t, map[string]string{"state.ttl.ms": "60000", "join.type": "inner"}, 1)
	h.send(student(1, 7), user(1, "Ann", "NORMAL"), student(2, 7))
	h.clock = h.clock.Add(40 * time.Second)
	h.send(user(1, "Ann", "NORMAL")) // unchanged, but alive
	if got := h.tick(30 * time.Second); len(got) != 0 {
		t.Fatalf("expiry emitted %q", got)
	}
	if _, ok := h.op.state.Part(0).Rows[string(key(2))]; ok {
		t.Fatal("key 2 not forgotten after 70 s")
	}
	if _, ok := h.op.state.Part(0).Rows[string(key(1))]; !ok {
		t.Fatal("key 1 forgotten 30 s after its last record")
	}
	wantCounts(t, h, map[string]int64{"expired": 1})
	// Past its time, a key is gone for Process even before a sweep: its
	// user alone makes no row.
	h.clock = h.clock.Add(31 * time.Second)
	wantOut(t, h.send(user(1, "Ann", "FROZEN")))
	wantCounts(t, h, map[string]int64{"expired": 2, "waiting": 3})
	h.start()
	if n := len(h.op.state.Part(0).Rows); n != 1 {
		t.Fatalf("%d keys restored, want the user of 1 alone", n)
	}
}

// key is the join key of an id, as the state holds it.
func key(id int64) []byte { return stream.AppendKey(nil, value.OfInt(id)) }

// State written for other fields is refused at restore rather than
// misread; a changed output is not another state.
func TestRestoreRefusesOtherFields(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.send(student(1, 7))
	for _, cfg := range []map[string]string{
		{"left.fields": "id:long,channel_id:string,update_time:long"},
		{"right.fields": "id:long,name"},
		{"left.key.fields": "", "right.key.fields": ""},
	} {
		cfg["output.fields"] = "id = left.id"
		p, err := compile(configOf(cfg))
		if err != nil {
			t.Fatal(err)
		}
		op := &Operator{}
		op.init(p, time.Now, nil)
		kv := h.log[0][0]
		if err := op.Restore(0, kv[0], kv[1]); !errors.Is(err, errStoredPrint) {
			t.Errorf("%v: restore gave %v", cfg, err)
		}
	}
	p, err := compile(configOf(map[string]string{"output.fields": "x = left.id"}))
	if err != nil {
		t.Fatal(err)
	}
	op := &Operator{}
	op.init(p, time.Now, nil)
	kv := h.log[0][0]
	if err := op.Restore(0, kv[0], kv[1]); err != nil {
		t.Errorf("restore with another output: %v", err)
	}
	for _, bad := range [][2][]byte{{[]byte("x1"), kv[1]}, {kv[0], kv[1][:len(kv[1])-1]}, {kv[0], append([]byte{9}, kv[1][1:]...)}} {
		if err := op.Restore(0, bad[0], bad[1]); err == nil {
			t.Errorf("restore of %q = %q succeeded", bad[0], bad[1])
		}
	}
}

// Repeats of the rows held cost no allocation per record: planning a
// batch keys its overlay by the batch's own memory, not by a copy of each
// key.
func TestRepeatsAllocateNothing(t *testing.T) {
	h := newHarness(t, nil, 1)
	var batch []sdk.Record
	for id := range 200 {
		batch = append(batch, student(id, 7), user(id, "Ann", "NORMAL"))
	}
	h.send(batch...)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := h.op.Process(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		h.op.Changes()
	})
	if perRecord := allocs / float64(len(batch)); perRecord > 0.05 {
		t.Fatalf("%.0f allocations for a batch of %d repeats: %.2f per record", allocs, len(batch), perRecord)
	}
}
