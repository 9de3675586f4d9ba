package lookup

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tributarydata/tributary/transforms/value"
)

// kind is how a column's PostgreSQL type becomes a value.Value.
type kind uint8

const (
	kindText        kind = iota // text, varchar, char, name: a string
	kindInt                     // smallint, integer, bigint: an int
	kindFloat                   // real, double precision: a float (NaN and infinities null)
	kindBool                    // boolean
	kindTimestamptz             // an instant: RFC 3339 text in UTC
	kindTimestamp               // a wall time without zone: RFC 3339 text without offset
	kindDate                    // 2006-01-02
	kindNumeric                 // read as text: an int when whole and small, else a number keeping its digits
	kindJSON                    // json, jsonb, read as text: objects and arrays as JSON, scalars as themselves
	kindOther                   // anything else (uuid, interval, arrays, enums…) as PostgreSQL's text
)

func kindOf(oid uint32) kind {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return kindText
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return kindInt
	case pgtype.Float4OID, pgtype.Float8OID:
		return kindFloat
	case pgtype.BoolOID:
		return kindBool
	case pgtype.TimestamptzOID:
		return kindTimestamptz
	case pgtype.TimestampOID:
		return kindTimestamp
	case pgtype.DateOID:
		return kindDate
	case pgtype.NumericOID:
		return kindNumeric
	case pgtype.JSONOID, pgtype.JSONBOID:
		return kindJSON
	}
	return kindOther
}

// castsToText reports whether the query reads the column as ::text: the
// kinds whose text is what we keep (numeric's digits, JSON's text), and
// every type pgx might not decode.
func (k kind) castsToText() bool { return k == kindNumeric || k == kindJSON || k == kindOther }

// selectExpr is the column as the lookup query selects it.
func (k kind) selectExpr(column string) string {
	q := pgx.Identifier{column}.Sanitize()
	if k.castsToText() {
		return q + "::text"
	}
	return q
}

// holder is a fresh scan target for the kind.
func (k kind) holder() any {
	switch k {
	case kindInt:
		return new(pgtype.Int8)
	case kindFloat:
		return new(pgtype.Float8)
	case kindBool:
		return new(pgtype.Bool)
	case kindTimestamptz:
		return new(pgtype.Timestamptz)
	case kindTimestamp:
		return new(pgtype.Timestamp)
	case kindDate:
		return new(pgtype.Date)
	}
	return new(pgtype.Text)
}

// decode turns a scanned holder of the kind into a value; SQL NULL is the
// null Value.
func (k kind) decode(h any) value.Value {
	switch h := h.(type) {
	case *pgtype.Text:
		if !h.Valid {
			return value.Value{}
		}
		switch k {
		case kindNumeric:
			return numericValue(h.String)
		case kindJSON:
			return jsonValue(h.String)
		}
		return value.OfString(h.String)
	case *pgtype.Int8:
		if h.Valid {
			return value.OfInt(h.Int64)
		}
	case *pgtype.Float8:
		if h.Valid {
			return value.OfFloat(h.Float64)
		}
	case *pgtype.Bool:
		if h.Valid {
			return value.OfBool(h.Bool)
		}
	case *pgtype.Timestamptz:
		if h.Valid {
			return timeValue(h.Time.UTC(), h.InfinityModifier, time.RFC3339Nano)
		}
	case *pgtype.Timestamp:
		if h.Valid {
			return timeValue(h.Time, h.InfinityModifier, "2006-01-02T15:04:05.999999999")
		}
	case *pgtype.Date:
		if h.Valid {
			return timeValue(h.Time, h.InfinityModifier, time.DateOnly)
		}
	}
	return value.Value{}
}

func timeValue(t time.Time, inf pgtype.InfinityModifier, layout string) value.Value {
	switch inf {
	case pgtype.Infinity:
		return value.OfString("infinity")
	case pgtype.NegativeInfinity:
		return value.OfString("-infinity")
	}
	return value.OfString(t.Format(layout))
}

// numericValue is a numeric's text as a value: an int when it is a whole
// number that fits an int64 (as the extract step reads JSON numbers), else a
// number keeping its digits and scale (1234.5600). NaN and the infinities,
// which JSON cannot hold, are null, as value.OfFloat makes them.
func numericValue(text string) value.Value {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return value.OfInt(i)
	}
	switch text {
	case "NaN", "Infinity", "-Infinity":
		return value.Value{}
	}
	return value.OfNumber(text)
}

// jsonValue is a json or jsonb document's text as a value: an object or
// array as JSON, a string, number or boolean as itself, JSON null as null.
func jsonValue(text string) value.Value {
	t := strings.TrimSpace(text)
	if t == "" || t == "null" {
		return value.Value{}
	}
	switch t[0] {
	case '{', '[':
		return value.OfJSON(t)
	case '"':
		var s string
		if json.Unmarshal([]byte(t), &s) == nil {
			return value.OfString(s)
		}
		return value.OfJSON(t)
	case 't', 'f':
		return value.OfBool(t == "true")
	}
	return numericValue(t)
}
