package mysql

import (
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Stored positions have Debezium's MySQL offset shape: partition
// {"server": <topic.prefix>}, offset {"file", "pos", "gtids", "event", "row",
// "ts_sec", "snapshot"}.
const partitionKeyServer = "server"

// position is where in the binlog a change event was read. A transaction's
// events all carry the position where the transaction starts (file/pos, and
// the GTID set executed before it), plus how far into it the event is: Event
// row events of the transaction came before, and Row rows of the next one.
// A restart reads the transaction again and skips that much, so it neither
// loses nor repeats a row, even one from the middle of a large transaction.
type position struct {
	File  string
	Pos   uint32
	GTIDs string
	Event int
	Row   int
	TsSec int64
	// Snapshot is set on the events of a snapshot that has not finished: a
	// restart begins the snapshot again rather than stream from File/Pos.
	Snapshot bool
}

func (p position) sdk(server string) sdk.Position {
	offset := map[string]any{"file": p.File, "pos": p.Pos, "ts_sec": p.TsSec}
	if p.GTIDs != "" {
		offset["gtids"] = p.GTIDs
	}
	if p.Event > 0 {
		offset["event"] = p.Event
	}
	if p.Row > 0 {
		offset["row"] = p.Row
	}
	if p.Snapshot {
		offset["snapshot"] = true
	}
	return sdk.Position{Partition: map[string]any{partitionKeyServer: server}, Offset: offset}
}

// storedPosition finds this server's position among the stored ones.
func storedPosition(server string, last []sdk.Position) (position, bool, error) {
	for _, sp := range last {
		if s, _ := sp.Partition[partitionKeyServer].(string); s != server {
			continue
		}
		var p position
		var ok bool
		if p.File, ok = sp.Offset["file"].(string); !ok || p.File == "" {
			return p, false, fmt.Errorf("stored position %v has no binlog file", sp.Offset)
		}
		ints := []struct {
			key  string
			into func(int64)
		}{
			{"pos", func(v int64) { p.Pos = uint32(v) }},
			{"event", func(v int64) { p.Event = int(v) }},
			{"row", func(v int64) { p.Row = int(v) }},
			{"ts_sec", func(v int64) { p.TsSec = v }},
		}
		for _, f := range ints {
			raw, present := sp.Offset[f.key]
			if !present {
				continue
			}
			v, err := sdk.OffsetInt(raw)
			if err != nil {
				return p, false, fmt.Errorf("stored position: %s: %w", f.key, err)
			}
			f.into(v)
		}
		p.GTIDs, _ = sp.Offset["gtids"].(string)
		p.Snapshot, _ = sp.Offset["snapshot"].(bool)
		return p, true, nil
	}
	return position{}, false, nil
}
