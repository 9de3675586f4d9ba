package edu

import (
	"math/rand/v2"
	"strconv"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// signalKind is one classroom operation: what the message carries, and the
// event the signal ETL must name it (empty: no rule matches).
type signalKind struct {
	event, targetID, targetType, action, subAction string
	role                                           int
}

var signalKinds = []signalKind{
	{"STUDENT_MOVE_PICTURE", "pic", "shape", "move", "", 2},
	{"STUDENT_HOVER_PICTURE", "pic", "shape", "mouse", "over", 2},
	{"STUDENT_LINE_DRAW", "line", "shape", "add", "", 2},
	{"STUDENT_AUDIO_PLAY", "audio", "template", "audio", "start", 2},
	{"STUDENT_AUDIO_PAUSE", "audio", "template", "audio", "pause", 2},
	{"STUDENT_MATCH_WRONG", "match", "template", "match", "drop:wrong", 2},
	{"STUDENT_MATCH_CORRECT", "match", "template", "match", "drop:correct", 2},
	{"", "pic", "shape", "move", "", 1}, // the teacher's own moves
	{"", "board", "template", "scroll", "down", 2},
}

// Signal is one generated classroom signal.
type Signal struct {
	Value []byte
	// Event is what the signal ETL must classify it as; "" when no rule matches.
	Event  string
	UserID int64
	TimeMs int64
}

// SignalShape says how a signal is encoded, as different app versions do.
type SignalShape int

// The shapes of the seed: nested objects with string values (the seed's
// sample), numbers as numbers, and data/msg double-encoded as JSON strings.
const (
	ShapeStrings SignalShape = iota
	ShapeNumbers
	ShapeEncoded
	shapes
)

// String names the shape for benchmark and test names.
func (s SignalShape) String() string {
	switch s {
	case ShapeStrings:
		return "strings"
	case ShapeNumbers:
		return "numbers"
	case ShapeEncoded:
		return "encoded"
	}
	return "mixed"
}

// NewSignal makes the i-th signal of a stream starting at baseMs: mixed
// kinds, users, rooms and shapes, drawn from rng.
func NewSignal(rng *rand.Rand, baseMs int64, i int) Signal {
	return NewSignalIn(rng, baseMs, i, SignalShape(rng.IntN(int(shapes))))
}

// NewSignalIn is NewSignal in one shape.
func NewSignalIn(rng *rand.Rand, baseMs int64, i int, shape SignalShape) Signal {
	k := signalKinds[rng.IntN(len(signalKinds))]
	user := int64(100000 + rng.IntN(5000))
	room := int64(20000 + rng.IntN(200))
	ts := baseMs + int64(i)*7 + int64(rng.IntN(50))
	return Signal{Value: signalJSON(k, shape, user, room, ts, rng.IntN(30)), Event: k.event, UserID: user, TimeMs: ts}
}

func signalJSON(k signalKind, shape SignalShape, user, room, ts int64, page int) []byte {
	num := func(b []byte, n int64) []byte {
		if shape == ShapeNumbers {
			return strconv.AppendInt(b, n, 10)
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, n, 10)
		return append(b, '"')
	}
	str := func(b []byte, s string) []byte { return sdk.AppendJSONString(b, s) }

	msgData := make([]byte, 0, 160)
	msgData = append(msgData, `{"target_id":`...)
	msgData = str(msgData, k.targetID)
	msgData = append(msgData, `,"target_type":`...)
	msgData = str(msgData, k.targetType)
	msgData = append(msgData, `,"action":`...)
	msgData = str(msgData, k.action)
	if k.subAction != "" {
		msgData = append(msgData, `,"sub_action":`...)
		msgData = str(msgData, k.subAction)
	}
	msgData = append(msgData, `,"page_index":`...)
	msgData = num(msgData, int64(page))
	msgData = append(msgData, '}')

	msg := append([]byte(`{"msgtype":`), num(nil, 116)...)
	msg = append(msg, `,"msg_data":`...)
	msg = append(msg, msgData...)
	msg = append(msg, '}')

	data := append([]byte(`{"userid":`), num(nil, user)...)
	data = append(data, `,"roomid":`...)
	data = num(data, room)
	data = append(data, `,"timestamp":`...)
	data = num(data, ts)
	data = append(data, `,"role":`...)
	data = num(data, int64(k.role))
	data = append(data, `,"msgid":`...)
	data = num(data, 305)
	data = append(data, `,"msg":`...)
	if shape == ShapeEncoded {
		data = sdk.AppendJSONBytes(data, msg)
	} else {
		data = append(data, msg...)
	}
	data = append(data, '}')

	out := make([]byte, 0, 512)
	out = append(out, `{"createTime":"2021-03-01 10:00:00","data":`...)
	if shape == ShapeEncoded {
		out = sdk.AppendJSONBytes(out, data)
	} else {
		out = append(out, data...)
	}
	return append(out, '}')
}
