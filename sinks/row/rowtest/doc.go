// Package rowtest holds what the tests of the sinks that write rows
// (hologres, rds) feed them alike.
package rowtest
