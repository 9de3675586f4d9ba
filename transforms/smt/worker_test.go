package smt_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/transforms/smt"
)

// TestSignalETLOnAWorker runs the signal ETL pipeline file as a worker runs
// it, on the embedded broker: classified signals reach dwd.student_signal
// with their event time as the Kafka timestamp; every kind of bad input
// reaches the dead-letter topic as it came, with the step and reason in its
// headers; an unmatched signal is counted; the task stays RUNNING.
func TestSignalETLOnAWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, smt.Plugin)
	bootstrap := w.Config().Kafka.Bootstrap()

	good := `{"data":{"userid":1,"roomid":2,"timestamp":1614564000123,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_type":"shape","action":"add"}}}}`
	teacher := strings.Replace(good, `"role":2`, `"role":1`, 1)
	bad := map[string]string{
		`not json at all`: "invalid character",
		`["an","array"]`:  "not an object",
		strings.Replace(good, `"userid":1`, `"userid":"abc"`, 1):                 `"abc" is not a long`,
		`{"data":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`: "deeper",
		`{"data":{"userid":1}}`: "event time field timeStamp is null",
	}
	values := []string{good, teacher}
	for v := range bad {
		values = append(values, v)
	}
	brokertest.Produce(t, bootstrap, "ods.classroom_signal", values...)

	conns, err := ctl.LoadConnectors(filepath.Join("..", "..", "deployments", "pipelines", "edu", "signal-etl.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.PutConnectorConfig(ctx, conns[0].Name, conns[0].Config); err != nil {
		t.Fatal(err)
	}
	out := brokertest.Consume(t, bootstrap, "dwd.student_signal", 1)
	var row map[string]any
	if err := json.Unmarshal(out[0].Value, &row); err != nil || row["event"] != "STUDENT_LINE_DRAW" {
		t.Fatalf("output %s (%v), want a STUDENT_LINE_DRAW", out[0].Value, err)
	}
	if !out[0].Timestamp.Equal(time.UnixMilli(1614564000123)) {
		t.Errorf("Kafka timestamp %v, want the event time", out[0].Timestamp)
	}
	dead := brokertest.Consume(t, bootstrap, conns[0].Config["errors.deadletterqueue.topic.name"], len(bad))
	for _, m := range dead {
		why, ok := bad[string(m.Value)]
		if !ok {
			t.Errorf("unexpected dead letter %.80q", m.Value)
			continue
		}
		msg, stage := header(m, worker.HeaderErrorMessage), header(m, worker.HeaderErrorStage)
		if stage != worker.StageTransformation || !strings.Contains(msg, why) {
			t.Errorf("dead letter %.40q says %q at %s, want %q at %s", m.Value, msg, stage, why, worker.StageTransformation)
		}
		delete(bad, string(m.Value))
	}
	deadline := time.Now().Add(30 * time.Second)
	for counted(t, w, "classify.unmatched") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the teacher's signal was not counted as unmatched")
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := w.ConnectorStatus(ctx, conns[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range st.Tasks {
		if task.State.State != worker.StateRunning {
			t.Errorf("task %d is %s: %s", task.ID, task.State.State, task.State.Trace)
		}
	}
}

func header(m *ckafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// counted sums tributary_task_events_total for one event over the tasks.
func counted(t *testing.T, w *worker.Worker, event string) float64 {
	t.Helper()
	families, err := w.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != "tributary_task_events_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "event" && l.GetValue() == event {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
