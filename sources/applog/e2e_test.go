package applog

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
)

// startWorker runs an in-process worker with the collector against a fresh
// embedded broker; adjust, when set, changes its config first.
func startWorker(ctx context.Context, t testing.TB, adjust func(*worker.Config)) *worker.Worker {
	t.Helper()
	return workertest.StartAlone(ctx, t, adjust, Plugin)
}

// freeAddr returns a loopback address with a port free a moment ago: the
// worker creates the source, so the test cannot ask it which port it got.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startCollector creates the connector and waits until its endpoint answers.
func startCollector(ctx context.Context, t testing.TB, w *worker.Worker, cfg map[string]string) string {
	t.Helper()
	addr := freeAddr(t)
	full := map[string]string{"connector.class": Plugin.Class, "listen": addr}
	for k, v := range cfg {
		full[k] = v
	}
	if _, _, err := w.PutConnectorConfig(ctx, "applog", full); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get(url + HealthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			st, serr := w.ConnectorStatus(ctx, "applog")
			t.Fatalf("the collector never answered on %s: %v (status %+v %v)", addr, err, st, serr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sentEvent is an event a test client sent, and where it must end up.
type sentEvent struct {
	value, id, app, topic string
	invalid               bool
}

// clientBatch builds batch c of n events in one of three shapes (JSON
// array, NDJSON, gzipped array), with a few invalid events.
func clientBatch(c, n int) (body []byte, headers []string, events []sentEvent) {
	app, key := "appA", "secret1"
	if c%2 == 1 {
		app, key = "appB", "secret2"
	}
	for j := range n {
		id := fmt.Sprintf("c%d-e%d", c, j)
		ev := sentEvent{id: id, app: app}
		switch {
		case j%11 == 5: // route value not a string
			ev.value, ev.invalid = fmt.Sprintf(`{"id":%q,"type":5}`, id), true
		case j%13 == 7: // not an object
			ev.value, ev.invalid = fmt.Sprintf(`[%q]`, id), true
		default:
			typ, topic := "crash", "app.default"
			switch j % 3 {
			case 0:
				typ, topic = "signal", "ods.classroom_signal"
			case 1:
				typ, topic = "qos", "ods.qos_log"
			}
			ev.value = fmt.Sprintf(`{"id":%q,"type":%q,"seq":%d,"msg":"héllo 😀 %d"}`, id, typ, j, c)
			ev.topic = topic
		}
		events = append(events, ev)
	}
	var b bytes.Buffer
	headers = []string{"X-API-Key", key}
	switch c % 3 {
	case 1:
		for _, ev := range events {
			b.WriteString(ev.value + "\n")
		}
		headers = append(headers, "Content-Type", "application/x-ndjson")
	default:
		b.WriteByte('[')
		for j, ev := range events {
			if j > 0 {
				b.WriteString(",\n ")
			}
			b.WriteString(ev.value)
		}
		b.WriteByte(']')
		headers = append(headers, "Content-Type", "application/json")
	}
	body = b.Bytes()
	if c%3 == 2 {
		var zb bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&zb)
		_, _ = zw.Write(body)
		_ = zw.Close()
		gzipWriters.Put(zw)
		body = zb.Bytes()
		headers = append(headers, "Content-Encoding", "gzip")
	}
	return body, headers, events
}

// TestEndToEnd posts batches concurrently to a collector run by a real
// worker against the embedded broker, stops the worker as soon as every
// batch is answered, and finds in Kafka every event answered 200 or 207,
// once, as sent, on its topic, and every invalid one in the dead-letter
// topic with its reason.
func TestEndToEnd(t *testing.T) {
	for _, exactlyOnce := range []bool{true, false} {
		t.Run(fmt.Sprintf("exactly.once.source=%v", exactlyOnce), func(t *testing.T) {
			testEndToEnd(t, exactlyOnce)
		})
	}
}

func testEndToEnd(t *testing.T, exactlyOnce bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := startWorker(ctx, t, func(c *worker.Config) { c.ExactlyOnceSource = exactlyOnce })
	bootstrap := w.Config().Kafka.Bootstrap()
	url := startCollector(ctx, t, w, map[string]string{
		"topic": "app.default", "route.field": "type", "route.topics": "signal:ods.classroom_signal,qos:ods.qos_log",
		"key.field": "id", "api.keys": "appA:secret1,appB:secret2", "batch.size": "50", "ack.timeout.ms": "60000",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "app.dlq",
	})

	const clients, perBatch = 12, 40
	type result struct {
		events []sentEvent
		reply  reply
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			body, headers, events := clientBatch(c, perBatch)
			results[c] = result{events: events, reply: post(url, body, headers...)}
		})
	}
	wg.Wait()
	// Stop at once: what was answered must already be in Kafka.
	w.Close()

	want := map[string][]sentEvent{} // by topic
	reasons := map[string]string{}   // dead letter value -> reason
	for c, res := range results {
		r := res.reply
		if r.err != nil || (r.status != http.StatusOK && r.status != http.StatusMultiStatus) {
			t.Fatalf("batch %d: %d %+v %v", c, r.status, r.body, r.err)
		}
		var invalid []int
		for j, ev := range res.events {
			if ev.invalid {
				invalid = append(invalid, j)
				want["app.dlq"] = append(want["app.dlq"], ev)
			} else {
				want[ev.topic] = append(want[ev.topic], ev)
			}
		}
		if r.body.Accepted != perBatch-len(invalid) || len(r.body.Errors) != len(invalid) {
			t.Fatalf("batch %d: %+v, want %d accepted and %d errors", c, r.body, perBatch-len(invalid), len(invalid))
		}
		if (r.status == http.StatusMultiStatus) != (len(invalid) > 0) {
			t.Fatalf("batch %d: status %d with %d invalid events", c, r.status, len(invalid))
		}
		for k, e := range r.body.Errors {
			if e.Index != invalid[k] {
				t.Fatalf("batch %d: error %d names event %d, want %d", c, k, e.Index, invalid[k])
			}
			reasons[res.events[e.Index].value] = e.Error
		}
	}

	for _, topic := range []string{"ods.classroom_signal", "ods.qos_log", "app.default", "app.dlq"} {
		expected := want[topic]
		if len(expected) == 0 {
			t.Fatalf("the test sends nothing to %s", topic)
		}
		got := brokertest.Consume(t, bootstrap, topic, len(expected))
		byValue := map[string]sentEvent{}
		for _, ev := range expected {
			byValue[ev.value] = ev
		}
		for _, m := range got {
			ev, ok := byValue[string(m.Value)]
			if !ok {
				t.Fatalf("%s: unexpected or duplicated record %q", topic, m.Value)
			}
			delete(byValue, string(m.Value))
			headers := map[string]string{}
			for _, h := range m.Headers {
				headers[h.Key] = string(h.Value)
			}
			if headers[HeaderApp] != ev.app || headers[HeaderReceivedAt] == "" {
				t.Fatalf("%s: record %q headers %v, want app %s", topic, m.Value, headers, ev.app)
			}
			if topic == "app.dlq" {
				if headers[worker.HeaderErrorStage] != worker.StageTaskPoll || headers[worker.HeaderErrorMessage] != reasons[ev.value] ||
					headers[worker.HeaderErrorMessage] == "" || headers[worker.HeaderErrorTopic] != "app.default" {
					t.Fatalf("dead letter %q headers %v, want stage %s and reason %q", m.Value, headers, worker.StageTaskPoll, reasons[ev.value])
				}
				continue
			}
			if string(m.Key) != ev.id {
				t.Fatalf("%s: record %q has key %q, want %s", topic, m.Value, m.Key, ev.id)
			}
		}
	}
}

