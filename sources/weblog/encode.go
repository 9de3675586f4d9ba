package weblog

import (
	"math"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// appendNumber writes n as JSON: integers as digits, other numbers in the
// shortest form that reads back the same.
func appendNumber(dst []byte, n float64, isInt bool) []byte {
	if isInt {
		return strconv.AppendInt(dst, int64(n), 10)
	}
	abs := math.Abs(n)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(dst, n, 'e', -1, 64)
	}
	return strconv.AppendFloat(dst, n, 'f', -1, 64)
}

// appendJSON writes the event as one JSON object, fields in order, then the
// beacon parameters.
func (e *event) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i := range e.fields {
		f := &e.fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = sdk.AppendJSONString(dst, f.name)
		dst = append(dst, ':')
		switch {
		case f.kind == kindTime:
			dst = append(dst, '"')
			dst = e.time.AppendFormat(dst, time.RFC3339Nano)
			dst = append(dst, '"')
		case f.kind == kindNumber:
			dst = appendNumber(dst, f.num, f.isInt)
		case f.kind == kindRaw:
			dst = append(dst, f.val...)
		default:
			dst = sdk.AppendJSONBytes(dst, f.val)
		}
	}
	if e.hasParams {
		if len(e.fields) > 0 {
			dst = append(dst, ',')
		}
		dst = sdk.AppendJSONString(dst, paramsField)
		dst = append(dst, ":{"...)
		for i, p := range e.params {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = sdk.AppendJSONBytes(dst, p.key)
			dst = append(dst, ':')
			if len(p.vals) == 1 {
				dst = sdk.AppendJSONBytes(dst, p.vals[0])
				continue
			}
			dst = append(dst, '[')
			for j, v := range p.vals {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = sdk.AppendJSONBytes(dst, v)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
