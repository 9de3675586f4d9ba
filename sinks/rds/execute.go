package rds

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributarydata/tributary/sinks/row"
)

// params are the arguments of one execution of a statement: the values of
// rows, row after row, value j of each being of column cols[idx[j]] (whose
// kind says how a time is written).
type params struct {
	cols []row.Column
	idx  []int
	rows [][]any
}

// execute runs a prepared statement (COM_STMT_EXECUTE) with p, encoding
// the arguments itself, as go-mysql's Stmt.Execute lays them out: a NULL
// bitmap, every argument's type, then the values. Stmt.Execute takes them
// as ...any and allocates four small slices per argument, which cost the
// client nearly as much as reading the records; here each value is
// appended to one reused packet.
func (cn *conn) execute(st *client.Stmt, p params) (*gomysql.Result, error) {
	n := len(p.rows) * len(p.idx)
	if n != st.Params {
		return nil, fmt.Errorf("statement takes %d arguments, got %d", st.Params, n)
	}
	buf := append(cn.packet[:0], 0, 0, 0, 0, gomysql.COM_STMT_EXECUTE) // the packet's header is WritePacket's
	buf = binary.LittleEndian.AppendUint32(buf, st.ID)
	flags := gomysql.CURSOR_TYPE_NO_CURSOR
	if n > 0 {
		// As go-mysql sends it.
		flags |= gomysql.PARAMETER_COUNT_AVAILABLE
	}
	buf = append(buf, flags, 1, 0, 0, 0) // one iteration
	if n > 0 {
		if cn.attributes {
			buf = gomysql.AppendLengthEncodedInteger(buf, uint64(n))
		}
		nulls := len(buf)
		buf = append(buf, make([]byte, (n+7)/8)...)
		buf = append(buf, 1) // the types follow
		types, stride := len(buf), 2
		if cn.attributes {
			stride = 3 // and an empty name
		}
		buf = append(buf, make([]byte, n*stride)...)
		k := 0
		for _, r := range p.rows {
			for j, c := range p.idx {
				typ := gomysql.MYSQL_TYPE_STRING
				switch v := r[j].(type) {
				case nil:
					buf[nulls+k/8] |= 1 << (k % 8)
					typ = gomysql.MYSQL_TYPE_NULL
				case int64:
					typ = gomysql.MYSQL_TYPE_LONGLONG
					buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
				case float64:
					typ = gomysql.MYSQL_TYPE_DOUBLE
					buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
				case bool:
					typ = gomysql.MYSQL_TYPE_TINY
					if v {
						buf = append(buf, 1)
					} else {
						buf = append(buf, 0)
					}
				case string:
					buf = append(gomysql.AppendLengthEncodedInteger(buf, uint64(len(v))), v...)
				case []byte:
					buf = append(gomysql.AppendLengthEncodedInteger(buf, uint64(len(v))), v...)
				case time.Time:
					// As text the server reads in the session's UTC: at most
					// 26 bytes, so a one-byte length.
					at := len(buf)
					buf = appendTime(append(buf, 0), &p.cols[c], v)
					buf[at] = byte(len(buf) - at - 1)
				default:
					return nil, fmt.Errorf("column %s: a value of type %T cannot be sent", p.cols[c].Name, v)
				}
				buf[types+k*stride] = typ
				k++
			}
		}
	}
	cn.packet = buf
	cn.c.ResetSequence()
	if err := cn.c.WritePacket(buf); err != nil {
		return nil, err
	}
	return cn.c.ReadOKPacket()
}

// appendTime writes a time as text the server reads in the session's UTC:
// a date column's date, else the date and time to the microsecond, without
// trailing zeros in the fraction (time.Format's "2006-01-02
// 15:04:05.999999", which took a tenth of the client's time). Years are
// within 1 to 9999, as the row package reads them.
func appendTime(buf []byte, c *row.Column, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	buf = appendDigits(buf, y, 4)
	buf = appendDigits(append(buf, '-'), int(mo), 2)
	buf = appendDigits(append(buf, '-'), d, 2)
	if c.Kind == row.KindDate {
		return buf
	}
	h, mi, sec := t.Clock()
	buf = appendDigits(append(buf, ' '), h, 2)
	buf = appendDigits(append(buf, ':'), mi, 2)
	buf = appendDigits(append(buf, ':'), sec, 2)
	us, width := t.Nanosecond()/1000, 6
	if us == 0 {
		return buf
	}
	for us%10 == 0 {
		us, width = us/10, width-1
	}
	return appendDigits(append(buf, '.'), us, width)
}

// appendDigits writes n (not negative) in width digits (at most 6),
// zero-padded.
func appendDigits(buf []byte, n, width int) []byte {
	start := len(buf)
	buf = append(buf, "000000"[:width]...)
	for i := len(buf) - 1; i >= start; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return buf
}
