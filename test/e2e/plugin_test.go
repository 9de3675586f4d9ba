package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
)

// TestPluginExternalTransform runs the example signalscore plugin as a
// third party would: built on its own, dropped into plugin.path (one level
// down, Kafka Connect style), listed and validated through the REST API,
// run as a transform connector on the embedded broker. Then a plugin that
// crashes: its task fails with the plugin's words while the worker answers,
// and a task restart runs a fresh process.
func TestPluginExternalTransform(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	goBuild(t, "../../plugins/examples/signalscore", filepath.Join(plugins, "signalscore", "signalscore"))
	goBuild(t, "../../plugins/host/internal/testplugins/crasher", filepath.Join(plugins, "crasher"))
	broken := filepath.Join(plugins, "broken.sh")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho not a plugin\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// plugin.path as Kafka Connect writes it: one comma-separated string.
	cfgFile := filepath.Join(dir, "worker.yaml")
	writeFile(t, cfgFile, fmt.Sprintf("plugin.path: %s, %s\n", filepath.Join(dir, "no-such-dir"), plugins))

	dev := startDev(t, filepath.Join(dir, "data"), freePort(t), freePort(t), "-c", cfgFile)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", dev.tail())
		}
	})
	c := dev.client(t)
	ctx := context.Background()
	base := "http://" + dev.rest

	if log := readFile(t, dev.log); !strings.Contains(log, "plugin skipped") || !strings.Contains(log, broken) {
		t.Errorf("the worker did not warn about %s:\n%s", broken, dev.tail())
	}

	t.Run("listed with its config", func(t *testing.T) {
		var list []worker.PluginInfo
		getJSON(t, base+"/connector-plugins?connectorsOnly=false", &list)
		for _, want := range []worker.PluginInfo{
			{Class: "example.signalscore", Type: "transform", Version: "1.0.0"},
			{Class: "test.crasher", Type: "transform", Version: "1"},
		} {
			if !slices.Contains(list, want) {
				t.Errorf("GET /connector-plugins lacks %+v: %+v", want, list)
			}
		}
		keys, err := c.PluginConfig(ctx, "example.signalscore")
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]client.ConfigKeyInfo{}
		for _, k := range keys {
			byName[k.Name] = k
		}
		if k := byName["points"]; k.Type != "LIST" || !k.Required || k.Group != "Scoring" || !strings.Contains(k.Documentation, "EVENT:points") {
			t.Errorf("points key %+v", k)
		}
		for name, def := range map[string]string{"default.points": "0", "score.field": "score", "plugin.call.timeout.ms": "30000"} {
			if k, ok := byName[name]; !ok || k.DefaultValue == nil || *k.DefaultValue != def {
				t.Errorf("key %s: %+v, want default %s", name, k, def)
			}
		}
		if _, ok := byName["topics"]; !ok {
			t.Error("the runtime's keys are missing")
		}
	})

	t.Run("validated by the plugin", func(t *testing.T) {
		infos, err := c.ValidateConfig(ctx, "example.signalscore", map[string]string{
			"name": "x", "topics": "in", "topic": "out", "points": "STUDENT_MATCH_CORRECT:1,STUDENT_MATCH_CORRECT:2",
		})
		if err != nil {
			t.Fatal(err)
		}
		want := client.FieldError{Key: "points", Message: "event STUDENT_MATCH_CORRECT is listed twice"}
		if errs := infos.FieldErrors(); !slices.Contains(errs, want) {
			t.Errorf("validation says %+v, want %+v", errs, want)
		}
		_, err = c.CreateConnector(ctx, "unscored", map[string]string{"connector.class": "example.signalscore", "topics": "in", "topic": "out"})
		wantAPIError(t, err, 400, "points")
	})

	createTopic(t, dev.broker, "dwd.student_signal", 1)
	createTopic(t, dev.broker, "dws.student_signal_scored", 1)
	mustCreate(t, c, "score", map[string]string{
		"connector.class": "example.signalscore", "topics": "dwd.student_signal", "topic": "dws.student_signal_scored",
		"points":           "STUDENT_MATCH_CORRECT:10,STUDENT_MATCH_WRONG:-2,STUDENT_LINE_DRAW:3",
		"default.points":   "1",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dwd.student_signal.dlq",
	})
	signals := []orderEvent{
		{key: "u1", value: `{"event":"STUDENT_MOVE_PICTURE","userId":"u1","roomId":"r1","ts":1700000000001}`},
		{key: "u1", value: `{"event":"STUDENT_HOVER_PICTURE","userId":"u1","roomId":"r1"}`},
		{key: "u2", value: `{"userId":"u2","event":"STUDENT_LINE_DRAW","roomId":"r1","points":[[1,2],[3,4]]}`},
		{key: "u2", value: `{"event":"STUDENT_AUDIO_PLAY","userId":"u2"}`},
		{key: "u2", value: `{"event":"STUDENT_AUDIO_PAUSE","userId":"u2","score":99}`},
		{key: "u3", value: `not json at all`},
		{key: "u3", value: `{"event":"STUDENT_MATCH_WRONG","userId":"u3","roomId":"r2"}`},
		{key: "u3", value: `{"event":"STUDENT_MATCH_CORRECT","userId":"u3","roomId":"r2"}`},
	}
	if err := produceKeyed(dev.broker, "dwd.student_signal", signals, len(signals), 0); err != nil {
		t.Fatal(err)
	}
	want := []orderEvent{
		{key: "u1", value: `{"event":"STUDENT_MOVE_PICTURE","userId":"u1","roomId":"r1","ts":1700000000001,"score":1}`},
		{key: "u1", value: `{"event":"STUDENT_HOVER_PICTURE","userId":"u1","roomId":"r1","score":1}`},
		{key: "u2", value: `{"userId":"u2","event":"STUDENT_LINE_DRAW","roomId":"r1","points":[[1,2],[3,4]],"score":3}`},
		{key: "u2", value: `{"event":"STUDENT_AUDIO_PLAY","userId":"u2","score":1}`},
		{key: "u2", value: `{"event":"STUDENT_AUDIO_PAUSE","userId":"u2","score":1}`},
		{key: "u3", value: `{"event":"STUDENT_MATCH_WRONG","userId":"u3","roomId":"r2","score":-2}`},
		{key: "u3", value: `{"event":"STUDENT_MATCH_CORRECT","userId":"u3","roomId":"r2","score":10}`},
	}
	got := brokertest.ConsumeAll(t, dev.broker, "dws.student_signal_scored", len(want), 2*time.Second)
	if len(got) != len(want) {
		t.Errorf("%d scored records, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if string(got[i].Key) != want[i].key || string(got[i].Value) != want[i].value {
			t.Errorf("scored record %d: %s %s\nwant %s %s", i, got[i].Key, got[i].Value, want[i].key, want[i].value)
		}
	}
	dead := brokertest.Consume(t, dev.broker, "dwd.student_signal.dlq", 1)[0]
	headers := map[string]string{}
	for _, h := range dead.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(dead.Value) != "not json at all" || string(dead.Key) != "u3" ||
		headers[worker.HeaderErrorStage] != worker.StageTransformation || headers[worker.HeaderErrorOffset] != "5" ||
		headers[worker.HeaderErrorMessage] != "value is not a JSON object" {
		t.Errorf("dead letter %s %s %v", dead.Key, dead.Value, headers)
	}
	eventually(t, 10*time.Second, "the plugin's counts in the metrics", func() (bool, string) {
		m := get(t, base+"/metrics")
		for event, n := range map[string]int{"listed_event": 3, "unlisted_event": 4, "not_object": 1} {
			series := fmt.Sprintf(`tributary_task_events_total{connector="score",event="%s",task="0"} %d`, event, n)
			if !strings.Contains(m, series) {
				return false, "no " + series
			}
		}
		return true, ""
	})

	t.Run("a crash fails the task, not the worker", func(t *testing.T) {
		crasher := filepath.Join(plugins, "crasher")
		createTopic(t, dev.broker, "crash.in", 1)
		createTopic(t, dev.broker, "crash.out", 1)
		mustCreate(t, c, "crashy", map[string]string{
			"connector.class": "test.crasher", "topics": "crash.in", "topic": "crash.out",
			"mode": "exit", "once.file": filepath.Join(dir, "crashed-once"),
		})
		if err := produceKeyed(dev.broker, "crash.in", []orderEvent{{key: "k", value: "survivor"}}, 1, 0); err != nil {
			t.Fatal(err)
		}
		var trace string
		eventually(t, 60*time.Second, "crashy's task FAILED", func() (bool, string) {
			st, err := c.ConnectorStatus(ctx, "crashy")
			if err != nil || len(st.Tasks) != 1 {
				return false, fmt.Sprint(st, err)
			}
			trace = st.Tasks[0].Trace
			return st.Tasks[0].State.State == worker.StateFailed, fmt.Sprintf("%+v", st)
		})
		for _, said := range []string{crasher, "exit status 3", "during Process", "crasher: about to exit"} {
			if !strings.Contains(trace, said) {
				t.Errorf("the task's trace lacks %q:\n%s", said, trace)
			}
		}
		// The worker lives on: it answers, and the other connector runs.
		if h, err := c.Health(ctx); err != nil || h.Status != client.HealthHealthy {
			t.Fatalf("health after the crash: %+v %v", h, err)
		}
		waitState(t, c, "score", worker.StateRunning)

		crashed := regexp.MustCompile(`\(pid (\d+)\)`).FindStringSubmatch(trace)
		if crashed == nil {
			t.Fatalf("the trace names no pid:\n%s", trace)
		}

		if err := c.RestartTask(ctx, "crashy", 0); err != nil {
			t.Fatal(err)
		}
		// The crash aborted the batch's transaction: the fresh process
		// gets the record again and lets it through.
		out := brokertest.Consume(t, dev.broker, "crash.out", 1)
		if string(out[0].Value) != "survivor" || string(out[0].Key) != "k" {
			t.Errorf("after the restart: %s %s", out[0].Key, out[0].Value)
		}
		waitState(t, c, "crashy", worker.StateRunning)
		passed := regexp.MustCompile(`crasher: passing 1 records on \(pid (\d+)\)`).FindStringSubmatch(readFile(t, dev.log))
		if passed == nil || passed[1] == crashed[1] {
			t.Errorf("the record was not passed on by a process other than the crashed %s: %v", crashed[1], passed)
		}
	})
}

// goBuild builds the main package pkg into out.
func goBuild(t *testing.T, pkg, out string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", out, pkg)
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, msg)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, body)
	}
	return string(body)
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
