package file

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// offsetsFile is the content of the <file>.offsets sidecar: the data file's
// length after the last completed flush and, per "topic/partition", the offset
// of the next record the sink expects.
type offsetsFile struct {
	Length  int64            `json:"length"`
	Offsets map[string]int64 `json:"offsets"`
}

// tpKey formats a partition as the sidecar names it. Kafka topic names cannot
// contain '/', so the last '/' separates the partition number.
func tpKey(tp sdk.TopicPartition) string {
	return tp.Topic + "/" + strconv.FormatInt(int64(tp.Partition), 10)
}

func parseTPKey(k string) (sdk.TopicPartition, error) {
	i := strings.LastIndexByte(k, '/')
	if i < 0 {
		return sdk.TopicPartition{}, fmt.Errorf("partition %q is not topic/partition", k)
	}
	p, err := strconv.ParseInt(k[i+1:], 10, 32)
	if err != nil {
		return sdk.TopicPartition{}, fmt.Errorf("partition %q is not topic/partition", k)
	}
	return sdk.TopicPartition{Topic: k[:i], Partition: int32(p)}, nil
}

// readOffsets reads the sidecar; ok is false when there is none.
func readOffsets(path string) (length int64, next map[sdk.TopicPartition]int64, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	var of offsetsFile
	if err := json.Unmarshal(data, &of); err != nil {
		return 0, nil, false, fmt.Errorf("%s: %w", path, err)
	}
	if of.Length < 0 {
		return 0, nil, false, fmt.Errorf("%s: negative length %d", path, of.Length)
	}
	next = make(map[sdk.TopicPartition]int64, len(of.Offsets))
	for k, off := range of.Offsets {
		tp, err := parseTPKey(k)
		if err != nil {
			return 0, nil, false, fmt.Errorf("%s: %w", path, err)
		}
		next[tp] = off
	}
	return of.Length, next, true, nil
}

// writeOffsets replaces the sidecar atomically: a reader (the next Open, after
// a crash at any point) sees either the old content or the new, never a mix.
func writeOffsets(path string, length int64, next map[sdk.TopicPartition]int64) error {
	of := offsetsFile{Length: length, Offsets: make(map[string]int64, len(next))}
	for tp, off := range next {
		of.Offsets[tpKey(tp)] = off
	}
	data, err := json.Marshal(of)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return sdk.SyncDir(filepath.Dir(path))
}