// BenchmarkCollectorEndToEnd measures events accepted per second end to end:
// concurrent clients post batches of 100 events, and a batch counts once
// it is answered 200, that is once Kafka has acknowledged it, through a real
// worker (exactly-once, its default) and the embedded broker. The tasks=2
// case shares the port between two tasks (SO_REUSEPORT).
func BenchmarkCollectorEndToEnd(b *testing.B) {
	for _, tasks := range []int{1, 2} {
		b.Run(fmt.Sprintf("tasks=%d", tasks), func(b *testing.B) {
			if tasks > 1 && !reusePort {
				b.Skip("no SO_REUSEPORT here")
			}
			benchmarkCollector(b, tasks)
		})
	}
}

func benchmarkCollector(b *testing.B, tasks int) {
	const perBatch = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := startWorker(ctx, b, nil)
	url := startCollector(ctx, b, w, map[string]string{
		"topic": "bench.default", "route.field": "type", "route.topics": "signal:bench.signal,qos:bench.qos",
		"key.field": "id", "api.keys": "bench:secret", "tasks.max": strconv.Itoa(tasks),
	})
	waitTasks(ctx, b, w, tasks)
	bodies := make([][]byte, 64)
	for i := range bodies {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for j := range perBatch {
			if j > 0 {
				buf.WriteByte(',')
			}
			typ := []string{"signal", "qos", "other"}[j%3]
			fmt.Fprintf(&buf, `{"id":"b%d-%d","type":%q,"ts":%d,"payload":"%s"}`, i, j, typ, time.Now().UnixMilli(), strconv.Itoa(i*j)+"-abcdefghijklmnopqrstuvwxyz0123456789")
		}
		buf.WriteByte(']')
		bodies[i] = buf.Bytes()
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 256}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: time.Minute}
	var next sync.Mutex
	n := 0
	b.SetParallelism(16) // clients per CPU: they mostly wait for Kafka
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			body := bodies[n%len(bodies)]
			n++
			next.Unlock()
			req, _ := http.NewRequest(http.MethodPost, url+EventsPath, bytes.NewReader(body))
			req.Header.Set("X-API-Key", "secret")
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
}

// waitTasks waits until the connector runs n tasks.
func waitTasks(ctx context.Context, t testing.TB, w *worker.Worker, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := w.ConnectorStatus(ctx, "applog")
		running := 0
		if err == nil {
			for _, task := range st.Tasks {
				if task.State.State == worker.StateRunning {
					running++
				}
			}
		}
		if running == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d tasks running: %+v %v", running, n, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
