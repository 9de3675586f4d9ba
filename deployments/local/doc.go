// Package local runs the servers the demo (`make run`) and the tests need on
// this machine, each in a directory of its own on a free loopback port, so
// nothing is shared with a system-wide server and a test cleans up by
// stopping its process and removing its directory.
//
// MariaDB is started with the binary log configured as CDC needs it: row
// format, full row images and full row metadata (column names, signedness,
// charsets and primary keys in every table-map event). Data directories are
// initialised on first use and reused afterwards, so `make run` keeps its
// data across runs.
package local
