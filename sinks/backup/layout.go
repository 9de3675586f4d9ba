package backup

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// tableTemplate is a parsed table.name.format: literal text and ${topic}.
type tableTemplate struct {
	parts []string // literal text at even indexes, "" placeholders (for ${topic}) between
}

// parseTableTemplate reads a table.name.format. ${topic} is the only
// variable; a lone $ is literal. Anything else in ${…} is an error, so a typo
// is caught at Open rather than written into every path.
func parseTableTemplate(format string) (tableTemplate, error) {
	var t tableTemplate
	var lit strings.Builder
	for rest := format; rest != ""; {
		i := strings.Index(rest, "${")
		if i < 0 {
			lit.WriteString(rest)
			break
		}
		lit.WriteString(rest[:i])
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return tableTemplate{}, errors.New("unterminated ${")
		}
		name := rest[i+2 : i+end]
		if name != "topic" {
			return tableTemplate{}, fmt.Errorf("unknown variable ${%s}: only ${topic} is known", clip(name))
		}
		t.parts = append(t.parts, lit.String(), "")
		lit.Reset()
		rest = rest[i+end+1:]
	}
	t.parts = append(t.parts, lit.String())
	if len(t.parts) == 1 && sanitizeName(t.parts[0]) == "" {
		return tableTemplate{}, errors.New("gives an empty table name")
	}
	return t, nil
}

// render gives the table directory for a topic: the template with ${topic}
// replaced, then sanitized. The result is never empty, never "." or "..",
// and holds only [A-Za-z0-9_-], so it is one path element everywhere.
func (t tableTemplate) render(topic string) (string, error) {
	var b strings.Builder
	for i, p := range t.parts {
		if i%2 == 1 {
			b.WriteString(topic)
		} else {
			b.WriteString(p)
		}
	}
	name := sanitizeName(b.String())
	if name == "" {
		return "", fmt.Errorf("table.name.format gives an empty table name for topic %q", clip(topic))
	}
	return name, nil
}

// maxTableName bounds a table directory's name, well below the 255 bytes a
// path element may have on common file systems.
const maxTableName = 200

// sanitizeName maps every byte outside [A-Za-z0-9_-] to '_', so Kafka's
// topic names (which may hold dots) become MaxCompute-style table names:
// ods.qos_log → ods_qos_log. Names longer than maxTableName are cut and end
// in a hash of the whole name, so two long names stay apart.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > maxTableName {
		h := fnv.New64a()
		h.Write([]byte(s))
		b = append(b[:maxTableName-17], '_')
		b = hex.AppendEncode(b, h.Sum(nil))
	}
	return string(b)
}

// hourDir is one ds=/hh= partition of a table.
type hourDir struct {
	path string    // <table>/ds=YYYYMMDD/hh=HH, slash-separated
	end  time.Time // the first instant after the hour
}

// hourOf names the partition holding event time t, in t's location.
func hourOf(table string, t time.Time) hourDir {
	y, m, d := t.Date()
	h := t.Hour()
	var b strings.Builder
	b.Grow(len(table) + 20)
	b.WriteString(table)
	b.WriteString("/ds=")
	b.WriteString(t.Format("20060102"))
	b.WriteString("/hh=")
	if h < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(h))
	return hourDir{path: b.String(), end: time.Date(y, m, d, h+1, 0, 0, 0, t.Location())}
}

// parseHourPath reads "ds=YYYYMMDD/hh=HH" back into the end of that hour in
// loc; ok is false for anything else.
func parseHourPath(dsHH string, loc *time.Location) (end time.Time, ok bool) {
	ds, hh, found := strings.Cut(dsHH, "/")
	ds, okDS := strings.CutPrefix(ds, "ds=")
	hh, okHH := strings.CutPrefix(hh, "hh=")
	if !found || !okDS || !okHH || len(ds) != 8 || len(hh) != 2 {
		return time.Time{}, false
	}
	day, err := time.ParseInLocation("20060102", ds, loc)
	if err != nil {
		return time.Time{}, false
	}
	h, err := strconv.Atoi(hh)
	if err != nil || h < 0 || h > 23 || hh[0] == '+' || hh[0] == '-' {
		return time.Time{}, false
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, h+1, 0, 0, 0, loc), true
}

