package weblog

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
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
		dst = appendJSONString(dst, f.name)
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
			dst = appendJSONBytes(dst, f.val)
		}
	}
	if e.hasParams {
		if len(e.fields) > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, paramsField)
		dst = append(dst, ":{"...)
		for i, p := range e.params {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONBytes(dst, p.key)
			dst = append(dst, ':')
			if len(p.vals) == 1 {
				dst = appendJSONBytes(dst, p.vals[0])
				continue
			}
			dst = append(dst, '[')
			for j, v := range p.vals {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONBytes(dst, v)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	return appendJSONBytes(dst, []byte(s))
}

// appendJSONBytes writes s, valid UTF-8, as a JSON string. Unlike
// encoding/json it does not escape <, > and &: records are data, not HTML.
func appendJSONBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Valid UTF-8 is copied as is; the rare invalid byte (a value the
			// caller did not check) becomes U+FFFD, as encoding/json does.
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
