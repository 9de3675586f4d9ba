package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Postgres is a postmaster serving a data directory of its own on a loopback
// port, with a superuser account and a database for clients.
type Postgres struct {
	// Dir holds the cluster (Dir/data) and the server's log (Dir/postgres.log).
	Dir  string
	Port int // TCP port on 127.0.0.1
	// User and Password are a superuser reachable over TCP with a password;
	// Database is owned by it. URL puts the three together.
	User, Password, Database string

	socketDir string   // where the server's unix socket is; Exec and Query use it
	bin       string   // the directory of initdb, postgres and (usually) psql
	owner     *pgOwner // the user the server runs as; nil: this process's
	cmd       *exec.Cmd
	done      chan struct{} // closed once the postmaster has exited
	stopOnce  sync.Once
}

// PostgresOptions say where and how to run the server.
type PostgresOptions struct {
	Dir  string // directory for the cluster and the log, initialised when empty
	Port int    // 0 picks a free port
	// Args are extra postgres options, e.g. "-c", "work_mem=64MB"; they come
	// after the defaults and so override them.
	Args []string
}

// The account and database StartPostgres makes sure exist for clients.
const (
	postgresUser     = "tributary"
	postgresPassword = "tributary"
	postgresDatabase = "tributary"
	// postgresSuperuser is the bootstrap superuser initdb creates; setup
	// connects as it because it exists before anything else does.
	postgresSuperuser = "postgres"
)

// StartPostgres initialises opts.Dir when it holds no cluster yet, starts
// postgres on it and waits until it accepts connections (a second or two).
// A cluster in opts.Dir is reused with its data, also after a server was
// killed. PostgreSQL refuses to run as root: running as root, the server runs
// as the system user postgres, its data directory is chowned to that user and
// directories above it that the user cannot traverse get the search bit for
// others (o+x, which lets it through without letting it list them).
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	// A cluster only runs under the major version that made it: prefer those
	// binaries when the directory already holds one.
	version, _ := os.ReadFile(filepath.Join(data, "PG_VERSION"))
	fresh := len(version) == 0
	bin, err := findPostgresBin(strings.TrimSpace(string(version)))
	if err != nil {
		return nil, err
	}
	owner, err := postgresOwner()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	if owner != nil {
		if err := owner.reach(data); err != nil {
			return nil, err
		}
	}
	if fresh {
		if err := initPostgres(ctx, bin, data, owner); err != nil {
			return nil, err
		}
	}
	if err := removeStalePid(data); err != nil {
		return nil, err
	}
	sockets, err := postgresSocketDir(data, owner)
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	p := &Postgres{
		Dir: dir, Port: port, User: postgresUser, Password: postgresPassword, Database: postgresDatabase,
		socketDir: sockets, bin: bin, owner: owner, done: make(chan struct{}),
	}
	if err := p.start(opts.Args); err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	if err := p.ensureAccount(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// start runs the postmaster in the foreground as a child, its output
// appended to Dir/postgres.log. The file is opened here rather than by the
// server, so it works whoever owns Dir.
func (p *Postgres) start(extra []string) error {
	logFile, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	args := append([]string{
		"-D", filepath.Join(p.Dir, "data"),
		"-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + p.socketDir,
		"-c", "max_connections=100",
		// Logical decoding costs little and lets a PostgreSQL source read
		// the same server the sinks write to.
		"-c", "wal_level=logical",
	}, extra...)
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), args...)
	p.cmd.Dir = filepath.Join(p.Dir, "data")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a Ctrl-C in a terminal reaches only us, and
		// Stop shuts the server down in order.
		Setpgid: true,
		// Should this process die without calling Stop (a test binary
		// killed at its timeout), the server still shuts down fast rather
		// than holding its port and data directory. (Linux sends it when the
		// thread that started the child ends, which Go does only to a thread
		// a goroutine locked and exited on; nothing here does that.)
		Pdeathsig: syscall.SIGINT,
	}
	if p.owner != nil {
		p.cmd.SysProcAttr.Credential = p.owner.credential()
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return nil
}

// initPostgres creates a cluster in data (an empty directory). Local (socket)
// connections are trusted, TCP ones need a password.
func initPostgres(ctx context.Context, bin, data string, owner *pgOwner) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", postgresSuperuser,
		"--auth-local=trust", "--auth-host=scram-sha-256",
		// The C locale sorts by byte and exists everywhere, so tests see
		// the same order on every machine.
		"--encoding=UTF8", "--locale=C", "--no-instructions")
	cmd.Dir = data
	if owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: owner.credential()}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// ensureAccount creates the client account and its database unless they
// exist, on every start: a server killed between initdb and this step is
// mended the next time.
func (p *Postgres) ensureAccount(ctx context.Context) error {
	sql := fmt.Sprintf(`SELECT 'CREATE ROLE %[1]s LOGIN SUPERUSER PASSWORD ''%[2]s''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s')
\gexec
SELECT 'CREATE DATABASE %[3]s OWNER %[1]s' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%[3]s')
\gexec
`, p.User, p.Password, p.Database)
	_, err := p.psql(ctx, postgresSuperuser, "postgres", sql)
	return err
}

