package e2e

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/bus/worker"
)

const sessionTimeout = 6 * time.Second // kfake's minimum group session

// TestClusterFailoverExactlyOnce runs the embedded broker and three workers
// as separate processes, spreads three file sources and three file sinks (six
// tasks) over them, checks that a restart or a config change asked of any
// worker restarts only that task where it runs, SIGKILLs the leader while
// 200k records flow, then
// SIGTERMs a second worker, and requires: the killed worker's tasks running
// elsewhere within the session timeout + 5 s, the surviving tasks never
// restarted, and every sink holding its records exactly once, in order.
func TestClusterFailoverExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end cluster test")
	}
	const streams, perStream = 3, 66_667 // 200,001 records in all
	dir := t.TempDir()
	brokerProc := startBroker(t, filepath.Join(dir, "broker"))
	args := []string{"--session-timeout", sessionTimeout.String(), "--offset-flush-interval", "300ms", "--log-level", "info"}
	workers := map[string]*devProcess{}
	for _, id := range []string{"w1", "w2", "w3"} {
		workers[id] = startWorker(t, dir, id, brokerProc.broker, "edu", args...)
	}
	ctx := context.Background()

	// A second worker on a REST address in use fails at once, saying why.
	dup := exec.Command(binary, append([]string{"worker", "--bootstrap", brokerProc.broker, "--group", "edu", "--rest", workers["w1"].rest, "--id", "w9"}, args...)...)
	out, err := dup.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is not available") {
		t.Fatalf("a worker on a taken REST address: err %v, output %s", err, out)
	}

	// Connectors are created through different workers; each is visible on
	// every worker.
	ids := slices.Sorted(maps.Keys(workers))
	for i := range streams {
		in, sink := filepath.Join(dir, fmt.Sprintf("in-%d.txt", i)), filepath.Join(dir, fmt.Sprintf("out-%d.txt", i))
		topic := fmt.Sprintf("lines-%d", i)
		c := workers[ids[i]].client(t)
		if _, err := c.CreateConnector(ctx, fmt.Sprintf("src-%d", i), map[string]string{
			"connector.class": "FileStreamSource", "file": in, "topic": topic, "batch.size": "500",
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateConnector(ctx, fmt.Sprintf("sink-%d", i), map[string]string{
			"connector.class": "FileStreamSink", "file": sink, "topics": topic,
		}); err != nil {
			t.Fatal(err)
		}
	}
	created := time.Now()
	for _, id := range ids {
		c := workers[id].client(t)
		eventually(t, 5*time.Second, "every connector visible on "+id, func() (bool, string) {
			names, err := c.ListConnectors(ctx)
			return err == nil && len(names) == 2*streams, fmt.Sprint(names, err)
		})
	}
	t.Logf("connectors created on three workers were listed by all three %v later", time.Since(created).Round(time.Millisecond))

	view := workers["w1"].client(t)
	var owners map[string]string
	eventually(t, 60*time.Second, "six tasks running, two per worker", func() (bool, string) {
		owners = taskOwners(t, view)
		perWorker := map[string]int{}
		for _, w := range owners {
			perWorker[w]++
		}
		return len(owners) == 2*streams && perWorker["w1"] == 2 && perWorker["w2"] == 2 && perWorker["w3"] == 2, fmt.Sprint(owners)
	})

	// A restart asked of any worker reaches the one running the task.
	owner := owners["sink-0-0"]
	other := ids[0]
	if other == owner {
		other = ids[1]
	}
	before := taskStarts(t, workers[owner])["sink-0-0"]
	if err := workers[other].client(t).RestartTask(ctx, "sink-0", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the restart asked of "+other+" restarts sink-0-0 on "+owner, func() (bool, string) {
		n := taskStarts(t, workers[owner])["sink-0-0"]
		return n == before+1, fmt.Sprintf("%v starts", n)
	})
	owners = taskOwners(t, view)
	if owners["sink-0-0"] != owner {
		t.Fatalf("sink-0-0 moved to %s on restart", owners["sink-0-0"])
	}

	// A config change restarts that connector's task, where it runs, and
	// no other task.
	starts := map[string]map[string]float64{}
	for _, id := range ids {
		starts[id] = taskStarts(t, workers[id])
	}
	changedOwner := owners["sink-1-0"]
	if _, _, err := workers[other].client(t).PutConnectorConfig(ctx, "sink-1", map[string]string{
		"connector.class": "FileStreamSink", "file": filepath.Join(dir, "out-1.txt"), "topics": "lines-1", "errors.log.enable": "true",
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the config change restarts sink-1-0 on "+changedOwner, func() (bool, string) {
		n := taskStarts(t, workers[changedOwner])["sink-1-0"]
		return n == starts[changedOwner]["sink-1-0"]+1, fmt.Sprintf("%v starts", n)
	})
	for _, id := range ids {
		for task, n := range taskStarts(t, workers[id]) {
			if task != "sink-1-0" && n != starts[id][task] {
				t.Errorf("changing sink-1 restarted %s on %s", task, id)
			}
		}
	}
	if o := taskOwners(t, view); o["sink-1-0"] != changedOwner {
		t.Fatalf("sink-1-0 moved from %s to %s on a config change", changedOwner, o["sink-1-0"])
	}

	written := make(chan error, streams)
	for i := range streams {
		go func() {
			written <- appendLines(filepath.Join(dir, fmt.Sprintf("in-%d.txt", i)), perStream, 1000, 400*time.Millisecond)
		}()
	}
	sinkTotal := func() int {
		n := 0
		for i := range streams {
			n += countLines(filepath.Join(dir, fmt.Sprintf("out-%d.txt", i)))
		}
		return n
	}
	eventually(t, 90*time.Second, "sinks reach 50k records before the kill", func() (bool, string) {
		n := sinkTotal()
		return n >= 50_000, fmt.Sprintf("%d records", n)
	})

	victim := leaderOf(t, view)
	startsBefore := map[string]map[string]float64{}
	for _, id := range ids {
		startsBefore[id] = taskStarts(t, workers[id])
	}
	workers[victim].kill(syscall.SIGKILL)
	killedAt := time.Now()
	atKill := sinkTotal()
	t.Logf("SIGKILL of leader %s with %d of %d records in the sinks", victim, atKill, streams*perStream)
	if atKill >= streams*perStream {
		t.Fatal("the stream had finished before the kill: the test proves nothing")
	}
	delete(workers, victim)
	survivors := slices.Sorted(maps.Keys(workers))
	view = workers[survivors[0]].client(t)

	moved := map[string]bool{}
	for task, w := range owners {
		if w == victim {
			moved[task] = true
		}
	}
	var after map[string]string
	eventually(t, sessionTimeout+5*time.Second, "the killed worker's tasks run on the survivors", func() (bool, string) {
		after = taskOwners(t, view)
		for task := range moved {
			if w := after[task]; w == victim || w == "" {
				return false, fmt.Sprint(after)
			}
		}
		return true, ""
	})
	failover := time.Since(killedAt)
	moves := 0
	for task, w := range after {
		if owners[task] != w {
			moves++
			if !moved[task] {
				t.Errorf("task %s moved from %s to %s although its worker survived", task, owners[task], w)
			}
		}
	}
	for _, id := range survivors {
		now := taskStarts(t, workers[id])
		for task, n := range startsBefore[id] {
			if now[task] != n {
				t.Errorf("task %s on surviving worker %s was restarted (%v starts, was %v)", task, id, now[task], n)
			}
		}
	}
	t.Logf("failover: the killed worker's %d tasks ran on the survivors %v after SIGKILL (session timeout %v); task moves: %d",
		len(moved), failover.Round(time.Millisecond), sessionTimeout, moves)

	// A graceful stop hands over at once: the worker flushes, commits and
	// leaves the group instead of waiting out its session.
	leaving := survivors[1]
	if leaderOf(t, view) == leaving {
		leaving = survivors[0]
	}
	remaining := survivors[0]
	if remaining == leaving {
		remaining = survivors[1]
	}
	view = workers[remaining].client(t)
	atTerm := sinkTotal()
	termAt := time.Now()
	workers[leaving].kill(syscall.SIGTERM)
	eventually(t, 30*time.Second, "the last worker runs every task", func() (bool, string) {
		o := taskOwners(t, view)
		for _, w := range o {
			if w != remaining {
				return false, fmt.Sprint(o)
			}
		}
		return len(o) == 2*streams, fmt.Sprint(o)
	})
	t.Logf("SIGTERM of %s with %d records in the sinks: %s ran all tasks %v later", leaving, atTerm, remaining, time.Since(termAt).Round(time.Millisecond))

	for range streams {
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 120*time.Second, "every sink holds its stream", func() (bool, string) {
		n := sinkTotal()
		return n >= streams*perStream, fmt.Sprintf("%d records", n)
	})
	time.Sleep(2 * time.Second) // a duplicate would arrive after the last record
	for i := range streams {
		verifyExactlyOnceInOrder(t, filepath.Join(dir, fmt.Sprintf("out-%d.txt", i)), perStream)
	}

	// The workers list shows the last worker, its tasks and a fresh heartbeat.
	ws, err := view.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].ID != remaining || len(ws[0].Tasks) != 2*streams || ws[0].HeartbeatAgeMs > 10_000 || ws[0].URL == "" {
		t.Fatalf("workers list %+v", ws)
	}
}

// taskOwners maps each RUNNING task ("connector-N") to its worker.
func taskOwners(t *testing.T, c *client.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := c.ListConnectors(ctx)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, name := range names {
		st, err := c.ConnectorStatus(ctx, name)
		if err != nil {
			return nil
		}
		for _, task := range st.Tasks {
			if task.State.State == worker.StateRunning {
				out[fmt.Sprintf("%s-%d", name, task.ID)] = task.State.WorkerID
			}
		}
	}
	return out
}

func leaderOf(t *testing.T, c *client.Client) string {
	t.Helper()
	ws, err := c.Workers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Leader {
			return w.ID
		}
	}
	t.Fatalf("no leader in %+v", ws)
	return ""
}

// taskStarts reads tributary_task_starts_total of a worker, by "connector-N".
func taskStarts(t *testing.T, p *devProcess) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.rest + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "tributary_task_starts_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(line, "} ")
		var conn, task string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "connector":
				conn = v
			case "task":
				task = v
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q", sc.Text())
		}
		out[conn+"-"+task] = n
	}
	return out
}
