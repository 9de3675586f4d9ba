package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are one worker's metrics.
type Metrics struct {
	Registry *prometheus.Registry

	recordsIn  *prometheus.CounterVec
	recordsOut *prometheus.CounterVec
	batches    *prometheus.CounterVec
	errors     *prometheus.CounterVec
	dlq        *prometheus.CounterVec
	lag        *prometheus.GaugeVec
	latency    *prometheus.HistogramVec
	starts     *prometheus.CounterVec
	events     *prometheus.CounterVec

	topics topicRegistry
}

// New registers the metrics in a fresh registry, with Go runtime and process collectors.
func New() *Metrics {
	labels := []string{"connector", "task"}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		recordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_records_in_total", Help: "Records a task read (from the outside world or from Kafka).",
		}, labels),
		recordsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_records_out_total", Help: "Records a task delivered (to Kafka or to its sink) and committed.",
		}, labels),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_batches_total", Help: "Batches a task committed.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_errors_total", Help: "Errors by stage, tolerated or not.",
		}, append(labels, "stage")),
		dlq: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_dlq_records_total", Help: "Records written to the dead-letter topic.",
		}, labels),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tributary_task_consumer_lag", Help: "Records between a sink or transform task's position and the end of its partitions.",
		}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tributary_task_batch_seconds", Help: "Time from reading a batch to committing it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, labels),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_starts_total", Help: "Times this worker started a task: assignments, restarts and config changes.",
		}, labels),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_task_events_total", Help: "What a connector counted about its records beyond in and out (sdk.Counted): records a rule table matched to no event, records a filter dropped.",
		}, append(labels, "event")),
	}
	m.Registry.MustRegister(m.recordsIn, m.recordsOut, m.batches, m.errors, m.dlq, m.lag, m.latency, m.starts, m.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Task returns the metrics of one task.
func (m *Metrics) Task(connector string, task int) *Task {
	id := strconv.Itoa(task)
	return &Task{
		m: m, connector: connector, task: id, topics: m.topics.of(connector, id),
		In:      m.recordsIn.WithLabelValues(connector, id),
		Out:     m.recordsOut.WithLabelValues(connector, id),
		Batches: m.batches.WithLabelValues(connector, id),
		DLQ:     m.dlq.WithLabelValues(connector, id),
		Lag:     m.lag.WithLabelValues(connector, id),
		Latency: m.latency.WithLabelValues(connector, id),
		Starts:  m.starts.WithLabelValues(connector, id),
	}
}

// Forget drops every series of a connector, once it is deleted.
func (m *Metrics) Forget(connector string) {
	m.topics.forget(connector)
	match := prometheus.Labels{"connector": connector}
	for _, v := range []*prometheus.MetricVec{m.recordsIn.MetricVec, m.recordsOut.MetricVec, m.batches.MetricVec,
		m.errors.MetricVec, m.dlq.MetricVec, m.lag.MetricVec, m.latency.MetricVec, m.starts.MetricVec, m.events.MetricVec} {
		v.DeletePartialMatch(match)
	}
}

// Task is the metrics of one task.
type Task struct {
	m               *Metrics
	connector, task string

	In, Out, Batches, DLQ, Starts prometheus.Counter
	Lag                           prometheus.Gauge
	Latency                       prometheus.Observer

	lastOut string // the topic Wrote saw last; only the task's goroutine uses it

	// counted is the last total seen per event, so Counted adds the difference.
	counted map[string]int64

	topics *taskTopics
}

// Read records that the task reads topic (on assignment, not per record).
func (t *Task) Read(topic string) { t.topics.add(&t.topics.in, topic) }

// Wrote records that the task wrote a record to topic. It is called per
// record from the task's own goroutine: the topic last written is checked
// first, without a lock, because a task nearly always writes one topic.
func (t *Task) Wrote(topic string) {
	if topic == t.lastOut {
		return
	}
	t.lastOut = topic
	t.topics.add(&t.topics.out, topic)
}

// Counted takes a connector's totals since it opened (sdk.Counted) and adds
// what grew since the last call to tributary_task_events_total. A total that
// went down means a new instance counting from zero, so all of it is new.
func (t *Task) Counted(totals map[string]int64) {
	if t.counted == nil {
		t.counted = map[string]int64{}
	}
	for event, n := range totals {
		delta := n - t.counted[event]
		if delta < 0 {
			delta = n
		}
		if delta > 0 {
			t.m.events.WithLabelValues(t.connector, t.task, event).Add(float64(delta))
		}
		t.counted[event] = n
	}
}

// Error counts an error at a stage (e.g. "produce", "sink_write", "value_converter").
func (t *Task) Error(stage string) {
	t.m.errors.WithLabelValues(t.connector, t.task, stage).Inc()
}
