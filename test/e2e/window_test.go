package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/test/edu"
)

// TestClassroomPerformanceSIGKILLExact runs job 3 as its pipeline file
// says (the window connector with two tasks over three partitions, then the
// rds sink into MariaDB), SIGKILLs `tributary dev` mid-stream, restarts it,
// and requires the result table to hold exactly the counts computed here
// from the input: a window that was half counted when the worker died is
// neither lost nor counted twice.
func TestClassroomPerformanceSIGKILLExact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	my := startMariaDB(ctx, t, dir)
	if err := my.ExecRoot(ctx, "CREATE DATABASE results"); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	restPort, brokerPort := freePort(t), freePort(t)
	dev := startDev(t, data, restPort, brokerPort)
	createTopic(t, dev.broker, "dwd.student_signal", 3)

	env := map[string]string{"RDS_URL": fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr())}
	applyPipeline(ctx, t, dev, "classroom-performance.json", env)

	signals, want := studentSignals(30_000)
	produced := make(chan error, 1)
	broker := dev.broker // dev is replaced at the restart, while this goroutine runs
	go func() {
		produced <- produceKeyed(broker, "dwd.student_signal", signals, 1_000, 150*time.Millisecond)
	}()

	countRows := func() int {
		out, err := my.QueryRoot(ctx, "SELECT count(*) FROM results.timeline_signal_analysis")
		if err != nil {
			return 0
		}
		var n int
		fmt.Sscan(out, &n)
		return n
	}
	eventually(t, 90*time.Second, "results reach the table before the kill", func() (bool, string) {
		n := countRows()
		return n >= 200, fmt.Sprintf("%d rows", n)
	})
	dev.kill(syscall.SIGKILL)
	select {
	case err := <-produced:
		t.Fatalf("every signal was produced before the kill (%v): the test proves nothing", err)
	default:
	}
	t.Logf("SIGKILL with %d result rows in the table", countRows())

	dev = startDev(t, data, restPort, brokerPort)
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	// A signal far later on every partition: the watermark passes every
	// window the test counts.
	produceToEveryPartition(t, dev.broker, "dwd.student_signal", 3, signalValue(1, 1, edu.Events[0], signalsBase+int64(24*time.Hour/time.Millisecond)))

	table := func() []string {
		out, _ := my.QueryRoot(ctx, "SELECT start_time, end_time, webserver_id, user_id, role, event, event_count FROM results.timeline_signal_analysis ORDER BY 1, 3, 4, 5, 6")
		return lines(out)
	}
	eventually(t, 120*time.Second, "the table holds exactly the counts of the input", func() (bool, string) {
		got := table()
		return slices.Equal(got, want), fmt.Sprintf("%d rows, want %d", len(got), len(want))
	})
	if late := countTopic(t, dev.broker, "late.classroom-performance"); late != 0 {
		t.Errorf("%d records went to the late topic; the input was within the out-of-orderness", late)
	}
}

const signalsBase = 1614564000000 // 2021-03-01 10:00:00 in Asia/Shanghai

func signalValue(user, room int, event string, ts int64) string {
	return fmt.Sprintf(`{"messageCreateTime":"2021-03-01 10:00:00","timeStamp":%d,"userId":%d,"roomId":%d,"role":2,"msgId":305,"msgType":116,"targetType":"shape","action":"move","event":%q}`,
		ts, user, room, event)
}

// studentSignals makes n dwd.student_signal records keyed as the signal ETL
// keys them (md5 of the user), over 20 minutes of event time, each up to
// 3 s out of order (within the job's 5 s), and the result table they must
// give, as MariaDB prints it.
func studentSignals(n int) ([]orderEvent, []string) {
	rng := rand.New(rand.NewPCG(9, 3))
	type group struct {
		start      int64
		room, user int
		event      string
	}
	counts := map[group]int{}
	out := make([]orderEvent, n)
	for i := range out {
		user := 1 + rng.IntN(300)
		room := 100 + user%20
		ev := edu.Events[rng.IntN(len(edu.Events))]
		ts := signalsBase + int64(i)*(20*60_000)/int64(n) - int64(rng.IntN(3000))
		sum := md5.Sum(fmt.Appendf(nil, "%d", user))
		out[i] = orderEvent{key: hex.EncodeToString(sum[:]), value: signalValue(user, room, ev, ts)}
		counts[group{start: ts - ((ts%60_000)+60_000)%60_000, room: room, user: user, event: ev}]++
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	format := func(ms int64) string { return time.UnixMilli(ms).In(sh).Format("2006-01-02 15:04:05.000") }
	var want []string
	for _, g := range slices.SortedFunc(maps.Keys(counts), func(a, b group) int {
		if a.start != b.start {
			return int(a.start - b.start)
		}
		if a.room != b.room {
			return a.room - b.room
		}
		if a.user != b.user {
			return a.user - b.user
		}
		if a.event < b.event {
			return -1
		}
		return 1
	}) {
		want = append(want, fmt.Sprintf("%s\t%s\t%d\t%d\t2\t%s\t%d", format(g.start), format(g.start+60_000), g.room, g.user, g.event, counts[g]))
	}
	return out, want
}

// produceToEveryPartition writes value once to each partition of topic.
func produceToEveryPartition(t *testing.T, bootstrap, topic string, partitions int, value string) {
	t.Helper()
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan ckafka.Event, partitions)
	for part := range partitions {
		m := &ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: int32(part)}, Value: []byte(value)}
		if err := p.Produce(m, done); err != nil {
			t.Fatal(err)
		}
	}
	for range partitions {
		if m := (<-done).(*ckafka.Message); m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}

// countTopic counts the committed records of a topic (0 when it does not
// exist), reading until it has been quiet for two seconds.
func countTopic(t *testing.T, bootstrap, topic string) int {
	t.Helper()
	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap, "group.id": "count-" + topic,
		"auto.offset.reset": "earliest", "isolation.level": "read_committed", "enable.auto.commit": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for last := time.Now(); time.Since(last) < 2*time.Second; {
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			n++
			last = time.Now()
		}
	}
	return n
}
