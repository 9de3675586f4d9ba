package weblog

import (
	"errors"
	"time"
)

var errBadTime = errors.New("not a time nginx writes ($time_local, $time_iso8601 or $msec)")

// zoneCache keeps one *time.Location per UTC offset, since time.FixedZone
// allocates and a log rarely holds more than two offsets. Offsets are whole
// minutes within ±24h, so it holds at most 2881 zones.
type zoneCache map[int]*time.Location

func (z zoneCache) zone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	loc, ok := z[offset]
	if !ok {
		loc = time.FixedZone("", offset)
		z[offset] = loc
	}
	return loc
}

// parseTime reads the three ways nginx writes the request time:
// $time_local (10/Oct/2000:13:55:36 -0700), $time_iso8601
// (2000-10-10T13:55:36-07:00) and $msec (971211336.123, seconds since the
// epoch). The first two keep their UTC offset.
func parseTime(v []byte, tz zoneCache) (time.Time, error) {
	switch {
	case len(v) == 26 && v[2] == '/':
		return parseTimeLocal(v, tz)
	case len(v) >= 20 && v[4] == '-' && v[10] == 'T':
		return parseISO8601(v, tz)
	default:
		return parseMsec(v)
	}
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// digits reads a fixed-width decimal number, or -1.
func digits(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// parseTimeLocal reads 02/Jan/2006:15:04:05 -0700.
func parseTimeLocal(v []byte, tz zoneCache) (time.Time, error) {
	if v[6] != '/' || v[11] != ':' || v[14] != ':' || v[17] != ':' || v[20] != ' ' {
		return time.Time{}, errBadTime
	}
	month := 0
	for i, m := range months {
		if string(v[3:6]) == m {
			month = i + 1
		}
	}
	offset, ok := parseOffset(v[21:26], false)
	if month == 0 || !ok {
		return time.Time{}, errBadTime
	}
	return civil(digits(v[7:11]), month, digits(v[0:2]), digits(v[12:14]), digits(v[15:17]), digits(v[18:20]), 0, offset, tz)
}

// parseISO8601 reads 2006-01-02T15:04:05-07:00, with Z for UTC and an
// optional fraction of a second.
func parseISO8601(v []byte, tz zoneCache) (time.Time, error) {
	if v[7] != '-' || v[13] != ':' || v[16] != ':' {
		return time.Time{}, errBadTime
	}
	rest := v[19:]
	nsec := 0
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 10 {
			return time.Time{}, errBadTime
		}
		nsec = digits(rest[1:i])
		for range 10 - i {
			nsec *= 10
		}
		rest = rest[i:]
	}
	offset, ok := 0, len(rest) == 1 && rest[0] == 'Z'
	if !ok {
		offset, ok = parseOffset(rest, true)
	}
	if !ok {
		return time.Time{}, errBadTime
	}
	return civil(digits(v[0:4]), digits(v[5:7]), digits(v[8:10]), digits(v[11:13]), digits(v[14:16]), digits(v[17:19]), nsec, offset, tz)
}

// parseOffset reads -0700, or -07:00 when colon is set, as seconds east of UTC.
func parseOffset(b []byte, colon bool) (int, bool) {
	want := 5
	if colon {
		want = 6
	}
	if len(b) != want || (b[0] != '+' && b[0] != '-') || (colon && b[3] != ':') {
		return 0, false
	}
	h, m := digits(b[1:3]), digits(b[len(b)-2:])
	if h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	s := (h*60 + m) * 60
	if b[0] == '-' {
		s = -s
	}
	return s, true
}

// civil builds a time from its parts, refusing any out of range (time.Date
// would quietly normalise 31 June to 1 July).
func civil(year, month, day, hour, minute, sec, nsec, offset int, tz zoneCache) (time.Time, error) {
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, errBadTime
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, tz.zone(offset))
	if t.Day() != day {
		return time.Time{}, errBadTime
	}
	return t, nil
}

// parseMsec reads seconds since the epoch with an optional fraction, in UTC.
func parseMsec(v []byte) (time.Time, error) {
	sec, frac := v, []byte(nil)
	for i, c := range v {
		if c == '.' {
			sec, frac = v[:i], v[i+1:]
			break
		}
	}
	s := digits(sec)
	if len(sec) == 0 || len(sec) > 12 || s < 0 || len(frac) > 9 || (frac != nil && len(frac) == 0) {
		return time.Time{}, errBadTime
	}
	nsec := 0
	if len(frac) > 0 {
		if nsec = digits(frac); nsec < 0 {
			return time.Time{}, errBadTime
		}
		for range 9 - len(frac) {
			nsec *= 10
		}
	}
	return time.Unix(int64(s), int64(nsec)).UTC(), nil
}
