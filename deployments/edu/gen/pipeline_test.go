package gen

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sources/applog"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/fanout"
	"github.com/tributarydata/tributary/transforms/intervaljoin"
	"github.com/tributarydata/tributary/transforms/smt"
	"github.com/tributarydata/tributary/transforms/window"
)

// tee keeps what it sends.
type tee struct {
	EventSink
	kept capture
}

func (t *tee) Send(ctx context.Context, evs []Event) (Sent, error) {
	sent, err := t.EventSink.Send(ctx, evs)
	if err == nil {
		_, _ = t.kept.Send(ctx, evs)
	}
	return sent, err
}

// openCollector runs the app collector of collector.json on a free port,
// with the runtime's part played by a goroutine that takes every record
// and acknowledges it at once, as if Kafka had it. It returns the URL to
// post to and a function that stops the reading and returns the records.
func openCollector(t *testing.T) (string, func() []sdk.Record) {
	t.Helper()
	cfg, err := edu.PipelineConfig("collector.json", "app-events", applog.Plugin)
	if err != nil {
		t.Fatal(err)
	}
	port, err := local.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg["name"] = "app-events"
	cfg["listen"] = fmt.Sprintf("127.0.0.1:%d", port)
	src := &applog.Source{}
	if err := src.Open(context.Background(), sdk.Config(cfg), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	var recs []sdk.Record
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			batch, err := src.Read(ctx)
			if err != nil {
				return
			}
			for _, r := range batch {
				r.Value = slices.Clone(r.Value)
				recs = append(recs, r)
			}
			if err := src.Ack(ctx, []sdk.Position{batch[len(batch)-1].Position}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	return fmt.Sprintf("http://127.0.0.1:%d%s", port, applog.EventsPath), func() []sdk.Record {
		cancel()
		wg.Wait()
		return recs
	}
}

// job is one connector of the pipeline files, run in process.
type job interface {
	Process(context.Context, []sdk.Record) ([]sdk.Record, error)
}

func openJob(t *testing.T, file, name string) job {
	t.Helper()
	var (
		plugin sdk.Plugin
		j      interface {
			job
			Open(context.Context, sdk.Config) error
		}
	)
	var input string
	switch file {
	case "classroom-performance.json":
		plugin, j, input = window.Plugin, &window.Operator{}, "dwd.student_signal"
	case "av-quality.json":
		if name == "av-quality" {
			plugin, j, input = window.Plugin, &window.Operator{}, "dwd.av_state"
		} else {
			plugin, j = fanout.Plugin, &fanout.Fanout{}
		}
	case "study-time.json":
		if name == "study-time" {
			plugin, j, input = intervaljoin.Plugin, &intervaljoin.Operator{}, "dwd.qos_log"
		} else {
			plugin, j = smt.Plugin, &smt.Chain{}
		}
	default:
		plugin, j = smt.Plugin, &smt.Chain{}
	}
	cfg, err := edu.PipelineConfig(file, name, plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Open(context.Background(), sdk.Config(cfg)); err != nil {
		t.Fatal(err)
	}
	if s, ok := j.(interface {
		Assign([]sdk.TopicPartition) error
	}); ok {
		if err := s.Assign([]sdk.TopicPartition{{Topic: input}}); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// stage runs records through jobs that read the same input, in batches,
// and returns what comes out, retopicked to topic (one partition), and how
// many records each refused; a stateful job's state changes are dropped
// after each batch, as a commit would take them.
func stage(t *testing.T, in []sdk.Record, topic string, jobs ...job) (out []sdk.Record, faults int) {
	t.Helper()
	const batch = 200
	for i := 0; i < len(in); i += batch {
		for _, j := range jobs {
			recs, err := j.Process(context.Background(), in[i:min(i+batch, len(in))])
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Fault != nil {
					faults++
					continue
				}
				r.Value = slices.Clone(r.Value)
				if r.Topic == "" || topic != "" {
					r.Topic = topic
				}
				r.Partition, r.Offset = 0, int64(len(out))
				out = append(out, r)
			}
			if s, ok := j.(sdk.Stateful); ok {
				s.Changes()
			}
		}
	}
	return out, faults
}

func onTopic(recs []sdk.Record, topic string) (n int) {
	for _, r := range recs {
		if r.Topic == topic {
			n++
		}
	}
	return n
}

// TestJobsSeeWhatTheReportSays posts a day through the Collector to the
// real app collector of collector.json, then runs what it took through the
// real jobs of the pipeline files in process (signal ETL and classroom
// performance; the audio and video chains and the quality window; the
// re-keying and the study-time join), and requires what they do to be what
// the report says: records per ods topic, refusals, dead letters, records
// sent to each late topic, and every signal classified as its event says.
func TestJobsSeeWhatTheReportSays(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app collector")
	}
	url, stop := openCollector(t)
	cfg := smallDay()
	sink := &tee{EventSink: NewCollector(url, time.Minute)}
	r, err := Run(context.Background(), cfg, sink, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	took := stop()
	if !r.Complete || r.Uncertain["events"] != 0 {
		t.Fatalf("complete %v, %d events uncertain", r.Complete, r.Uncertain["events"])
	}
	if r.Transport.Retries != 0 || r.Transport.RefusedMismatch != 0 {
		t.Fatalf("transport %+v: the collector refused other lines than the generator made bad, or was retried", r.Transport)
	}

	byTopic := map[string][]sdk.Record{}
	refusedByCollector := 0
	for _, rec := range took {
		if rec.Fault != nil {
			refusedByCollector++
			continue
		}
		byTopic[rec.Topic] = append(byTopic[rec.Topic], rec)
	}
	for topic, want := range r.Topics {
		if got := len(byTopic[topic]); int64(got) != want {
			t.Errorf("%s took %d records, the report says %d", topic, got, want)
		}
	}
	if int64(refusedByCollector) != r.DeadLetters[collectorDeadLetters] || r.Malformed["refused"] != r.DeadLetters[collectorDeadLetters] {
		t.Errorf("the collector refused %d lines, the report says %d (malformed %d)", refusedByCollector, r.DeadLetters[collectorDeadLetters], r.Malformed["refused"])
	}

	// Job 1 then job 3. Every signal the generator meant to be classified
	// comes out as its event; the rest are dropped or refused.
	signals := byTopic[odsTopics[KindSignal]]
	expected := map[string]string{} // line → event
	for _, ev := range sink.kept.events {
		if ev.Kind == KindSignal && ev.Fate != FateMalformed {
			expected[string(ev.Line)] = ev.Signal
		}
	}
	wantClassified := 0
	for i := range signals {
		signals[i].Offset = int64(i)
		if expected[string(signals[i].Value)] != "" {
			wantClassified++
		}
	}
	etl := openJob(t, "signal-etl.json", "signal-etl")
	var classified []sdk.Record
	etlFaults := 0
	for i := 0; i < len(signals); i += 500 {
		out, err := etl.Process(context.Background(), signals[i:min(i+500, len(signals))])
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			if o.Fault != nil {
				etlFaults++
				continue
			}
			var v struct{ Event string }
			if err := json.Unmarshal(o.Value, &v); err != nil {
				t.Fatal(err)
			}
			in := signals[o.Offset].Value
			if want := expected[string(in)]; v.Event != want || want == "" {
				t.Fatalf("the signal ETL made %q of %s, the generator meant %q", v.Event, in, want)
			}
			o.Value = slices.Clone(o.Value)
			o.Topic, o.Partition, o.Offset = "dwd.student_signal", 0, int64(len(classified))
			classified = append(classified, o)
		}
	}
	if len(classified) != wantClassified || wantClassified == 0 {
		t.Errorf("the signal ETL classified %d signals, the generator meant %d", len(classified), wantClassified)
	}
	if int64(etlFaults) != r.DeadLetters[signalDeadLetters] {
		t.Errorf("the signal ETL refused %d signals, the report says %d", etlFaults, r.DeadLetters[signalDeadLetters])
	}
	perf, perfFaults := stage(t, classified, "", openJob(t, "classroom-performance.json", "classroom-performance"))
	late := cfg.Bounds.ClassroomPerformance.LateTopic
	if got := onTopic(perf, late); int64(got) != r.Late[late] || got == 0 || perfFaults != 0 {
		t.Errorf("classroom performance sent %d records to %s (and refused %d), the report says %d", got, late, perfFaults, r.Late[late])
	}

	// Job 5: the audio and video branches, then the window.
	states, avFaults := stage(t, byTopic[odsTopics[KindAgora]], "dwd.av_state", openJob(t, "av-quality.json", "av-quality-state"))
	if int64(avFaults) != r.DeadLetters[avDeadLetters] {
		t.Errorf("the audio and video branches refused %d reports, the report says %d", avFaults, r.DeadLetters[avDeadLetters])
	}
	av, avWindowFaults := stage(t, states, "", openJob(t, "av-quality.json", "av-quality"))
	late = cfg.Bounds.AVQuality.LateTopic
	if got := onTopic(av, late); int64(got) != r.Late[late] || got == 0 || avWindowFaults != 0 {
		t.Errorf("av quality sent %d records to %s (and refused %d), the report says %d", got, late, avWindowFaults, r.Late[late])
	}

	// Job 4: re-keyed, then joined.
	qos, keyFaults := stage(t, byTopic[odsTopics[KindQoS]], "dwd.qos_log", openJob(t, "study-time.json", "study-time-by-user"))
	study, joinFaults := stage(t, qos, "", openJob(t, "study-time.json", "study-time"))
	late = cfg.Bounds.StudyTime.LateTopic
	if got := onTopic(study, late); int64(got) != r.Late[late] || got == 0 {
		t.Errorf("study time sent %d records to %s, the report says %d", got, late, r.Late[late])
	}
	if int64(keyFaults+joinFaults) != r.DeadLetters[studyDeadLetters] {
		t.Errorf("study time refused %d records, the report says %d", keyFaults+joinFaults, r.DeadLetters[studyDeadLetters])
	}
	rows := len(study) - onTopic(study, late)
	if rows == 0 {
		t.Error("study time made no row: no session succeeded on time")
	}
	t.Logf("topics %v; late %v; dead letters %v; %d study-time rows", r.Topics, r.Late, r.DeadLetters, rows)
}
