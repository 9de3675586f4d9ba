// Package client is a typed Go client for Tributary's REST API, which is Kafka
// Connect's REST API (same paths, payloads and status codes) plus a few extras
// under /api/v1. `tributary ctl` is built on it; any Go program that manages
// connectors can use it too.
//
// One method per route; answers are the types of package bus/worker, or the
// Kafka Connect shapes defined here (ConfigInfos, ConfigKeyInfo, Health) where
// bus/worker has none. Every method takes a context.
//
// Errors: an answer with a non-2xx status is returned as *APIError, decoded
// from the JSON body {"error_code", "message"} the server sends (or from the
// raw text when a proxy in between answered). Transport failures are returned
// wrapped, as net/http reports them.
//
// Retries: only GET requests, and only when the connection is refused (a
// worker restarting, a port-forward coming up), are retried, a few times with
// a short backoff (WithRetry). Nothing that writes is ever retried: a write
// that timed out may have happened.
//
// Numbers inside free-form JSON (source offsets) are decoded as json.Number,
// so binlog positions and other 64-bit offsets keep their exact value.
package client
