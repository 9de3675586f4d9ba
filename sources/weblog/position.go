package weblog

import (
	"fmt"
	"hash/crc64"
	"strconv"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// The stored position: one source partition per connector,
// {"glob": <absolute pattern>}, whose offset holds every tracked file:
//
//	{"files": [{"path": "/var/log/nginx/access.log.1", "ino": "1234",
//	            "fp": "9f86d081884c7d65", "fpl": 256, "offset": 81920}, ...]}
//
// fp is the CRC-64 (ECMA) of the file's first fpl bytes, in hex; offset is the
// byte just after the last line delivered; path and ino are where and which
// file it was when the position was taken.
const (
	partitionKeyGlob = "glob"
	offsetKeyFiles   = "files"
	fileKeyPath      = "path"
	fileKeyInode     = "ino"
	fileKeyFP        = "fp"
	fileKeyFPLen     = "fpl"
	fileKeyOffset    = "offset"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// fingerprint is the checksum stored for a file's first bytes.
func fingerprint(head []byte) string {
	return strconv.FormatUint(crc64.Checksum(head, crcTable), 16)
}

// storedFile is one file of a stored position.
type storedFile struct {
	path, ino, fp string
	fpLen, offset int64
}

// decodeState reads the files of a stored offset. Numbers may come back from
// JSON as float64 or json.Number, and the list as []any or []map[string]any.
func decodeState(offset map[string]any) ([]storedFile, error) {
	var items []map[string]any
	switch list := offset[offsetKeyFiles].(type) {
	case nil:
		return nil, nil
	case []map[string]any:
		items = list
	case []any:
		for i, v := range list {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("files[%d] is %T, not an object", i, v)
			}
			items = append(items, m)
		}
	default:
		return nil, fmt.Errorf("files is %T, not a list", list)
	}
	out := make([]storedFile, 0, len(items))
	for i, m := range items {
		var f storedFile
		var err error
		f.path, _ = m[fileKeyPath].(string)
		f.ino, _ = m[fileKeyInode].(string)
		f.fp, _ = m[fileKeyFP].(string)
		if f.fpLen, err = sdk.OffsetInt(m[fileKeyFPLen]); err != nil {
			return nil, fmt.Errorf("files[%d].%s: %w", i, fileKeyFPLen, err)
		}
		if f.offset, err = sdk.OffsetInt(m[fileKeyOffset]); err != nil {
			return nil, fmt.Errorf("files[%d].%s: %w", i, fileKeyOffset, err)
		}
		if f.fp == "" || f.fpLen == 0 {
			return nil, fmt.Errorf("files[%d] has no fingerprint", i)
		}
		out = append(out, f)
	}
	return out, nil
}

// position is the stored form of the tracked files: those with something
// delivered, in reading order. It is built afresh each time, never changed
// afterwards, since the runtime clones positions only one level deep.
func (s *Source) position() sdk.Position {
	files := make([]any, 0, len(s.files))
	for _, t := range s.files {
		if t.offset == 0 || len(t.head) == 0 {
			continue // nothing delivered: a restart reads it from the start anyway
		}
		files = append(files, map[string]any{
			fileKeyPath:   t.path,
			fileKeyInode:  t.ino,
			fileKeyFP:     fingerprint(t.head),
			fileKeyFPLen:  int64(len(t.head)),
			fileKeyOffset: t.offset,
		})
	}
	return sdk.Position{
		Partition: map[string]any{partitionKeyGlob: s.pattern},
		Offset:    map[string]any{offsetKeyFiles: files},
	}
}
