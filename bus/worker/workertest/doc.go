// Package workertest runs in-process workers against the embedded broker for
// tests of the runtime and of connectors: the real worker, the real broker,
// nothing mocked. Each worker closes when its test ends.
package workertest
