// Command signalscore is an example of an external transform plugin: a
// binary of its own, built with nothing of Tributary but plugins/sdk, that a
// worker loads from its plugin.path without being rebuilt (see README.md).
//
// It scores classroom signals: each dwd.student_signal record, a flat JSON
// object with an "event" field, gets a numeric "score" field from a table of
// points per event. Every other field, their order and the record key stay
// as they are; a value that is not a JSON object is handed back with Fault
// set, and the runtime dead-letters it.
package main

import "github.com/tributarydata/tributary/plugins/sdk"

func main() { sdk.Serve(Plugin) }
