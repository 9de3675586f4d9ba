// Package k8s holds the Kubernetes manifests of a worker cluster and a test
// that keeps them consistent with the worker's flags and config format.
package k8s
