// Package e2e holds end-to-end suites: they build the tributary binary, run
// it as separate processes against the embedded broker (started by the
// binary itself), and drive it through the REST API as a user would.
package e2e
