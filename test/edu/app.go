package edu

import (
	"bytes"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// AppSignalKind is one kind of classroom signal the app sends: the event the
// signal ETL must classify it as ("" when no rule matches) and the sender's
// role (2 a student, 1 the teacher).
type AppSignalKind struct {
	Event string
	Role  int
}

// AppSignalKinds lists the kinds NewAppSignal makes, by index: the seven
// classified events in the order of Events, then the noise no rule matches
// (the teacher's own moves, a student scrolling the board).
func AppSignalKinds() []AppSignalKind {
	out := make([]AppSignalKind, len(signalKinds))
	for i, k := range signalKinds {
		out[i] = AppSignalKind{Event: k.event, Role: k.role}
	}
	return out
}

// signalPrefix is how every body signalJSON writes begins; NewAppSignal puts
// the routing field and the real creation time in its place.
const signalPrefix = `{"createTime":"2021-03-01 10:00:00"`

// NewAppSignal makes a signal of kind k (an index into AppSignalKinds) as the
// app posts it to the collector: the body NewSignalIn makes, in the given
// shape, led by "type":"signal" (the field the collector routes on, to
// ods.classroom_signal) and with createTime, the app's local clock text, as
// given. timeMs is data.timestamp, the event time.
func NewAppSignal(k int, shape SignalShape, user, room, timeMs int64, page int, createTime string) Signal {
	kind := signalKinds[k]
	body := signalJSON(kind, shape, user, room, timeMs, page)
	if !bytes.HasPrefix(body, []byte(signalPrefix)) {
		panic(fmt.Sprintf("edu: a signal body no longer starts with %s", signalPrefix))
	}
	out := make([]byte, 0, len(body)+len(createTime)+32)
	out = append(out, `{"type":"signal","createTime":`...)
	out = sdk.AppendJSONString(out, createTime)
	out = append(out, body[len(signalPrefix):]...)
	return Signal{Value: out, Event: kind.event, UserID: user, TimeMs: timeMs}
}
