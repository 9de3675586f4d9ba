// Package dashboard is the browser dashboard every worker serves at /ui/: one
// page of plain JavaScript, embedded in the binary so it needs no network at
// run time, reading the same REST API as ctl and any other client (Kafka
// Connect's paths plus /api/v1/workers, /api/v1/metrics/tasks and
// /api/v1/connectors/{name}/dlq).
package dashboard
