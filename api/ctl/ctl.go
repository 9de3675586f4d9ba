package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/tributarydata/tributary/api/client"
)

// Exit codes of Run.
const (
	ExitOK      = 0
	ExitFailure = 1 // the request failed, or the answer is a failure (invalid config, unhealthy)
	ExitUsage   = 2 // bad command line
)

// DefaultURL is the worker the commands talk to when neither --url nor
// TRIBUTARY_URL says otherwise.
const DefaultURL = "http://127.0.0.1:8083"

// globals are the flags every command accepts, before or after its name.
type globals struct {
	url     string
	token   string
	output  string
	timeout time.Duration
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "url", g.url, "worker REST `URL` (env TRIBUTARY_URL)")
	fs.StringVar(&g.token, "token", g.token, "bearer `token` for writes (env TRIBUTARY_TOKEN)")
	fs.StringVar(&g.output, "o", g.output, "output `format`: table or json")
	fs.StringVar(&g.output, "output", g.output, "output `format`: table or json")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "per-request `timeout`")
}

// session is one invocation of a command.
type session struct {
	ctx    context.Context
	g      globals
	stdout io.Writer
	stderr io.Writer
	env    func(string) (string, bool)
	client *client.Client

	// command flags
	includeTasks bool
	onlyFailed   bool
	dryRun       bool
}

func (s *session) json() bool { return s.g.output == "json" }

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errSilentFailure ends a command with exit code 1 after it printed why.
var errSilentFailure = errors.New("failed")

// Run runs `tributary ctl` with args (the arguments after "ctl") and returns
// the exit code. env looks up environment variables (os.LookupEnv in main;
// nil means an empty environment).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	if env == nil {
		env = noEnv
	}
	g := globals{url: DefaultURL, output: "table", timeout: client.DefaultTimeout}
	if v, ok := env("TRIBUTARY_URL"); ok && v != "" {
		g.url = v
	}
	if v, ok := env("TRIBUTARY_TOKEN"); ok {
		g.token = v
	}

	top := flag.NewFlagSet("tributary ctl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return ExitOK
		}
		return usageFailure(stderr, "", err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		printUsage(stderr)
		return ExitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) > 0 {
			if cmd := lookup(rest[0]); cmd != nil {
				printCommandUsage(stdout, cmd)
				return ExitOK
			}
		}
		printUsage(stdout)
		return ExitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		return usageFailure(stderr, "", fmt.Errorf("unknown command %q", name))
	}

	s := &session{ctx: ctx, stdout: stdout, stderr: stderr, env: env}
	fs := flag.NewFlagSet("tributary ctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs)
	if cmd.flags != nil {
		cmd.flags(fs, s)
	}
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd)
			return ExitOK
		}
		return usageFailure(stderr, cmd.name, err)
	}
	if len(pos) < cmd.minArgs || (cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs) {
		return usageFailure(stderr, cmd.name, fmt.Errorf("wrong number of arguments"))
	}
	if g.output != "table" && g.output != "json" {
		return usageFailure(stderr, cmd.name, fmt.Errorf("-o must be table or json, not %q", g.output))
	}
	s.g = g
	if s.client, err = newClient(g); err != nil {
		return usageFailure(stderr, cmd.name, err)
	}

	switch err := cmd.run(s, pos); {
	case err == nil:
		return ExitOK
	case errors.Is(err, errSilentFailure):
		return ExitFailure
	default:
		var ue *usageError
		if errors.As(err, &ue) {
			return usageFailure(stderr, cmd.name, err)
		}
		fmt.Fprintf(stderr, "error: %v%s\n", err, hint(err, g))
		return ExitFailure
	}
}

func newClient(g globals) (*client.Client, error) {
	u := g.url
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	c, err := client.New(u,
		client.WithToken(g.token),
		client.WithTimeout(g.timeout),
		client.WithUserAgent("tributary-ctl"))
	if err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	return c, nil
}

// hint adds what to do about common failures.
func hint(err error, g globals) string {
	var apiErr *client.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == 401:
		return "\nhint: pass --token or set TRIBUTARY_TOKEN"
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("\nhint: is a worker running at %s? (--url or TRIBUTARY_URL)", g.url)
	}
	return ""
}

func usageFailure(stderr io.Writer, cmdName string, err error) int {
	fmt.Fprintf(stderr, "error: %v\n", err)
	if cmd := lookup(cmdName); cmd != nil {
		fmt.Fprintf(stderr, "usage: tributary ctl %s %s\n", cmd.name, cmd.args)
		fmt.Fprintf(stderr, "run 'tributary ctl %s -h' for help\n", cmd.name)
	} else {
		fmt.Fprintln(stderr, "run 'tributary ctl -h' for help")
	}
	return ExitUsage
}

// parseInterspersed parses flags anywhere among the positional arguments
// (`restart NAME --include-tasks`); after "--" everything is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
