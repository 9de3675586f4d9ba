package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestStudyTimeSIGKILLExact runs job 4 as its pipeline file says — the smt
// step keying ods.qos_log by user into dwd.qos_log, the interval self-join
// (per PPT_SUCCESS, its data_time minus the earliest data_time of the same
// user and classroom in the 6 h before it) with two tasks over three
// partitions, the rds sink into MariaDB — on QoS records in the seed's
// shapes: plays arriving after their success, exact duplicates, successes
// with nothing before them, a play at the very millisecond of its success,
// and malformed records. It SIGKILLs `tributary dev` while records stream in,
// restarts it, and requires user_enter_classroom_take_time to equal, row for
// row, the join computed here from the same input, every malformed record
// to be dead-lettered exactly once and none to be late.
func TestStudyTimeSIGKILLExact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	my := startMariaDB(ctx, t, dir)
	// The sink creates the table (auto.create), as school.sql leaves it to.
	if err := my.ExecRoot(ctx, "CREATE DATABASE results"); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	restPort, brokerPort := freePort(t), freePort(t)
	dev := startDev(t, data, restPort, brokerPort)
	// Three partitions each: users spread over both join tasks, and a task
	// reads two partitions whose watermarks it must combine.
	createTopic(t, dev.broker, "ods.qos_log", 3)
	createTopic(t, dev.broker, "dwd.qos_log", 3)

	env := map[string]string{"RDS_URL": fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr())}
	applyPipeline(ctx, t, dev, "study-time.json", env)

	in := studyTimeInput(7, 4_000)
	if len(in.want) < 150 {
		t.Fatalf("only %d expected rows: the workload proves little", len(in.want))
	}
	t.Logf("%d records (%d malformed), %d expected rows (%d corrected by a record arriving after the success), %d successes without a row (%d with a record at their very millisecond)",
		len(in.records), in.malformed, len(in.want), in.corrected, in.unmatched, in.ties)

	table := func() []string {
		out, err := my.QueryRoot(ctx, "SELECT user_id, classroom_id, user_type, spend_time, event_time FROM results.user_enter_classroom_take_time")
		if err != nil {
			return nil
		}
		rows := lines(out)
		slices.Sort(rows)
		return rows
	}
	// The first part synchronously, until rows reach the table; the rest
	// streams in while the worker dies.
	split := len(in.records) * 2 / 5
	if err := produceKeyed(dev.broker, "ods.qos_log", in.records[:split], 200, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "rows reach user_enter_classroom_take_time before the kill", func() (bool, string) {
		n := len(table())
		return n >= 30, fmt.Sprintf("%d rows", n)
	})
	before := len(table())
	produced := make(chan error, 1)
	broker := dev.broker // the restarted dev listens there too
	go func() {
		produced <- produceKeyed(broker, "ods.qos_log", in.records[split:], 50, 200*time.Millisecond)
	}()
	// Killed while rows are being written, the rest of the input still
	// to come: every stage has work in flight.
	eventually(t, 60*time.Second, "more rows reach the table", func() (bool, string) {
		n := len(table())
		return n >= before+20, fmt.Sprintf("%d rows, %d before the second part", n, before)
	})
	dev.kill(syscall.SIGKILL)
	select {
	case err := <-produced:
		t.Fatalf("every record was produced before the kill (%v): the test proves nothing", err)
	default:
	}
	t.Logf("SIGKILL with %d rows in the table (%d when the second part began)", len(table()), before)

	dev = startDev(t, data, restPort, brokerPort)
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	eventually(t, 120*time.Second, "user_enter_classroom_take_time equals the join of the input", func() (bool, string) {
		got := table()
		if slices.Equal(got, in.want) {
			return true, ""
		}
		return false, fmt.Sprintf("%d rows, want %d; first difference: %s", len(got), len(in.want), firstDifference(got, in.want))
	})
	if late := countTopic(t, dev.broker, "late.study-time"); late != 0 {
		t.Errorf("%d records went to late.study-time; the input spans less than the allowed lateness", late)
	}
	if dead := countTopic(t, dev.broker, "dlq.study-time"); dead != in.malformed {
		t.Errorf("dlq.study-time holds %d records, want the %d malformed ones, each once", dead, in.malformed)
	}
	// Seconds later, nothing (a replayed worse match, say) has changed it.
	if got := table(); !slices.Equal(got, in.want) {
		t.Errorf("the table changed after it matched: %d rows, want %d; first difference: %s", len(got), len(in.want), firstDifference(got, in.want))
	}
}

