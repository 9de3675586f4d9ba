// Package host runs out-of-process plugins in the worker: binaries built
// with plugins/sdk's Serve, found on the worker's plugin.path, started
// through hashicorp/go-plugin and spoken to over gRPC (plugins/internal/pluginrpc).
// The calls that carry records (Process, Write, Read) go over a socket pair
// of their own, the record stream, which each process inherits at start; a
// transform's batch is sent in pieces, so the worker encodes the next while
// the plugin works on one.
//
// Load and Discover turn binaries into sdk.Plugin values, so the registry,
// the REST API and the task runtime treat them like built-ins: the plugin's
// config keys (plus the host's plugin.call.timeout.ms) come from the binary's
// description, validation and task splitting ask a short-lived process, and
// each task instance runs in a process of its own, started by Open and killed
// by Close. A task restart therefore always gets a fresh process.
//
// The worker must outlive its plugins' faults. A process that crashes during
// a call fails the call with its exit status and last lines of output; a call
// that outlives plugin.call.timeout.ms gets its process killed and fails
// with "did not answer within"; neither error is retriable, so the task fails
// and a restart starts over. Plugin processes die with the worker: on Linux
// they get SIGKILL when it exits, however it exits.
package host
