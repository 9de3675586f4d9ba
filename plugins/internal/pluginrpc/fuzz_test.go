package pluginrpc

import (
	"testing"
)

// FuzzDecodeBatch feeds the batch decoder arbitrary bytes, as a broken or
// hostile peer could send: it must fail cleanly, never panic, and whatever it
// accepts must encode and decode back to the same records.
func FuzzDecodeBatch(f *testing.F) {
	for _, recs := range [][]int{{}, {0, 1}, {2}, {3, 4, 5}} {
		all := sampleRecords()
		var batch Batch
		for _, i := range recs {
			batch.Records = append(batch.Records, all[i])
		}
		b, err := batch.marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x80})
	f.Add([]byte{0x0a, 0x02, 0x42, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var first Batch
		if err := first.unmarshal(data); err != nil {
			return
		}
		again, err := first.marshal(nil)
		if err != nil {
			// Only a position can fail to encode, and a decoded
			// position is JSON that encodes again.
			t.Fatalf("re-encoding a decoded batch: %v", err)
		}
		var second Batch
		if err := second.unmarshal(again); err != nil {
			t.Fatalf("decoding a re-encoded batch: %v", err)
		}
		if len(first.Records) != len(second.Records) {
			t.Fatalf("%d records, then %d", len(first.Records), len(second.Records))
		}
		for i := range first.Records {
			if diff := recordDiff(first.Records[i], second.Records[i]); diff != "" {
				t.Fatalf("record %d changed in the round trip: %s", i, diff)
			}
		}
	})
}
