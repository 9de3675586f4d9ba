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
	"syscall"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// devProcess is a running `tributary dev`.
type devProcess struct {
	cmd    *exec.Cmd
	rest   string
	broker string
	log    string
	exited chan error
}

// startDev runs `tributary dev` on dataDir and waits until its REST API is ready.
func startDev(t testing.TB, dataDir string, restPort, brokerPort int, extra ...string) *devProcess {
	t.Helper()
	p := &devProcess{
		rest:   fmt.Sprintf("127.0.0.1:%d", restPort),
		broker: fmt.Sprintf("127.0.0.1:%d", brokerPort),
		log:    filepath.Join(dataDir, fmt.Sprintf("dev-%d.log", time.Now().UnixNano())),
		exited: make(chan error, 1),
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"dev", "--data-dir", dataDir, "--rest", p.rest, "--broker", p.broker}, extra...)
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	c := p.client(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h, err := c.Health(ctx)
		cancel()
		if err == nil && h.Status == "healthy" {
			return p
		}
		select {
		case err := <-p.exited:
			t.Fatalf("tributary dev exited during start: %v\n%s", err, p.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tributary dev not healthy after 60s (last: %v %+v)\n%s", err, h, p.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *devProcess) client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New("http://" + p.rest)
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
