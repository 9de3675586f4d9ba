package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/test/edu"
)

// binary is the tributary binary built once for the suite.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tributary-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tributary")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/tributary")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tributary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	givenPorts.Lock()
	defer givenPorts.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		// The kernel may hand a port it just freed out again: a dev's
		// broker and REST ports once came out the same, and the second
		// listen failed. A port is given once per test binary.
		if !givenPorts.m[port] {
			givenPorts.m[port] = true
			return port
		}
	}
}

var givenPorts = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}

// devProcess is a running tributary process (dev, worker or broker).
type devProcess struct {
	cmd    *exec.Cmd
	rest   string
	broker string
	log    string
	exited chan error
	// token, when set, is the bearer token client sends (dev --token).
	token string
}

// startDev runs `tributary dev` on dataDir and waits until its REST API is ready.
func startDev(t testing.TB, dataDir string, restPort, brokerPort int, extra ...string) *devProcess {
	t.Helper()
	rest, broker := fmt.Sprintf("127.0.0.1:%d", restPort), fmt.Sprintf("127.0.0.1:%d", brokerPort)
	args := append([]string{"dev", "--data-dir", dataDir, "--rest", rest, "--broker", broker}, extra...)
	p := startProcess(t, dataDir, "dev", args...)
	p.rest, p.broker = rest, broker
	p.waitHealthy(t)
	return p
}

// startWorker runs `tributary worker` against a broker and waits until its
// REST API is ready.
func startWorker(t testing.TB, logDir, id, broker, group string, extra ...string) *devProcess {
	t.Helper()
	rest := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"worker", "--bootstrap", broker, "--group", group, "--rest", rest, "--id", id}, extra...)
	p := startProcess(t, logDir, "worker-"+id, args...)
	p.rest, p.broker = rest, broker
	p.waitHealthy(t)
	return p
}

// startBroker runs `tributary broker` and waits until it accepts connections.
func startBroker(t testing.TB, dataDir string) *devProcess {
	t.Helper()
	broker := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, dataDir, "broker", "broker", "--data-dir", dataDir, "--listen", broker)
	p.broker = broker
	eventually(t, 30*time.Second, "broker accepts connections", func() (bool, string) {
		c, err := net.DialTimeout("tcp", broker, time.Second)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
	return p
}

// startProcess starts the binary with args, logging to a file in logDir;
// the test's cleanup kills it.
func startProcess(t testing.TB, logDir, name string, args ...string) *devProcess {
	t.Helper()
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &devProcess{
		log:    filepath.Join(logDir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano())),
		exited: make(chan error, 1),
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	return p
}

// waitHealthy waits until the process's REST API says it is healthy.
func (p *devProcess) waitHealthy(t testing.TB) {
	t.Helper()
	c := p.client(t)
	// Generous: the first start of a suite shares two cores with every
	// other package's race-instrumented tests (once seen at over 60 s).
	const startWait = 150 * time.Second
	deadline := time.Now().Add(startWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h, err := c.Health(ctx)
		cancel()
		if err == nil && h.Status == "healthy" {
			return
		}
		select {
		case err := <-p.exited:
			t.Fatalf("%s exited during start: %v\n%s", p.cmd.Args[1], err, p.tail())
		default:
		}
		if time.Now().After(deadline) {
			p.dumpStacks()
			t.Fatalf("%s not healthy after %s (last: %v %+v)\n%s\n--- goroutines in startup code ---\n%s",
				p.cmd.Args[1], startWait, err, h, p.tail(), p.stacksMatching("worker.(*Worker).Start", "kvlog.", "broker."))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *devProcess) client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New("http://"+p.rest, client.WithToken(p.token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kill sends sig and waits for the process to end.
func (p *devProcess) kill(sig syscall.Signal) {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		p.exited <- nil // let later kills return at once
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// dumpStacks makes a stuck process write its goroutines to its log
// (SIGQUIT), so a failure shows where it hung.
func (p *devProcess) dumpStacks() {
	if p.cmd.Process == nil || p.cmd.Process.Signal(syscall.SIGQUIT) != nil {
		return
	}
	select {
	case <-p.exited:
		p.exited <- nil
	case <-time.After(5 * time.Second):
	}
}

// stacksMatching returns the goroutines of a dump (see dumpStacks) whose
// stack mentions any of the given names: a full dump is thousands of lines,
// and the log's tail shows only its last goroutines, not where start hung.
func (p *devProcess) stacksMatching(names ...string) string {
	data, _ := os.ReadFile(p.log)
	var out []string
	for _, block := range strings.Split(string(data), "\n\n") {
		if !strings.HasPrefix(block, "goroutine ") {
			continue
		}
		for _, n := range names {
			if strings.Contains(block, n) {
				out = append(out, block)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// tail returns the end of the process log, for failure messages.
func (p *devProcess) tail() string {
	data, _ := os.ReadFile(p.log)
	lines := strings.Split(string(data), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v (last: %s)", what, timeout, last)
}

// countLines counts complete lines of a file (0 when it does not exist).
func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

// startMariaDB starts a MariaDB under dir for the test, stopped when it ends.
func startMariaDB(ctx context.Context, t testing.TB, dir string) *local.MariaDB {
	t.Helper()
	my, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: filepath.Join(dir, "mariadb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(my.Stop)
	return my
}

// startPostgres starts a PostgreSQL 15 under dir for the test (the serving
// store), stopped when it ends.
func startPostgres(ctx context.Context, t testing.TB, dir string) *local.Postgres {
	t.Helper()
	pg, err := local.StartPostgres(ctx, local.PostgresOptions{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	return pg
}

// loadSchoolSchema creates the business databases of the warehouse
// (deployments/local/school.sql: uc_account, crm, school, results) on my.
func loadSchoolSchema(ctx context.Context, t testing.TB, my *local.MariaDB) {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join("..", "..", "deployments", "local", "school.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := my.ExecRoot(ctx, string(schema)); err != nil {
		t.Fatal(err)
	}
}

// applyPipeline creates on dev the connectors of an education pipeline file
// (deployments/pipelines/edu), its ${VARS} taken from env, as `ctl apply`
// would, and returns them.
func applyPipeline(ctx context.Context, t testing.TB, dev *devProcess, file string, env map[string]string) []ctl.Connector {
	t.Helper()
	conns, err := ctl.LoadConnectors(filepath.Join(edu.PipelineDir(), file),
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	c := dev.client(t)
	for _, conn := range conns {
		if _, err := c.CreateConnector(ctx, conn.Name, conn.Config); err != nil {
			t.Fatal(err)
		}
	}
	return conns
}
