package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MariaDB is a mariadbd process serving a data directory of its own, with
// the binary log on in the form CDC needs (row format, full row images and
// full row metadata).
type MariaDB struct {
	Dir  string // data directory; also holds the socket, pid file and log
	Port int    // TCP port on 127.0.0.1
	// User and Password are an account with every privilege, replication
	// included, reachable over TCP from 127.0.0.1.
	User, Password string

	cmd    *exec.Cmd
	exited chan error
}

// MariaDBOptions say where and how to run the server.
type MariaDBOptions struct {
	Dir  string // data directory, created and initialised when empty
	Port int    // 0 picks a free port
	// ServerID is the server's replication id (default 1).
	ServerID int
	// Args are extra mariadbd options, e.g. "--binlog-row-metadata=MINIMAL".
	Args []string
}

// mariaDBUser is the account StartMariaDB creates for clients.
const (
	mariaDBUser     = "tributary"
	mariaDBPassword = "tributary"
)

// StartMariaDB initialises opts.Dir when it holds no database yet, starts
// mariadbd on it and waits until it accepts connections (about a second).
// Running as root, the server runs as root too (--user=root), as it would
// refuse otherwise.
func StartMariaDB(ctx context.Context, opts MariaDBOptions) (*MariaDB, error) {
	server, err := findBinary("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	// A temporary directory of its own: in the shared /tmp, servers and
	// installs running side by side (tests in parallel packages) have
	// removed each other's temporary tables, failing the install.
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	fresh := false
	if _, err := os.Stat(filepath.Join(data, "mysql")); errors.Is(err, os.ErrNotExist) {
		if err := initMariaDB(ctx, data, tmp); err != nil {
			return nil, err
		}
		fresh = true
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	serverID := opts.ServerID
	if serverID == 0 {
		serverID = 1
	}
	args := append([]string{
		"--no-defaults",
		"--datadir=" + data,
		"--tmpdir=" + tmp,
		"--socket=" + socketPath(dir),
		"--pid-file=" + filepath.Join(dir, "mariadb.pid"),
		"--log-error=" + filepath.Join(dir, "mariadb.log"),
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--server-id=" + strconv.Itoa(serverID),
		"--log-bin=" + filepath.Join(data, "binlog"),
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--binlog-row-metadata=FULL",
		"--skip-name-resolve",
		"--innodb-buffer-pool-size=64M",
		"--innodb-log-file-size=48M",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
	}, opts.Args...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	m := &MariaDB{Dir: dir, Port: port, User: mariaDBUser, Password: mariaDBPassword, exited: make(chan error, 1)}
	m.cmd = exec.Command(server, args...)
	// Its messages go to mariadb.log (--log-error); LogTail shows them.
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd: %w", err)
	}
	go func() { m.exited <- m.cmd.Wait() }()
	if err := m.waitReady(ctx, 60*time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	if fresh {
		if err := m.createUser(ctx); err != nil {
			m.Stop()
			return nil, err
		}
	}
	return m, nil
}

// initMariaDB creates the system tables in data.
func initMariaDB(ctx context.Context, data, tmp string) error {
	install, err := findBinary("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return err
	}
	// Options it does not know, --tmpdir among them, go to the server it
	// runs.
	args := []string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	out, err := exec.CommandContext(ctx, install, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	return nil
}

// createUser adds the TCP account, through the root account on the socket.
func (m *MariaDB) createUser(ctx context.Context) error {
	sql := fmt.Sprintf("CREATE USER IF NOT EXISTS '%[1]s'@'%%' IDENTIFIED BY '%[2]s';"+
		"GRANT ALL PRIVILEGES ON *.* TO '%[1]s'@'%%' WITH GRANT OPTION;FLUSH PRIVILEGES;", m.User, m.Password)
	return m.ExecRoot(ctx, sql)
}

// ExecRoot runs SQL statements as root through the server's socket with the
// mariadb command-line client, for setup that needs no result.
func (m *MariaDB) ExecRoot(ctx context.Context, sql string) error {
	_, err := m.QueryRoot(ctx, sql)
	return err
}

// QueryRoot runs SQL statements as root through the server's socket and
// returns what they print in batch mode: tab-separated rows, no headers.
func (m *MariaDB) QueryRoot(ctx context.Context, sql string) (string, error) {
	client, err := findBinary("mariadb", "mysql")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, client, "--no-defaults", "--protocol=socket", "--socket="+socketPath(m.Dir),
		"--host=localhost", "-uroot", "--batch", "--skip-column-names", "-e", sql)
	// The client reads MYSQL_HOST and friends from the environment, and
	// MYSQL_HOST=127.0.0.1 (set for the CDC connectors' ${MYSQL_HOST})
	// sends it over TCP to whatever server has the default port, socket
	// option or not.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "MYSQL_") })
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("mariadb -e %q: %w: %s", sql, err, stderr.String())
	}
	return stdout.String(), nil
}

// waitReady polls the TCP port until the server answers with its greeting.
func (m *MariaDB) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-m.exited:
			m.exited <- err
			return fmt.Errorf("mariadbd exited during start (%v); its log:\n%s", err, m.LogTail())
		default:
		}
		if c, err := net.DialTimeout("tcp", m.Addr(), time.Second); err == nil {
			c.SetReadDeadline(time.Now().Add(time.Second))
			greeting := make([]byte, 5)
			_, err := c.Read(greeting)
			c.Close()
			if err == nil {
				if _, err := os.Stat(socketPath(m.Dir)); err == nil {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd not ready on %s after %s; its log:\n%s", m.Addr(), timeout, m.LogTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addr is host:port of the server.
func (m *MariaDB) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.Port)) }

// LogTail returns the end of the server's error log.
func (m *MariaDB) LogTail() string {
	data, _ := os.ReadFile(filepath.Join(m.Dir, "mariadb.log"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Stop shuts the server down cleanly (SIGTERM), killing it after 30 s.
func (m *MariaDB) Stop() {
	if m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-m.exited:
		m.exited <- err
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
	}
}

func socketPath(dir string) string {
	// Unix socket paths are limited to about 100 bytes; a deep temp dir
	// would not fit, so long paths fall back to a name under /tmp.
	p := filepath.Join(dir, "mariadb.sock")
	if len(p) < 100 {
		return p
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("tributary-mariadb-%d.sock", hash(dir)))
}

func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// findBinary returns the first of names found on PATH or in the sbin
// directories Debian installs servers to.
func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin"} {
			p := filepath.Join(dir, n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found: install MariaDB (apt-get install mariadb-server mariadb-client, or scripts/install-deps.sh)", names[0])
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
