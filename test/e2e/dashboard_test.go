package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
)

// TestDashboardInChromium drives the dashboard in the system's headless
// Chromium (test/browser/dashboard.mjs, Playwright): the education signal
// pipelines run on `tributary dev` with MariaDB for their results while a
// load flows; the script creates a file sink through the form, pauses and
// resumes it, sees it fail on a poison record with the error trace, makes it
// tolerate the record and finds it in the dead-letter browser, and checks the
// pipeline graph; the worker wants a bearer token for writes, which the page
// takes from its address once. Screenshots land in test/output/dashboard/.
func TestDashboardInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	browserDir, err := filepath.Abs("../browser")
	if err != nil {
		t.Fatal(err)
	}
	for _, need := range []string{chromium, filepath.Join(browserDir, "node_modules", "playwright-core")} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("%s is missing: scripts/install-deps.sh installs Chromium and the browser tests' npm packages", need)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: scripts/install-deps.sh installs it")
	}
	out, err := filepath.Abs("../output/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(out)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	my := startMariaDB(ctx, t, dir)
	if err := my.ExecRoot(ctx, "CREATE DATABASE results"); err != nil {
		t.Fatal(err)
	}
	// With a token every write needs it: the page gets it once in its
	// address (?token=), as a user following a link would.
	const token = "dashboard-test-token"
	dev := startDev(t, filepath.Join(dir, "data"), freePort(t), freePort(t), "--token", token)
	dev.token = token
	env := map[string]string{"RDS_URL": fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr())}
	applyPipeline(ctx, t, dev, "signal-etl.json", env)
	applyPipeline(ctx, t, dev, "classroom-performance.json", env)

	// Classroom signals keep arriving, as the collector would put them on
	// ods.classroom_signal, so the overview has rates to show.
	loadCtx, stopLoad := context.WithCancel(ctx)
	loaded := make(chan error, 1)
	go func() { loaded <- produceSignals(loadCtx, dev.broker) }()
	defer func() {
		stopLoad()
		if err := <-loaded; err != nil {
			t.Errorf("signal load: %v", err)
		}
	}()

	script := exec.CommandContext(ctx, node, filepath.Join(browserDir, "dashboard.mjs"))
	script.Dir = browserDir
	script.Env = append(os.Environ(),
		"BASE_URL=http://"+dev.rest, "TOKEN="+token, "OUT_DIR="+out, "CHROMIUM="+chromium,
		"SINK_FILE="+filepath.Join(dir, "ui-orders.jsonl"))
	stdin, err := script.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := script.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	script.Stderr = &stderr
	if err := script.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	passed := false
	for lines.Scan() {
		line := lines.Text()
		t.Log(line)
		switch {
		case line == "NEED poison":
			// One good record, then one that is not JSON: the sink's
			// json converter refuses it.
			brokertest.Produce(t, dev.broker, "ui.orders", `{"order":1}`, "not json {")
			fmt.Fprintln(stdin, "OK")
		case line == "PASS":
			passed = true
		}
	}
	err = script.Wait()
	if err != nil || !passed {
		t.Fatalf("the browser script failed (%v); stderr:\n%s\nworker log:\n%s\nscreenshots in %s", err, stderr.String(), dev.tail(), out)
	}
	for _, shot := range []string{"overview.png", "form.png", "connector-failed.png", "dlq.png", "graph.png", "overview-phone.png"} {
		if st, err := os.Stat(filepath.Join(out, shot)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", shot, err)
		}
	}
}

// produceSignals writes classroom signals in the seed's shape (every value a
// string), one of the seven classified operations, until ctx ends.
func produceSignals(ctx context.Context, bootstrap string) error {
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap, "linger.ms": 5, "log_level": 3})
	if err != nil {
		return err
	}
	defer p.Close()
	go func() {
		for range p.Events() {
		}
	}()
	topic := "ods.classroom_signal"
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			p.Flush(5000)
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		now := time.Now().UnixMilli()
		for j := range 10 {
			v := fmt.Sprintf(`{"createTime":"2026-11-21 10:00:00","data":{"userid":"%d","roomid":"42","timestamp":"%d","role":"2","msgid":"305","msg":{"msgtype":"116","msg_data":{"target_id":"pic","target_type":"shape","action":"move","sub_action":"-","page_index":"1"}}}}`,
				(i*10+j)%50, now)
			if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Value: []byte(v)}, nil); err != nil {
				return err
			}
		}
	}
}
