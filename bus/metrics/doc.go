// Package metrics holds the runtime's Prometheus metrics, labelled by
// connector and task, and the registry `/metrics` serves. Counters are
// cumulative, so rates (records/s) come from the scraper or, for the
// dashboard, from two readings of Snapshot.
package metrics