// URL is a connection URL for User on Database over TCP, as pgx and libpq
// take it.
func (p *Postgres) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(p.User, p.Password),
		Host:     p.Addr(),
		Path:     "/" + p.Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Addr is host:port of the server.
func (p *Postgres) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) }

// Exec runs SQL statements as User on Database through the server's socket
// with psql, for setup that needs no result. It stops at the first error.
func (p *Postgres) Exec(ctx context.Context, sql string) error {
	_, err := p.Query(ctx, sql)
	return err
}

// Query runs SQL statements as User on Database through the server's socket
// with psql and returns what they print: rows of tab-separated values, no
// headers, NULL as the empty string. It stops at the first error.
func (p *Postgres) Query(ctx context.Context, sql string) (string, error) {
	return p.psql(ctx, p.User, p.Database, sql)
}

// psql feeds sql to psql on standard input, so a script with several
// statements, dollar quotes or psql's meta-commands runs as it would from a
// file.
func (p *Postgres) psql(ctx context.Context, user, database, sql string) (string, error) {
	client := filepath.Join(p.bin, "psql")
	if _, err := os.Stat(client); err != nil {
		if client, err = exec.LookPath("psql"); err != nil {
			return "", errors.New("psql not found: install the PostgreSQL client (apt-get install postgresql-client-15, or postgresql-client)")
		}
	}
	cmd := exec.CommandContext(ctx, client, "-X", "-q", "-A", "-t", "-F", "\t",
		"-v", "ON_ERROR_STOP=1", "-h", p.socketDir, "-p", strconv.Itoa(p.Port),
		"-U", user, "-d", database, "-f", "-")
	// PGCONNECT_TIMEOUT bounds a connection to a server that hangs; the
	// variables that could send psql elsewhere are not passed on.
	cmd.Env = append(pgFreeEnv(), "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql %q: %w: %s", abbreviate(sql, 200), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// pgFreeEnv is this process's environment without libpq's variables (PGHOST,
// PGSERVICE, PGOPTIONS…), which would override or add to psql's flags.
func pgFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// waitReady runs "select 1" through the socket until it succeeds: the
// postmaster accepts connections before recovery ends, and only then
// answers queries.
func (p *Postgres) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during start (%v); its log:\n%s", p.cmd.ProcessState, p.LogTail())
		default:
		}
		_, err := p.psql(ctx, postgresSuperuser, "postgres", "select 1")
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready on %s after %s (%v); its log:\n%s", p.Addr(), timeout, err, p.LogTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Postgres) logPath() string { return filepath.Join(p.Dir, "postgres.log") }

// LogTail returns the end of the server's log.
func (p *Postgres) LogTail() string {
	data, _ := os.ReadFile(p.logPath())
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Stop shuts the server down with a fast shutdown (SIGINT: sessions are
// ended, then a checkpoint) and waits until the postmaster and its children
// have exited. A server that does not stop within 30 s gets an immediate
// shutdown (SIGQUIT), then SIGKILL. Calling Stop again does nothing.
func (p *Postgres) Stop() {
	p.stopOnce.Do(func() {
		if p.cmd == nil || p.cmd.Process == nil {
			return
		}
		for _, step := range []struct {
			sig   os.Signal
			grace time.Duration
		}{{syscall.SIGINT, 30 * time.Second}, {syscall.SIGQUIT, 5 * time.Second}, {os.Kill, time.Minute}} {
			_ = p.cmd.Process.Signal(step.sig)
			select {
			case <-p.done:
				// The postmaster exits only after its children in a fast or
				// immediate shutdown; killed, it leaves them to notice its
				// death, which they do within moments.
				if p.socketDir != filepath.Join(p.Dir, "data") {
					_ = os.Remove(p.socketDir) // empty now; one of ours under /tmp
				}
				return
			case <-time.After(step.grace):
			}
		}
	})
}

// findPostgresBin returns the directory of the server binaries: Debian's
// /usr/lib/postgresql/VERSION/bin for the version a cluster was made with,
// else for 15, else for the newest installed, else where PATH finds postgres.
func findPostgresBin(version string) (string, error) {
	isServerDir := func(dir string) bool {
		for _, name := range []string{"postgres", "initdb"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	var candidates []string
	if version != "" {
		candidates = append(candidates, filepath.Join("/usr/lib/postgresql", version, "bin"))
	}
	candidates = append(candidates, "/usr/lib/postgresql/15/bin")
	installed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(installed, func(i, j int) bool { return pgMajor(installed[i]) > pgMajor(installed[j]) })
	candidates = append(candidates, installed...)
	if server, err := exec.LookPath("postgres"); err == nil {
		// Debian links them into PATH at most; the binaries' own directory
		// also has the psql of the same version.
		if real, err := filepath.EvalSymlinks(server); err == nil {
			server = real
		}
		candidates = append(candidates, filepath.Dir(server))
	}
	for _, dir := range candidates {
		if isServerDir(dir) {
			return dir, nil
		}
	}
	return "", errors.New("postgres and initdb not found in /usr/lib/postgresql/*/bin or PATH: install the PostgreSQL server (apt-get install postgresql-15, or postgresql; or scripts/install-deps.sh)")
}

// pgMajor is the version in /usr/lib/postgresql/VERSION/bin, 0 if none.
func pgMajor(bin string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bin)), 64)
	return v
}

// removeStalePid clears the way after a postmaster that was killed. Its
// lock file (postmaster.pid) stays behind; PostgreSQL ignores it when its pid
// is free, and checks first that no process of the old server still uses
// the shared memory. But after a restart (of a container, say) the pid often
// belongs to another process of the same user, and then it refuses to start:
// that lock file, and the socket's, are removed here once no process of the
// old server is left. A server that does run on data is an error.
func removeStalePid(data string) error {
	pidFile := filepath.Join(data, "postmaster.pid")
	lines, err := readLines(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if _, err := os.Readlink("/proc/self/cwd"); err != nil {
		return nil // no /proc to tell: leave it to postgres
	}
	if real, err := filepath.EvalSymlinks(data); err == nil {
		data = real // as /proc shows working directories
	}
	// Lines: pid, data directory, start time, port, socket directory, …
	pid := 0
	if len(lines) > 0 {
		pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	}
	if pid <= 0 {
		return nil
	}
	if processCwd(pid) == data {
		// A postmaster works in its data directory, and so do its children.
		return fmt.Errorf("a postgres (pid %d) already runs on %s: stop it first", pid, data)
	}
	// The children of a killed postmaster exit when they notice, within
	// moments; until then the new server would refuse to start.
	for deadline := time.Now().Add(10 * time.Second); ; {
		left := processesIn(data)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of a stopped postgres still use %s", left, data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return nil // postgres handles a free pid itself
	}
	if len(lines) > 4 && strings.TrimSpace(lines[3]) != "" && strings.TrimSpace(lines[4]) != "" {
		lock := filepath.Join(strings.TrimSpace(lines[4]), ".s.PGSQL."+strings.TrimSpace(lines[3])+".lock")
		if l, err := readLines(lock); err == nil && len(l) > 0 && strings.TrimSpace(l[0]) == strconv.Itoa(pid) {
			if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(string(data), "\n"), nil
}

// processCwd is the working directory of process pid, "" when it cannot be
// read (gone, a zombie, or another user's process, which cannot be a server
// running on a directory we own).
func processCwd(pid int) string {
	cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	return cwd
}

// processesIn returns the processes working in dir.
func processesIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && processCwd(pid) == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

// postgresSocketDir returns the directory for the server's unix socket: the
// data directory, or where its path is too long for a socket (socketPath's
// rule; the socket is DIR/.s.PGSQL.PORT) one under the temp directory named
// after it, created for the server's user.
func postgresSocketDir(data string, owner *pgOwner) (string, error) {
	if len(filepath.Join(data, ".s.PGSQL.65535")) < 100 {
		return data, nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tributary-pg-%d", hash(data)))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if owner != nil {
		if err := os.Chown(dir, owner.uid, owner.gid); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// pgOwner is the system user the server runs as when we are root.
type pgOwner struct{ uid, gid int }

// postgresOwner returns nil when not root (the server runs as us), else the
// system user postgres.
func postgresOwner() (*pgOwner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no user postgres to run it as (apt-get install postgresql-15 creates it): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &pgOwner{uid: uid, gid: gid}, nil
}

func (o *pgOwner) credential() *syscall.Credential {
	return &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}
}

// reach makes data the owner's (all of it, should a cluster made by another
// user be reused) and every directory above it traversable by the owner.
func (o *pgOwner) reach(data string) error {
	if fi, err := os.Stat(data); err != nil {
		return err
	} else if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != o.uid {
		err := filepath.WalkDir(data, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, o.uid, o.gid)
		})
		if err != nil {
			return fmt.Errorf("chown %s to postgres: %w", data, err)
		}
	}
	for dir := filepath.Dir(data); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !o.canSearch(fi.Mode(), st) {
			// t.TempDir() and os.MkdirTemp make 0700 directories.
			if err := os.Chmod(dir, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let postgres reach %s: %w", data, err)
			}
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// canSearch tells whether the owner may traverse a directory. Supplementary
// groups are left out: the server runs with none.
func (o *pgOwner) canSearch(mode fs.FileMode, st *syscall.Stat_t) bool {
	switch {
	case int(st.Uid) == o.uid:
		return mode&0o100 != 0
	case int(st.Gid) == o.gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}
