package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
)

// taskMetricsBody is the answer of GET /api/v1/metrics/tasks.
type taskMetricsBody struct {
	TimeMs  int64              `json:"time_ms"`
	Broker  string             `json:"broker"`
	Workers []workerSampled    `json:"workers"`
	Tasks   []workerTaskSample `json:"tasks"`
}

// workerSampled says which workers answered; Error is why one did not.
type workerSampled struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Error string `json:"error,omitempty"`
}

type workerTaskSample struct {
	Worker string `json:"worker"`
	metrics.TaskSample
}

// peerMetricsTimeout bounds the wait for another worker's counters: the
// dashboard polls every two seconds and would rather show a worker as not
// answering than stall.
const peerMetricsTimeout = 2 * time.Second

// getTaskMetrics answers with the task counters of the whole cluster: this
// worker's own, and each other live worker's, asked at its REST URL with
// ?scope=local (and the caller's Authorization header). With ?scope=local it
// answers with this worker's only.
func (s *Server) getTaskMetrics(c *gin.Context) {
	own, err := s.ctl.TaskMetrics()
	if err != nil {
		s.fail(c, err, "task metrics")
		return
	}
	body := taskMetricsBody{TimeMs: time.Now().UnixMilli(), Broker: own.Broker, Workers: []workerSampled{}, Tasks: []workerTaskSample{}}
	add := func(m worker.TaskMetrics) {
		for _, t := range m.Tasks {
			body.Tasks = append(body.Tasks, workerTaskSample{Worker: m.Worker, TaskSample: t})
		}
	}
	add(own)
	if c.Query("scope") == "local" {
		body.Workers = append(body.Workers, workerSampled{ID: own.Worker})
		writeJSON(c, http.StatusOK, body)
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	workers, err := s.ctl.Workers(ctx)
	if err != nil {
		s.fail(c, err, "workers")
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, w := range workers {
		if w.ID == own.Worker {
			body.Workers = append(body.Workers, workerSampled{ID: w.ID, URL: w.URL})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := fetchPeerMetrics(ctx, w.URL, c.GetHeader("Authorization"))
			mu.Lock()
			defer mu.Unlock()
			sampled := workerSampled{ID: w.ID, URL: w.URL}
			if err != nil {
				sampled.Error = err.Error()
			} else {
				body.Tasks = append(body.Tasks, m.Tasks...)
			}
			body.Workers = append(body.Workers, sampled)
		}()
	}
	wg.Wait()
	writeJSON(c, http.StatusOK, body)
}

func fetchPeerMetrics(ctx context.Context, url, authorization string) (taskMetricsBody, error) {
	ctx, cancel := context.WithTimeout(ctx, peerMetricsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/metrics/tasks?scope=local", nil)
	if err != nil {
		return taskMetricsBody{}, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return taskMetricsBody{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return taskMetricsBody{}, fmt.Errorf("%s answered %s", url, resp.Status)
	}
	var body taskMetricsBody
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 16<<20)).Decode(&body); err != nil {
		return taskMetricsBody{}, fmt.Errorf("%s: %w", url, err)
	}
	return body, nil
}

// maxDeadLetters bounds ?limit= of the dead-letter browser.
const maxDeadLetters = 500

func (s *Server) getDeadLetters(c *gin.Context) {
	name := c.Param("name")
	limit := 20
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > maxDeadLetters {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("limit must be an integer from 1 to %d, got %q", maxDeadLetters, q))
			return
		}
		limit = n
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	d, err := s.ctl.DeadLetters(ctx, name, limit)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, d)
}
