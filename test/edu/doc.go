// Package edu makes the warehouse's input messages — classroom signals in
// every shape the app sends them — for benchmarks, tests and the load
// generator, so all of them measure and check the same traffic; and it
// reads the warehouse's pipeline files (deployments/pipelines/edu), so
// golden tests run each job with the config it is deployed with.
package edu
