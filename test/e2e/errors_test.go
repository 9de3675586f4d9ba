package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
)

// TestBadInputAndLifecycle drives a real `tributary dev` through the REST
// API with bad requests, a poison record, an oversized record and the
// pause/resume/stop/offsets lifecycle.
func TestBadInputAndLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	dev := startDev(t, filepath.Join(dir, "data"), freePort(t), freePort(t))
	c := dev.client(t)
	ctx := context.Background()
	base := "http://" + dev.rest

	t.Run("malformed JSON body", func(t *testing.T) {
		resp, err := http.Post(base+"/connectors", "application/json", strings.NewReader(`{"name": "x", "config": {`))
		if err != nil {
			t.Fatal(err)
		}
		body := decodeError(t, resp)
		if resp.StatusCode != 400 || body.Code != 400 || body.Message == "" {
			t.Fatalf("got %d %+v, want 400 with a message", resp.StatusCode, body)
		}
	})
	t.Run("unknown class and missing field name each field", func(t *testing.T) {
		_, err := c.CreateConnector(ctx, "bad", map[string]string{"connector.class": "com.example.Nope", "topic": "t"})
		wantAPIError(t, err, 400, "connector.class")
		_, err = c.CreateConnector(ctx, "bad", map[string]string{"connector.class": "FileStreamSource", "topic": "t"})
		wantAPIError(t, err, 400, "file")
		_, err = c.CreateConnector(ctx, "bad", map[string]string{"connector.class": "FileStreamSink", "file": "/tmp/x"})
		wantAPIError(t, err, 400, "topics")
	})
	t.Run("unknown connector is 404", func(t *testing.T) {
		_, err := c.ConnectorStatus(ctx, "nope")
		wantAPIError(t, err, 404, "nope")
	})

	// A source of three records, one of them not JSON.
	in := filepath.Join(dir, "events.txt")
	writeFile(t, in, "{\"n\":1}\nthis is not json\n{\"n\":3}\n")
	mustCreate(t, c, "events-in", map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": "events"})

	t.Run("poison record goes to the dead-letter topic with its reason", func(t *testing.T) {
		out := filepath.Join(dir, "tolerant.txt")
		mustCreate(t, c, "tolerant-out", map[string]string{
			"connector.class": "FileStreamSink", "file": out, "topics": "events",
			"value.converter": "json", "errors.tolerance": "all",
			"errors.deadletterqueue.topic.name": "events.dlq",
		})
		eventually(t, 30*time.Second, "two good records in the sink", func() (bool, string) {
			n := countLines(out)
			return n == 2, fmt.Sprintf("%d lines", n)
		})
		got := readFile(t, out)
		if got != "{\"n\":1}\n{\"n\":3}\n" {
			t.Fatalf("sink holds %q", got)
		}
		dead := brokertest.Consume(t, dev.broker, "events.dlq", 1)[0]
		if string(dead.Value) != "this is not json" {
			t.Fatalf("dead letter value %q", dead.Value)
		}
		headers := map[string]string{}
		for _, h := range dead.Headers {
			headers[h.Key] = string(h.Value)
		}
		want := map[string]string{
			worker.HeaderErrorStage: worker.StageValueConverter, worker.HeaderErrorTopic: "events",
			worker.HeaderErrorPartition: "0", worker.HeaderErrorOffset: "1",
			worker.HeaderErrorConnector: "tolerant-out", worker.HeaderErrorTask: "0",
		}
		for k, v := range want {
			if headers[k] != v {
				t.Errorf("header %s = %q, want %q (all: %v)", k, headers[k], v, headers)
			}
		}
		if !strings.Contains(headers[worker.HeaderErrorMessage], "not valid JSON") {
			t.Errorf("error message header %q does not say why", headers[worker.HeaderErrorMessage])
		}
		eventually(t, 10*time.Second, "metrics count the records and the dead letter", func() (bool, string) {
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			text, _ := io.ReadAll(resp.Body)
			m := string(text)
			ok := strings.Contains(m, `tributary_task_records_in_total{connector="tolerant-out",task="0"} 3`) &&
				strings.Contains(m, `tributary_task_records_out_total{connector="tolerant-out",task="0"} 2`) &&
				strings.Contains(m, `tributary_task_dlq_records_total{connector="tolerant-out",task="0"} 1`) &&
				strings.Contains(m, `tributary_task_errors_total{connector="tolerant-out",stage="VALUE_CONVERTER",task="0"} 1`)
			return ok, "metrics lack the expected series"
		})
	})

	t.Run("intolerant sink fails with the error and stack in its status", func(t *testing.T) {
		mustCreate(t, c, "strict-out", map[string]string{
			"connector.class": "FileStreamSink", "file": filepath.Join(dir, "strict.txt"), "topics": "events",
			"value.converter": "json",
		})
		var st worker.ConnectorStatus
		eventually(t, 30*time.Second, "strict-out task FAILED", func() (bool, string) {
			st, _ = c.ConnectorStatus(ctx, "strict-out")
			return len(st.Tasks) == 1 && st.Tasks[0].State.State == worker.StateFailed, fmt.Sprintf("%+v", st)
		})
		trace := st.Tasks[0].Trace
		for _, want := range []string{"VALUE_CONVERTER", "errors.tolerance=none", "goroutine"} {
			if !strings.Contains(trace, want) {
				t.Errorf("trace lacks %q:\n%s", want, trace)
			}
		}
		// Restarting only failed tasks restarts it (it fails again on the same record).
		rs, err := c.RestartConnector(ctx, "strict-out", client.RestartOptions{IncludeTasks: true, OnlyFailed: true})
		if err != nil {
			t.Fatal(err)
		}
		if rs == nil || rs.Tasks[0].State.State != worker.StateRestarting {
			t.Fatalf("restart answer %+v, want task 0 RESTARTING", rs)
		}
	})

	t.Run("oversized record is refused before Kafka and dead-lettered", func(t *testing.T) {
		big := filepath.Join(dir, "big.txt")
		writeFile(t, big, "small\n"+strings.Repeat("x", 5000)+"\nsmall again\n")
		mustCreate(t, c, "big-in", map[string]string{
			"connector.class": "FileStreamSource", "file": big, "topic": "big",
			"max.record.bytes": "1000", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "big.dlq",
		})
		dead := brokertest.Consume(t, dev.broker, "big.dlq", 1)[0]
		if len(dead.Value) != 5000 {
			t.Fatalf("dead letter has %d bytes, want the 5000-byte record", len(dead.Value))
		}
	})

	t.Run("pause, resume, stop and offsets", func(t *testing.T) {
		if err := c.PauseConnector(ctx, "tolerant-out"); err != nil {
			t.Fatal(err)
		}
		waitState(t, c, "tolerant-out", worker.StatePaused)
		if err := c.ResumeConnector(ctx, "tolerant-out"); err != nil {
			t.Fatal(err)
		}
		waitState(t, c, "tolerant-out", worker.StateRunning)

		_, err := c.ResetOffsets(ctx, "tolerant-out")
		wantAPIError(t, err, 400, "STOPPED")
		if err := c.StopConnector(ctx, "tolerant-out"); err != nil {
			t.Fatal(err)
		}
		waitState(t, c, "tolerant-out", worker.StateStopped)
		offs, err := c.Offsets(ctx, "tolerant-out")
		if err != nil {
			t.Fatal(err)
		}
		if len(offs.Offsets) != 1 || fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) != "3" {
			t.Fatalf("sink offsets %+v, want events-0 at 3", offs)
		}
		// The file sink resumes from the offsets in its sidecar, so a reset
		// of the group's offsets would do nothing: it is refused.
		_, err = c.ResetOffsets(ctx, "tolerant-out")
		wantAPIError(t, err, 400, "keeps its offsets")

		src, err := c.Offsets(ctx, "events-in")
		if err != nil || len(src.Offsets) != 1 || fmt.Sprint(src.Offsets[0].Partition["filename"]) != in ||
			fmt.Sprint(src.Offsets[0].Offset["position"]) != "33" {
			t.Fatalf("source offsets %+v %v, want %s at byte 33", src, err, in)
		}
		if err := c.StopConnector(ctx, "events-in"); err != nil {
			t.Fatal(err)
		}
		waitState(t, c, "events-in", worker.StateStopped)
		eventually(t, 30*time.Second, "source offsets reset", func() (bool, string) {
			_, err := c.ResetOffsets(ctx, "events-in")
			return err == nil, fmt.Sprint(err)
		})
		src, err = c.Offsets(ctx, "events-in")
		if err != nil || len(src.Offsets) != 0 {
			t.Fatalf("source offsets after reset %+v %v, want none", src, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := c.DeleteConnector(ctx, "strict-out"); err != nil {
			t.Fatal(err)
		}
		_, err := c.ConnectorStatus(ctx, "strict-out")
		wantAPIError(t, err, 404, "strict-out")
	})
}

type errorBody struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func decodeError(t *testing.T, resp *http.Response) errorBody {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var b errorBody
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("error body is not JSON: %q", data)
	}
	return b
}

func wantAPIError(t *testing.T, err error, status int, mention string) {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want an API error %d", err, status)
	}
	if apiErr.Status != status || !strings.Contains(apiErr.Message, mention) {
		t.Fatalf("got %d %q, want %d mentioning %q", apiErr.Status, apiErr.Message, status, mention)
	}
}

func mustCreate(t *testing.T, c *client.Client, name string, cfg map[string]string) {
	t.Helper()
	if _, err := c.CreateConnector(context.Background(), name, cfg); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func waitState(t *testing.T, c *client.Client, name, state string) {
	t.Helper()
	eventually(t, 30*time.Second, name+" "+state, func() (bool, string) {
		st, err := c.ConnectorStatus(context.Background(), name)
		if err != nil {
			return false, err.Error()
		}
		ok := st.Connector.State == state
		for _, ts := range st.Tasks {
			ok = ok && ts.State.State == state
		}
		return ok, fmt.Sprintf("%+v", st)
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
