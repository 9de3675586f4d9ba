package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startPostgres starts a server on dir for the test and stops it at its end.
func startPostgres(ctx context.Context, t *testing.T, dir string) *Postgres {
	t.Helper()
	p, err := StartPostgres(ctx, PostgresOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func query(ctx context.Context, t *testing.T, p *Postgres, sql string) string {
	t.Helper()
	out, err := p.Query(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// The server starts on a fresh directory, serves the password account over
// TCP, stops without leaving a process behind and starts again on the same
// directory with the data kept.
func TestStartPostgresKeepsDataAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	p := startPostgres(ctx, t, dir)
	if err := p.Exec(ctx, "CREATE TABLE kept (id int PRIMARY KEY, name text); INSERT INTO kept VALUES (7, 'seven')"); err != nil {
		t.Fatal(err)
	}
	psql := filepath.Join(p.bin, "psql")
	out, err := exec.CommandContext(ctx, psql, "-X", "-A", "-t", "-d", p.URL(),
		"-c", "SELECT current_user, current_database(), name FROM kept").CombinedOutput()
	if got, want := strings.TrimSpace(string(out)), "tributary|tributary|seven"; err != nil || got != want {
		t.Fatalf("psql %s answers %q (%v), want %q", p.URL(), got, err, want)
	}
	wrong := strings.Replace(p.URL(), ":"+p.Password+"@", ":wrong@", 1)
	if out, err := exec.CommandContext(ctx, psql, "-X", "-w", "-d", wrong, "-c", "SELECT 1").CombinedOutput(); err == nil {
		t.Fatalf("TCP connection with a wrong password accepted: %s", out)
	}

	pid := p.cmd.Process.Pid
	p.Stop()
	p.Stop() // a second Stop does nothing
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("postmaster %d still runs after Stop", pid)
	}
	if left := processesIn(realPath(t, filepath.Join(dir, "data"))); len(left) > 0 {
		t.Fatalf("processes %v still run in the data directory after Stop", left)
	}

	p = startPostgres(ctx, t, dir)
	if got := query(ctx, t, p, "SELECT id, name FROM kept; SHOW wal_level"); got != "7\tseven\nlogical" {
		t.Fatalf("after a restart the server answers %q", got)
	}
}

// A postmaster killed outright leaves postmaster.pid behind, and its pid may
// belong to another process of the same user by the next start (a restarted
// container): the server starts all the same, with the committed data.
func TestStartPostgresAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	p := startPostgres(ctx, t, dir)
	if err := p.Exec(ctx, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done

	// A process of the server's user now has the dead postmaster's pid.
	squatter := exec.Command("sleep", "60")
	if p.owner != nil {
		squatter.SysProcAttr = &syscall.SysProcAttr{Credential: p.owner.credential()}
	}
	if err := squatter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = squatter.Process.Kill(); _ = squatter.Wait() })
	data := filepath.Join(dir, "data")
	lockFiles := []string{filepath.Join(data, "postmaster.pid"), filepath.Join(p.socketDir, fmt.Sprintf(".s.PGSQL.%d.lock", p.Port))}
	for _, f := range lockFiles {
		lines, err := readLines(f)
		if err != nil {
			t.Fatalf("the killed server left no %s: %v", f, err)
		}
		lines[0] = strconv.Itoa(squatter.Process.Pid)
		if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	p = startPostgres(ctx, t, dir)
	if got := query(ctx, t, p, "SELECT id FROM kept"); got != "1" {
		t.Fatalf("after a crash the server answers %q, want 1", got)
	}
	// A server running on the directory is not mistaken for a stale one.
	if other, err := StartPostgres(ctx, PostgresOptions{Dir: dir}); err == nil {
		other.Stop()
		t.Fatal("a second server started on a directory in use")
	}
	if got := query(ctx, t, p, "SELECT count(*) FROM kept"); got != "1" {
		t.Fatalf("after a refused second start the server answers %q, want 1", got)
	}
}

// Two servers run side by side, each on its own directory and free port.
func TestStartPostgresTwoAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	servers := make([]*Postgres, 2)
	errs := make(chan error, len(servers))
	for i := range servers {
		dir := t.TempDir()
		go func() {
			p, err := StartPostgres(ctx, PostgresOptions{Dir: dir})
			if err == nil {
				servers[i] = p
				t.Cleanup(p.Stop)
			}
			errs <- err
		}()
	}
	var failed []error
	for range servers {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		t.Fatal(failed)
	}
	if servers[0].Port == servers[1].Port {
		t.Fatalf("both servers on port %d", servers[0].Port)
	}
	for i, p := range servers {
		if err := p.Exec(ctx, fmt.Sprintf("CREATE TABLE which AS SELECT %d AS server", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range servers {
		if got := query(ctx, t, p, "SELECT server FROM which"); got != strconv.Itoa(i) {
			t.Fatalf("server %d on port %d answers %q", i, p.Port, got)
		}
	}
}

// A directory too deep for a unix socket path gets its socket under the
// temp directory instead.
func TestStartPostgresInADeepDirectory(t *testing.T) {
	short := "/tmp/x/data"
	if got, err := postgresSocketDir(short, nil); err != nil || got != short {
		t.Fatalf("postgresSocketDir(%q) = %q, %v; want the data directory", short, got, err)
	}
	if testing.Short() {
		t.Skip("starts postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	p := startPostgres(ctx, t, dir)
	if strings.HasPrefix(p.socketDir, dir) || len(filepath.Join(p.socketDir, ".s.PGSQL.65535")) >= 100 {
		t.Fatalf("socket directory %q for %q", p.socketDir, dir)
	}
	if got := query(ctx, t, p, "SELECT 1"); got != "1" {
		t.Fatalf("server in %s answers %q", dir, got)
	}
	p.Stop()
	if _, err := os.Stat(p.socketDir); err == nil {
		t.Fatalf("socket directory %s left behind", p.socketDir)
	}
}

func realPath(t *testing.T, path string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return real
}
