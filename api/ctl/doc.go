// Package ctl is `tributary ctl`, the command-line client of Tributary's REST
// API: list, inspect, create, delete, pause, resume, stop and restart
// connectors and tasks, read and alter offsets, list and validate plugins,
// show workers and health, and apply connector files idempotently. cmd/
// only wires Run to os.Args, the standard streams and os.LookupEnv.
//
// Apply is also usable as a library (`tributary dev` creates the seed
// pipelines with it): LoadConnectors reads connector files and fills their
// ${VAR} placeholders (ExpandPlaceholders), Apply validates every config with
// the worker, then creates, updates or leaves each connector alone.
//
// Output is a table for people or, with -o json, the API's JSON for scripts.
// Exit codes: 0 done, 1 failed (an API error, an invalid config, an
// unhealthy worker), 2 bad command line.
package ctl
