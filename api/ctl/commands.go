package ctl

import (
	"flag"
	"fmt"
	"io"
	"strconv"
)

// command is one subcommand of `tributary ctl`.
type command struct {
	name    string
	args    string // argument synopsis
	summary string
	help    string // extra text of `-h`
	minArgs int
	maxArgs int // -1: unbounded
	flags   func(fs *flag.FlagSet, s *session)
	run     func(s *session, args []string) error
}

var commands []*command

func init() {
	// Assigned in init: the run functions refer back to the table (usage).
	commands = []*command{
		{name: "list", summary: "connectors with type, state, running/total tasks and worker", maxArgs: 0, run: runList},
		{name: "get", args: "NAME", summary: "a connector's type, tasks and config", minArgs: 1, maxArgs: 1, run: runGet},
		{name: "status", args: "NAME", summary: "state of a connector and its tasks", minArgs: 1, maxArgs: 1, run: runStatus},
		{name: "config", args: "NAME", summary: "a connector's config (secrets masked)", minArgs: 1, maxArgs: 1, run: runConfig},
		{name: "create", args: "FILE", summary: "create the connector(s) of FILE", minArgs: 1, maxArgs: 1, run: runCreate,
			help: "FILE holds {\"name\",\"config\"}, an array of them or {\"connectors\":[...]}; placeholders are filled\nas for apply. Fails if a connector exists (apply creates or updates)."},
		{name: "delete", args: "NAME", summary: "delete a connector", minArgs: 1, maxArgs: 1, run: runDelete},
		{name: "pause", args: "NAME", summary: "pause a connector and its tasks", minArgs: 1, maxArgs: 1, run: runPause},
		{name: "resume", args: "NAME", summary: "resume a paused or stopped connector", minArgs: 1, maxArgs: 1, run: runResume},
		{name: "stop", args: "NAME", summary: "stop a connector and shut its tasks down", minArgs: 1, maxArgs: 1, run: runStop},
		{name: "restart", args: "NAME [--include-tasks] [--only-failed]", summary: "restart a connector (and its tasks)", minArgs: 1, maxArgs: 1, run: runRestart,
			flags: func(fs *flag.FlagSet, s *session) {
				fs.BoolVar(&s.includeTasks, "include-tasks", false, "restart the connector's tasks too")
				fs.BoolVar(&s.onlyFailed, "only-failed", false, "restart only FAILED instances")
			}},
		{name: "restart-task", args: "NAME ID", summary: "restart one task", minArgs: 2, maxArgs: 2, run: runRestartTask},
		{name: "tasks", args: "NAME", summary: "task configs of a connector", minArgs: 1, maxArgs: 1, run: runTasks},
		{name: "offsets", args: "NAME | reset NAME | alter NAME FILE", summary: "show, reset or alter a connector's offsets", minArgs: 1, maxArgs: 3, run: runOffsets,
			help: "reset and alter need a stopped connector (tributary ctl stop NAME). FILE holds\n{\"offsets\":[{\"partition\":{...},\"offset\":{...}}]}; a null offset resets its partition."},
		{name: "plugins", summary: "installed plugins", maxArgs: 0, run: runPlugins},
		{name: "plugin-config", args: "CLASS", summary: "config definition of a plugin", minArgs: 1, maxArgs: 1, run: runPluginConfig},
		{name: "validate", args: "CLASS FILE", summary: "validate a config against a plugin (exit status 1 when invalid)", minArgs: 2, maxArgs: 2, run: runValidate,
			help: "FILE holds a config object, or {\"name\",\"config\"}; placeholders are filled as for apply."},
		{name: "workers", summary: "live workers of the cluster", maxArgs: 0, run: runWorkers},
		{name: "health", summary: "health of the worker (exit status 1 unless healthy)", maxArgs: 0, run: runHealth},
		{name: "info", summary: "version of the worker and its Kafka cluster", maxArgs: 0, run: runInfo},
		{name: "apply", args: "[--dry-run] FILE|DIR", summary: "create or update connectors from files, idempotently", minArgs: 1, maxArgs: 1, run: runApply,
			flags: func(fs *flag.FlagSet, s *session) {
				fs.BoolVar(&s.dryRun, "dry-run", false, "validate and show what would change, change nothing")
			},
			help: applyHelp},
	}
}

const applyHelp = `Reads FILE, or every *.json file directly inside DIR in name order. A file holds
one connector {"name","config"}, an array of them, or {"connectors":[...]}.

Config string values may hold placeholders, filled from the environment:
  ${VAR}            the value of VAR; an error if VAR is unset
  ${VAR:-default}   the value of VAR, or default if VAR is unset or empty
  $${               a literal ${
${provider:path:key} references (Kafka Connect config providers) are passed on
as written. Any problem in any file stops apply before it changes anything.

Every config is validated by the worker first; if one is invalid, its field
errors are printed and nothing is applied. Then each connector is created,
updated, or left unchanged when the worker's config equals the file's (keys the
worker shows as "[hidden]" cannot be compared, so such connectors are updated).
Prints one line per connector: created|updated|unchanged NAME.`

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: tributary ctl [flags] COMMAND [ARGS]

Manages the connectors of a Tributary cluster through a worker's REST API
(Kafka Connect's API: any worker answers for the whole cluster).

Commands:
`)
	for _, c := range commands {
		if c.name == "offsets" { // three forms, one line each
			fmt.Fprintf(w, "  %-40s %s\n", "offsets NAME", "a connector's committed offsets")
			fmt.Fprintf(w, "  %-40s %s\n", "offsets reset NAME", "reset the offsets of a stopped connector")
			fmt.Fprintf(w, "  %-40s %s\n", "offsets alter NAME FILE", "set offsets of a stopped connector")
			continue
		}
		syn := joinNonEmpty(c.name, c.args)
		if len(syn) > 40 {
			fmt.Fprintf(w, "  %s\n  %-40s %s\n", syn, "", c.summary)
			continue
		}
		fmt.Fprintf(w, "  %-40s %s\n", syn, c.summary)
	}
	fmt.Fprintf(w, `  %-40s %s

Flags (before or after the command):
  --url URL          worker REST URL (env TRIBUTARY_URL, default %s)
  --token TOKEN      bearer token for writes (env TRIBUTARY_TOKEN)
  -o, --output FMT   table (default) or json
  --timeout D        per-request timeout (default 30s)

Exit status: 0 done, 1 failed (or invalid/unhealthy), 2 bad command line.
Run 'tributary ctl COMMAND -h' for a command's help.
`, "help [COMMAND]", "this text, or a command's", DefaultURL)
}

func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: tributary ctl %s\n\n%s.\n", joinNonEmpty(c.name, c.args), capitalize(c.summary))
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", c.help)
	}
	fmt.Fprint(w, "\nGlobal flags: --url, --token, -o table|json, --timeout (see 'tributary ctl -h').\n")
}

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func taskID(arg string) (int, error) {
	id, err := strconv.Atoi(arg)
	if err != nil || id < 0 {
		return 0, usagef("task ID must be a non-negative integer, not %q", arg)
	}
	return id, nil
}