// studyTimeRecord is one well-formed qos_log record.
type studyTimeRecord struct {
	user      int
	room      string
	userType  string
	sub       string
	dataTime  int64 // extra.data_time, the join's event time
	eventTime int64 // event_time, which the output row is keyed by
}

// studyTimeWorkload is job 4's input in production order and the table it
// must leave.
type studyTimeWorkload struct {
	records   []orderEvent // value: the JSON; key: an event id, as the app collector keys them
	want      []string     // user_id, classroom_id, user_type, spend_time, event_time, tab-separated, sorted
	malformed int
	corrected int // rows whose earliest earlier record is produced after the success
	unmatched int // successes with nothing before them: no row
	ties      int // successes whose row would differ if a record at their very millisecond counted
}

// studyTimeBase is 2023-11-15 06:13:20 in Asia/Shanghai.
const studyTimeBase = 1700000000000

// studyTimeInput makes about n records: users in some of four recorded
// classrooms, sessions of PPT pages ending (mostly) in a success, and the
// table the job must produce from them. Every data_time lies within 51
// minutes, less than the job's allowed lateness (1 h) plus its
// out-of-orderness, so however the tasks interleave their partitions no
// record is late; some plays are held back to arrive after their success
// (up to 15 minutes of event time), some records are sent twice, and one in
// fifty is followed by a malformed one.
func studyTimeInput(seed uint64, n int) studyTimeWorkload {
	rng := rand.New(rand.NewPCG(seed, 4))
	type key struct {
		user int
		room string
	}
	var recs []studyTimeRecord
	opens := map[int]bool{}               // the first record of each session
	successAt := map[key]map[int64]bool{} // successes' data_time per key: unique, so event_time keys rows uniquely
	addSuccess := func(k key, typ string, dt int64) int64 {
		if successAt[k] == nil {
			successAt[k] = map[int64]bool{}
		}
		for successAt[k][dt] {
			dt++
		}
		successAt[k][dt] = true
		recs = append(recs, studyTimeRecord{k.user, k.room, typ, "PPT_SUCCESS", dt, dt + 100 + int64(k.user%50)})
		return dt
	}
	for len(recs) < n {
		user := 1 + rng.IntN(250)
		typ := "student"
		if user%9 == 0 {
			typ = "teacher"
		}
		k := key{user, fmt.Sprintf("rec-%d", 1+(user+rng.IntN(3))%4)}
		start := studyTimeBase + rng.Int64N(35*60_000)
		t := start
		opens[len(recs)] = true
		for range 1 + rng.IntN(8) {
			sub := "PPT_PLAY"
			if rng.IntN(6) == 0 {
				sub = "PPT_PAUSE" // any record of the user in the classroom counts as a start
			}
			recs = append(recs, studyTimeRecord{user, k.room, typ, sub, t, t + int64(rng.IntN(50))})
			t += 1 + rng.Int64N(90_000)
		}
		switch r := rng.IntN(20); {
		case r < 2: // a session without a success
		case r < 5: // a success before anything else of the session, some with a play at its very millisecond (not before it)
			dt := addSuccess(k, typ, start-1-rng.Int64N(60_000))
			if r < 4 {
				recs = append(recs, studyTimeRecord{user, k.room, typ, "PPT_PLAY", dt, dt + 7})
			}
		default:
			addSuccess(k, typ, t+rng.Int64N(120_000))
		}
	}

	// Production order: by data_time with a few seconds of jitter, some
	// plays (a session's first one more often) held back by up to 15
	// minutes, duplicates sent again later.
	type sent struct {
		at  int64
		val string
		rec int // index in recs; -1: malformed
	}
	var out []sent
	for i, r := range recs {
		at := r.dataTime + rng.Int64N(5_000)
		if r.sub != "PPT_SUCCESS" && (rng.IntN(12) == 0 || opens[i] && rng.IntN(4) == 0) {
			at += rng.Int64N(15 * 60_000)
		}
		v := studyTimeJSON(rng, r)
		out = append(out, sent{at, v, i})
		if rng.IntN(20) == 0 {
			out = append(out, sent{at + rng.Int64N(10*60_000), v, i})
		}
		if i%50 == 0 {
			out = append(out, sent{at, studyTimeMalformed(rng, r), -1})
		}
	}
	slices.SortStableFunc(out, func(a, b sent) int { return cmp.Compare(a.at, b.at) })
	var w studyTimeWorkload
	firstSent := make([]int, len(recs))
	for i := range firstSent {
		firstSent[i] = -1
	}
	for i, s := range out {
		w.records = append(w.records, orderEvent{key: fmt.Sprintf("evt-%d", i), value: s.val})
		switch {
		case s.rec < 0:
			w.malformed++
		case firstSent[s.rec] < 0:
			firstSent[s.rec] = i
		}
	}

	// The join, brute force: per success, the earliest record of its user
	// and classroom in [t - 6 h, t - 1 ms].
	byKey := map[key][]int{}
	for i, r := range recs {
		byKey[key{r.user, r.room}] = append(byKey[key{r.user, r.room}], i)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	for i, r := range recs {
		if r.sub != "PPT_SUCCESS" {
			continue
		}
		first, tied := -1, false
		for _, j := range byKey[key{r.user, r.room}] {
			l := recs[j]
			if l.dataTime >= r.dataTime-21_600_000 && l.dataTime <= r.dataTime-1 && (first < 0 || l.dataTime < recs[first].dataTime) {
				first = j
			}
			tied = tied || j != i && l.dataTime == r.dataTime
		}
		if first < 0 {
			w.unmatched++
			if tied {
				w.ties++
			}
			continue
		}
		if firstSent[first] > firstSent[i] {
			w.corrected++
		}
		w.want = append(w.want, fmt.Sprintf("%d\t%s\t%s\t%d\t%s", r.user, r.room, r.userType, r.dataTime-recs[first].dataTime,
			time.UnixMilli(r.eventTime).In(sh).Format("2006-01-02 15:04:05.000")))
	}
	slices.Sort(w.want)
	return w
}

// studyTimeJSON writes a record in one of the shapes the seed's app sends
// (its JSON_VALUE … cast chain takes them all): numbers as numbers or
// strings, extra as an object or as a JSON-encoded string.
func studyTimeJSON(rng *rand.Rand, r studyTimeRecord) string {
	user, evt := any(r.user), any(r.eventTime)
	if rng.IntN(4) == 0 {
		user, evt = fmt.Sprint(r.user), fmt.Sprint(r.eventTime)
	}
	extra := any(map[string]any{"data_time": fmt.Sprint(r.dataTime), "msg": map[string]any{"pptIndex": fmt.Sprint(1 + rng.IntN(30))}})
	switch rng.IntN(4) {
	case 0:
		b, _ := json.Marshal(extra)
		extra = string(b)
	case 1:
		extra = map[string]any{"data_time": r.dataTime}
	}
	b, _ := json.Marshal(map[string]any{"classroom_id": r.room, "user_type": r.userType, "user_id": user,
		"event_time": evt, "sub_event": r.sub, "extra": extra})
	return string(b)
}

// studyTimeMalformed spoils a success so that the job must refuse it whole
// (dead-letter it): not JSON, no user, a user or a data_time that is not a
// number, no extra, no classroom.
func studyTimeMalformed(rng *rand.Rand, r studyTimeRecord) string {
	m := map[string]any{"classroom_id": r.room, "user_type": r.userType, "user_id": r.user, "event_time": r.eventTime + 1,
		"sub_event": "PPT_SUCCESS", "extra": map[string]any{"data_time": fmt.Sprint(r.dataTime + 1)}}
	switch rng.IntN(6) {
	case 0:
		b, _ := json.Marshal(m)
		return string(b[:len(b)/2])
	case 1:
		delete(m, "user_id")
	case 2:
		m["user_id"] = "u" + fmt.Sprint(r.user)
	case 3:
		m["extra"] = map[string]any{"data_time": "soon"}
	case 4:
		delete(m, "extra")
	default:
		delete(m, "classroom_id")
	}
	b, _ := json.Marshal(m)
	return string(b)
}
