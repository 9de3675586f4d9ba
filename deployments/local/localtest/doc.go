// Package localtest gives a package's tests one PostgreSQL of their own,
// started by the first test that needs it in a temp directory on a free
// loopback port (deployments/local), and a fresh schema per test, so tests
// share a server but no tables. It is for tests only.
package localtest
