package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
)

// launcher starts the processes of one plugin binary.
type launcher struct {
	path string
	opts Options
	log  *slog.Logger
}

func newLauncher(path string, opts Options) *launcher {
	return &launcher{path: path, opts: opts, log: opts.logger().With("plugin", filepath.Base(path))}
}

// silent is go-plugin's logger: its messages restate what the host's errors
// say, and the plugin's own output is logged by output instead.
var silent = hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})

// proc is one running plugin process.
type proc struct {
	path   string
	client *plugin.Client
	cmd    *exec.Cmd
	rpc    *pluginrpc.Client
	out    *output
	pid    int
	// gone is the error that ended the process's use (a crash, a timeout, a
	// broken call); later calls return it without trying.
	gone error
}

// start launches the binary and connects to it within timeout.
func (l *launcher) start(timeout time.Duration) (*proc, error) {
	cmd := exec.Command(l.path, l.opts.Args...)
	cmd.Env = append(os.Environ(), l.opts.Env...)
	prepare(cmd)
	out := newOutput(l.log)
	p := &proc{path: l.path, cmd: cmd, out: out}
	// The record stream's plugin end, inherited as descriptor 3 (the
	// first of ExtraFiles); the host's end is attached once connected.
	stream, streamEnd, streamErr := pluginrpc.NewStreamPair()
	if streamErr == nil {
		cmd.ExtraFiles = []*os.File{streamEnd}
		cmd.Env = append(cmd.Env, pluginrpc.StreamEnv+"=3")
		defer streamEnd.Close() // the process has its own copy
	}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: pluginrpc.Handshake,
		Plugins:         pluginrpc.ClientPlugins(),
		Cmd:             cmd,
		// cmd.Env holds the worker's environment already, under
		// Options.Env; go-plugin would append it again, over Options.Env.
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  pluginrpc.DialOptions(),
		StartTimeout:     timeout,
		Logger:           silent,
		Stderr:           out.writer("stderr"),
		SyncStderr:       out.writer("stderr"),
		SyncStdout:       out.writer("stdout"),
	})
	conn, err := p.client.Client()
	if err != nil {
		exited := p.waitExit(time.Second)
		p.kill()
		if stream != nil {
			_ = stream.Close()
		}
		return nil, p.startError(err, exited)
	}
	p.pid = cmd.Process.Pid
	out.pid.Store(int64(p.pid))
	raw, err := conn.Dispense(pluginrpc.PluginName)
	if err != nil {
		p.kill()
		if stream != nil {
			_ = stream.Close()
		}
		return nil, fmt.Errorf("plugin %s: %w", l.path, err)
	}
	p.rpc = raw.(*pluginrpc.Client)
	if streamErr != nil {
		l.log.Debug("plugin calls go over gRPC", "reason", streamErr)
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := p.rpc.AttachStream(ctx, stream); err != nil {
		// A plugin built before the stream: slower, as correct.
		l.log.Debug("plugin calls go over gRPC", "reason", err)
	}
	return p, nil
}

// versionMismatch finds the plugin's version in go-plugin's refusal.
var versionMismatch = regexp.MustCompile(`incompatible API version with plugin\. Plugin version: (\d+)`)

func (p *proc) startError(err error, exited bool) error {
	msg := err.Error()
	if m := versionMismatch.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("plugin %s speaks Tributary plugin protocol version %s, but this worker speaks version %d: rebuild the plugin with this worker's plugins/sdk",
			p.path, m[1], pluginrpc.ProtocolVersion)
	}
	// go-plugin appends a page of guesses to some errors; the first line
	// and the plugin's own words say more.
	first, _, _ := strings.Cut(msg, "\n")
	if p.cmd.Process == nil {
		return fmt.Errorf("plugin %s could not be run: %s", p.path, first)
	}
	status := ""
	if exited {
		status = " (" + p.exitStatus() + ")"
	}
	return fmt.Errorf("plugin %s did not start as a Tributary plugin: %s%s%s", p.path, first, status, p.out.quote())
}

// exitWait bounds the wait for a process whose connection broke to be seen
// exiting, which tells a crash from a broken connection.
const exitWait = 5 * time.Second

// call runs one call into the process with a deadline and turns a transport
// failure into the error of a plugin fault; the plugin's own errors are in
// the responses and pass through.
func (p *proc) call(ctx context.Context, method string, timeout time.Duration, do func(ctx context.Context) error) error {
	if p.gone != nil {
		return p.gone
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := do(cctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// The caller gave up (the task is stopping): the process is fine.
		return fmt.Errorf("plugin %s: %s: %w", p.path, method, context.Cause(ctx))
	case cctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
		// The plugin's side sees the deadline too, and may report it
		// before the timer here fires.
		p.kill()
		p.gone = fmt.Errorf("plugin %s: %s did not answer within %v, so its process (pid %d) was killed%s",
			p.path, method, timeout, p.pid, p.out.quote())
	case p.waitExit(exitWait):
		p.gone = fmt.Errorf("plugin %s: its process (pid %d) exited (%s) during %s%s",
			p.path, p.pid, p.exitStatus(), method, p.out.quote())
		p.kill()
	default:
		p.kill()
		p.gone = fmt.Errorf("plugin %s: %s failed, so its process (pid %d) was killed: %v%s",
			p.path, method, p.pid, err, p.out.quote())
	}
	return p.gone
}

// waitExit reports whether the process exited within d.
func (p *proc) waitExit(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// exitStatus says how the process ended, e.g. "exit status 3" or "signal:
// killed". Only after Exited: go-plugin's Wait sets ProcessState before it
// marks the client exited, under the lock Exited takes.
func (p *proc) exitStatus() string {
	if p.cmd.ProcessState == nil {
		return "did not run"
	}
	return p.cmd.ProcessState.String()
}

// stop ends a healthy process: go-plugin asks it to exit, and kills it
// after two seconds.
func (p *proc) stop() {
	p.client.Kill()
	if p.rpc != nil {
		p.rpc.CloseStream()
	}
}

// kill ends the process at once.
func (p *proc) kill() {
	if p.cmd.Process != nil && !p.client.Exited() {
		killGroup(p.cmd.Process)
	}
	p.client.Kill()
	if p.rpc != nil {
		p.rpc.CloseStream()
	}
}

// errNotOpen is the error of a call on an instance that is not open.
var errNotOpen = errors.New("plugin instance is not open")
