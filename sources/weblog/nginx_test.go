//go:build unix

package weblog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The log formats the nginx under test writes, and the sources read.
const (
	nginxCustomFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`
	nginxJSONFormat   = `{"remote_addr":"$remote_addr","time_iso8601":"$time_iso8601","request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,"http_referer":"$http_referer","http_user_agent":"$http_user_agent","request_time":$request_time,"host":"$host"}`
)

// nginxServer is an nginx started by the test, on loopback ports, with its
// logs in logs/.
type nginxServer struct {
	dir, logs string
	base      string // http://127.0.0.1:port
	base6     string // http://[::1]:port, "" without IPv6
	cmd       *exec.Cmd
	stderr    bytes.Buffer
}

// findNginx looks in PATH and in the sbin directories, which a non-root PATH
// may lack.
func findNginx(t *testing.T) string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("nginx is not installed (scripts/install-deps.sh installs it); skipped with -short")
	}
	t.Fatal("nginx is not installed: install it (apt-get install nginx, as scripts/install-deps.sh does), or run with -short to skip this test")
	return ""
}

func freePort(t *testing.T, network, addr string) int {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startNginx(t *testing.T) *nginxServer {
	t.Helper()
	bin := findNginx(t)
	dir := t.TempDir()
	n := &nginxServer{dir: dir, logs: filepath.Join(dir, "logs")}
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t, "tcp4", "127.0.0.1:0")
	listen := fmt.Sprintf("listen 127.0.0.1:%d;", port)
	n.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	if port6 := freePort(t, "tcp6", "[::1]:0"); port6 != 0 {
		listen += fmt.Sprintf(" listen [::1]:%d;", port6)
		n.base6 = fmt.Sprintf("http://[::1]:%d", port6)
	}
	// As root, nginx would run its workers as nobody, who cannot reopen logs
	// in the test's directory.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`
daemon off;
master_process on;
worker_processes 1;
%[1]s
pid %[2]s/nginx.pid;
error_log %[2]s/error.log notice;
events { worker_connections 256; }
http {
	client_body_temp_path %[2]s/tmp/body;
	proxy_temp_path %[2]s/tmp/proxy;
	fastcgi_temp_path %[2]s/tmp/fastcgi;
	uwsgi_temp_path %[2]s/tmp/uwsgi;
	scgi_temp_path %[2]s/tmp/scgi;
	default_type text/plain;
	log_format tjson escape=json '%[3]s';
	log_format tcustom '%[4]s';
	access_log %[2]s/logs/access.log combined;
	access_log %[2]s/logs/json.log tjson;
	access_log %[2]s/logs/custom.log tcustom;
	server {
		%[5]s
		location = /ready { access_log off; return 200 "ready"; }
		location / { return 200 "ok"; }
		location = /t.gif { empty_gif; }
	}
}
`, user, dir, nginxJSONFormat, nginxCustomFormat, listen)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	n.cmd.Stdout, n.cmd.Stderr = &n.stderr, &n.stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		n.cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { n.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			n.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", n.stderr.String(), errLog)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.base + "/ready")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not answer: %v\n%s", err, n.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// reopen asks nginx to reopen its logs, as logrotate's postrotate does, and
// waits until it did.
func (n *nginxServer) reopen(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range []string{"access.log", "json.log", "custom.log"} {
		for {
			if _, err := os.Stat(filepath.Join(n.logs, name)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("nginx did not reopen %s", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// shift renames log.N to log.N+1, highest first, as logrotate does before
// rotating log (with a rotate count high enough that nothing is deleted).
func (n *nginxServer) shift(t *testing.T, p string) {
	t.Helper()
	last := 0
	for {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", p, last+1)); err != nil {
			break
		}
		last++
	}
	for i := last; i >= 1; i-- {
		rename(t, fmt.Sprintf("%s.%d", p, i), fmt.Sprintf("%s.%d", p, i+1))
	}
}

// rotateByRename moves each log to .1 as logrotate's create mode does,
// without telling nginx yet.
func (n *nginxServer) rotateByRename(t *testing.T) {
	t.Helper()
	for _, name := range []string{"access.log", "json.log", "custom.log"} {
		p := filepath.Join(n.logs, name)
		n.shift(t, p)
		rename(t, p, p+".1")
	}
}

// copyTruncate rotates each log as logrotate's copytruncate does.
func (n *nginxServer) copyTruncate(t *testing.T) {
	t.Helper()
	for _, name := range []string{"access.log", "json.log", "custom.log"} {
		p := filepath.Join(n.logs, name)
		n.shift(t, p)
		copyTruncate(t, p, p+".1")
	}
}

// waitLogged waits until every log holds request id: nginx writes the log
// line after sending the response.
func (n *nginxServer) waitLogged(t *testing.T, id int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range []string{"access.log", "json.log", "custom.log"} {
		for {
			data, _ := os.ReadFile(filepath.Join(n.logs, name))
			if bytes.Contains(data, []byte("/page/"+strconv.Itoa(id))) || bytes.Contains(data, []byte("uid="+strconv.Itoa(id)+"&")) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %d not in %s", id, name)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func userAgent(id int) string { return fmt.Sprintf(`tester "quoted" ✓ %d`, id) }

func isBeacon(id int) bool { return id%2 == 1 }

// request makes request id: a page for even ids, a beacon for odd ones;
// every third over IPv6 when there is IPv6.
func (n *nginxServer) request(client *http.Client, id int) error {
	base := n.base
	if n.base6 != "" && id%3 == 0 {
		base = n.base6
	}
	url := fmt.Sprintf("%s/page/%d?x=%%E2%%9C%%93", base, id)
	if isBeacon(id) {
		url = fmt.Sprintf("%s/t.gif?ev=click&uid=%d&q=caf%%C3%%A9+%%E2%%9C%%93&tag=a&tag=b", base, id)
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent(id))
	req.Header.Set("Referer", fmt.Sprintf("https://example.com/ref?id=%d", id))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("request %d: %s", id, resp.Status)
	}
	return nil
}

func (n *nginxServer) requests(t *testing.T, client *http.Client, from, to int) {
	t.Helper()
	for id := from; id < to; id++ {
		if err := n.request(client, id); err != nil {
			t.Fatal(err)
		}
	}
}

// nginxRecord is what every format gives for the test's requests.
type nginxRecord struct {
	RemoteAddr  string         `json:"remote_addr"`
	Time        time.Time      `json:"time"`
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Query       string         `json:"query"`
	Protocol    string         `json:"protocol"`
	Status      *int           `json:"status"`
	Bytes       *int           `json:"bytes"`
	Referer     string         `json:"referer"`
	UserAgent   string         `json:"user_agent"`
	RequestTime *float64       `json:"request_time"`
	Params      map[string]any `json:"params"`
}

// checkNginxRecords checks each request from..to-1 came exactly once, with
// the fields it was made with.
func checkNginxRecords(t *testing.T, n *nginxServer, format string, h *harness, from, to int, start time.Time) {
	t.Helper()
	seen := map[int]int{}
	for _, rec := range h.got {
		if rec.Fault != nil {
			t.Fatalf("%s: faulty record %q: %v", format, rec.Value, rec.Fault)
		}
		var r nginxRecord
		if err := json.Unmarshal(rec.Value, &r); err != nil {
			t.Fatalf("%s: %s: %v", format, rec.Value, err)
		}
		var id int
		var err error
		if r.Path == "/t.gif" {
			uid, _ := r.Params["uid"].(string)
			id, err = strconv.Atoi(uid)
		} else {
			id, err = strconv.Atoi(strings.TrimPrefix(r.Path, "/page/"))
		}
		if err != nil {
			t.Fatalf("%s: no request id in %s", format, rec.Value)
		}
		seen[id]++
		wantAddr, wantBytes := "127.0.0.1", 2
		if n.base6 != "" && id%3 == 0 {
			wantAddr = "::1"
		}
		if isBeacon(id) {
			wantBytes = 43
		}
		bad := func(what string) { t.Fatalf("%s: request %d: %s in %s", format, id, what, rec.Value) }
		switch {
		case r.RemoteAddr != wantAddr:
			bad("remote_addr")
		case r.Method != "GET" || r.Protocol != "HTTP/1.1":
			bad("method or protocol")
		case r.Status == nil || *r.Status != 200:
			bad("status")
		case r.Bytes == nil || *r.Bytes != wantBytes:
			bad("bytes")
		case r.UserAgent != userAgent(id):
			bad("user_agent")
		case r.Referer != fmt.Sprintf("https://example.com/ref?id=%d", id):
			bad("referer")
		case r.Time.Before(start.Add(-time.Second).Truncate(time.Second)) || r.Time.After(time.Now().Add(time.Second)):
			bad("time")
		case !rec.Timestamp.Equal(r.Time):
			bad("record timestamp")
		case format != formatCombined && (r.RequestTime == nil || *r.RequestTime < 0):
			bad("request_time")
		}
		if isBeacon(id) {
			want := fmt.Sprintf(`{"ev":"click","q":"café ✓","tag":["a","b"],"uid":"%d"}`, id)
			got, _ := json.Marshal(r.Params)
			if string(got) != want || r.Query == "" {
				bad("params")
			}
		} else if r.Params != nil || r.Query != "x=%E2%9C%93" {
			bad("query")
		}
		if format == formatCombined {
			wantKey := ""
			if isBeacon(id) {
				wantKey = strconv.Itoa(id)
			}
			if string(rec.Key) != wantKey {
				bad(fmt.Sprintf("key %q", rec.Key))
			}
		}
	}
	var missing, dup []int
	for id := from; id < to; id++ {
		switch seen[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			dup = append(dup, id)
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(seen) != to-from {
		t.Fatalf("%s: %d records; missing %v, duplicated %v", format, len(h.got), missing, dup)
	}
}

// TestNginx runs a real nginx writing three logs (combined, escape=json, a
// custom format), rotates them by rename and by copytruncate while requests
// go on, restarts the sources from their stored positions, and checks each
// request was read exactly once from each log, with its fields.
func TestNginx(t *testing.T) {
	n := startNginx(t)
	start := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}

	sources := map[string]*harness{}
	for format, glob := range map[string]string{formatCombined: "access.log*", formatJSON: "json.log*", formatCustom: "custom.log*"} {
		cfg := baseConfig(filepath.Join(n.logs, glob))
		cfg["format"] = format
		cfg["log.format"] = nginxCustomFormat
		cfg["beacon.paths"] = "/t.gif,/collect"
		cfg["rotate.wait.ms"] = "2000"
		if format == formatCombined {
			cfg["key.field"] = "params.uid"
		}
		sources[format] = startRuntime(t, cfg)
	}
	readAll := func(total int) {
		t.Helper()
		for format, h := range sources {
			if missing := total - len(h.got); missing > 0 {
				h.readN(missing)
			}
			if len(h.got) != total {
				t.Fatalf("%s: %d records, want %d", format, len(h.got), total)
			}
		}
	}

	// Plain tailing.
	n.requests(t, client, 0, 40)
	readAll(40)

	// Rotation by rename: lines still unread in the old file, lines nginx
	// writes to the old file until it reopens, lines in the new file.
	n.requests(t, client, 40, 60)
	n.rotateByRename(t)
	n.requests(t, client, 60, 80)
	n.reopen(t)
	n.requests(t, client, 80, 100)
	readAll(100)

	// A restart: no gap, no duplicate.
	for _, h := range sources {
		h.restart()
	}
	n.requests(t, client, 100, 120)
	readAll(120)

	// Rotation by copytruncate, with lines written after the last read and
	// before the truncation, which only the copy holds. Requests pause for
	// the copy itself: what nginx writes between the copy and the truncation
	// is lost by copytruncate, whoever reads the log.
	n.requests(t, client, 120, 150)
	n.waitLogged(t, 149)
	n.copyTruncate(t)
	n.requests(t, client, 150, 170)
	readAll(170)

	// Requests that go on during rename rotations and restarts.
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := 170; id < 400; id++ {
			if err := n.request(client, id); err != nil {
				errs <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for round := range 4 {
		time.Sleep(40 * time.Millisecond)
		for _, h := range sources {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			h.read(ctx)
			cancel()
		}
		n.rotateByRename(t)
		time.Sleep(10 * time.Millisecond)
		n.reopen(t)
		if round == 2 {
			for _, h := range sources {
				h.restart()
			}
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	n.waitLogged(t, 399)
	readAll(400)
	for _, h := range sources {
		h.expectNothing()
	}
	for format, h := range sources {
		checkNginxRecords(t, n, format, h, 0, 400, start)
	}
}
