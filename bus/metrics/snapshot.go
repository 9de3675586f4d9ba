package metrics

import (
	"slices"
	"sort"
	"strconv"
	"sync"

	dto "github.com/prometheus/client_model/go"
)

// TaskSample is one task's counters at one moment, as the dashboard reads
// them: totals since the task's worker started (rates are the caller's
// differences between samples), the consumer lag gauge, and the topics the
// task read and wrote.
type TaskSample struct {
	Connector  string   `json:"connector"`
	Task       int      `json:"task"`
	RecordsIn  float64  `json:"records_in"`
	RecordsOut float64  `json:"records_out"`
	DLQ        float64  `json:"dlq"`
	Errors     float64  `json:"errors"`
	Lag        float64  `json:"lag"`
	TopicsIn   []string `json:"topics_in"`
	TopicsOut  []string `json:"topics_out"`
}

// Snapshot returns a sample of every task this worker has metrics for,
// ordered by connector and task.
func (m *Metrics) Snapshot() ([]TaskSample, error) {
	families, err := m.Registry.Gather()
	if err != nil {
		return nil, err
	}
	samples := map[taskKey]*TaskSample{}
	sample := func(labels []*dto.LabelPair) *TaskSample {
		var k taskKey
		for _, l := range labels {
			switch l.GetName() {
			case "connector":
				k.connector = l.GetValue()
			case "task":
				k.task = l.GetValue()
			}
		}
		s := samples[k]
		if s == nil {
			n, _ := strconv.Atoi(k.task)
			s = &TaskSample{Connector: k.connector, Task: n, TopicsIn: []string{}, TopicsOut: []string{}}
			samples[k] = s
		}
		return s
	}
	for _, f := range families {
		var field func(*TaskSample) *float64
		switch f.GetName() {
		case "tributary_task_records_in_total":
			field = func(s *TaskSample) *float64 { return &s.RecordsIn }
		case "tributary_task_records_out_total":
			field = func(s *TaskSample) *float64 { return &s.RecordsOut }
		case "tributary_task_dlq_records_total":
			field = func(s *TaskSample) *float64 { return &s.DLQ }
		case "tributary_task_errors_total":
			field = func(s *TaskSample) *float64 { return &s.Errors }
		case "tributary_task_consumer_lag":
			field = func(s *TaskSample) *float64 { return &s.Lag }
		default:
			continue
		}
		for _, metric := range f.GetMetric() {
			v := metric.GetCounter().GetValue()
			if metric.GetGauge() != nil {
				v = metric.GetGauge().GetValue()
			}
			// errors_total has a stage label: its series add up.
			*field(sample(metric.GetLabel())) += v
		}
	}
	m.topics.mu.Lock()
	for k, t := range m.topics.tasks {
		if s := samples[k]; s != nil {
			s.TopicsIn, s.TopicsOut = sortedKeys(t.in), sortedKeys(t.out)
		}
	}
	m.topics.mu.Unlock()
	out := make([]TaskSample, 0, len(samples))
	for _, s := range samples {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Connector != out[j].Connector {
			return out[i].Connector < out[j].Connector
		}
		return out[i].Task < out[j].Task
	})
	return out, nil
}

type taskKey struct{ connector, task string }

// topicRegistry keeps the topics each task read and wrote, for the pipeline
// graph: a connector's config does not always name them (a CDC source writes
// one topic per table, a sink may subscribe by pattern).
type topicRegistry struct {
	mu    sync.Mutex
	tasks map[taskKey]*taskTopics
}

type taskTopics struct {
	r       *topicRegistry
	in, out map[string]bool
}

func (r *topicRegistry) of(connector, task string) *taskTopics {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tasks == nil {
		r.tasks = map[taskKey]*taskTopics{}
	}
	k := taskKey{connector, task}
	t := r.tasks[k]
	if t == nil {
		t = &taskTopics{r: r, in: map[string]bool{}, out: map[string]bool{}}
		r.tasks[k] = t
	}
	return t
}

func (r *topicRegistry) forget(connector string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.tasks {
		if k.connector == connector {
			delete(r.tasks, k)
		}
	}
}

func (t *taskTopics) add(set *map[string]bool, topic string) {
	t.r.mu.Lock()
	(*set)[topic] = true
	t.r.mu.Unlock()
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