// File names. A data file is
//
//	part-<topic>-<kafka partition>-<first offset>-<last offset>.parquet
//
// holding rows of that one topic partition only. A topic whose name is too
// long for a file name is named by "~" and the hex FNV-1a hash of its name
// instead (Kafka topic names never hold "~").
const (
	partPrefix  = "part-"
	partSuffix  = ".parquet"
	tempSuffix  = ".tmp"
	successName = "_SUCCESS"
	// maxTopicInName keeps a file name within 255 bytes.
	maxTopicInName = 150
)

// topicTag is how a topic appears in file names.
func topicTag(topic string) string {
	if len(topic) <= maxTopicInName && validTopic(topic) {
		return topic
	}
	h := fnv.New64a()
	h.Write([]byte(topic))
	return "~" + hex.EncodeToString(h.Sum(nil))
}

// validTopic reports a non-empty name of Kafka's legal topic characters.
func validTopic(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// fileRange is what a data file's name says it covers.
type fileRange struct {
	tag         string // topicTag of the topic
	partition   int32
	first, last int64
}

func (r fileRange) name() string {
	var b strings.Builder
	b.Grow(len(partPrefix) + len(r.tag) + 48)
	b.WriteString(partPrefix)
	b.WriteString(r.tag)
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(int64(r.partition), 10))
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(r.first, 10))
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(r.last, 10))
	b.WriteString(partSuffix)
	return b.String()
}

// parsePartName reads a data file's name; ok is false for any other name,
// including names that format differently than name() would write them
// (leading zeros, signs), so a parsed range always names exactly one file.
func parsePartName(name string) (r fileRange, ok bool) {
	s, ok1 := strings.CutPrefix(name, partPrefix)
	s, ok2 := strings.CutSuffix(s, partSuffix)
	if !ok1 || !ok2 {
		return fileRange{}, false
	}
	var nums [3]int64
	for i := 2; i >= 0; i-- {
		j := strings.LastIndexByte(s, '-')
		if j < 0 {
			return fileRange{}, false
		}
		n, ok := canonicalInt(s[j+1:])
		if !ok {
			return fileRange{}, false
		}
		nums[i], s = n, s[:j]
	}
	if nums[0] > 1<<31-1 || nums[1] > nums[2] {
		return fileRange{}, false
	}
	if !(validTopic(s) && len(s) <= maxTopicInName) && !validHashTag(s) {
		return fileRange{}, false
	}
	return fileRange{tag: s, partition: int32(nums[0]), first: nums[1], last: nums[2]}, true
}

func validHashTag(s string) bool {
	h, ok := strings.CutPrefix(s, "~")
	if !ok || len(h) != 16 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// canonicalInt parses a non-negative decimal int64 written without sign or
// leading zeros.
func canonicalInt(s string) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// A temporary file is ".<final name>.<8 hex digits>.tmp": hidden, and not
// ending in .parquet, so neither DuckDB's *.parquet globs nor Spark (which
// skips names starting with "." or "_") read a half-written file.
func tempName(final string, random uint32) string {
	return "." + final + "." + fmt.Sprintf("%08x", random) + tempSuffix
}

// parseTempName returns the final name a temporary file was for.
func parseTempName(name string) (final string, ok bool) {
	s, ok1 := strings.CutPrefix(name, ".")
	s, ok2 := strings.CutSuffix(s, tempSuffix)
	if !ok1 || !ok2 || len(s) < 10 || s[len(s)-9] != '.' {
		return "", false
	}
	for _, c := range s[len(s)-8:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return s[:len(s)-9], true
}

// clip bounds text quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
