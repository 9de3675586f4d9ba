package pluginrpc

import (
	"bytes"
	"context"
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

// FuzzStreamRequests feeds the plugin's end of the record stream arbitrary
// bytes, as a broken host could write them: framing and decoding must fail
// cleanly, never panic, and every request the plugin runs gets an answer
// that encodes.
func FuzzStreamRequests(f *testing.F) {
	for _, m := range []struct {
		method byte
		msg    message
	}{
		{streamProcess, &Batch{Records: sampleRecords()}},
		{streamWrite, &Batch{Records: sampleRecords()[2:4]}},
		{streamRead, &Empty{}},
		{9, &Empty{}},
	} {
		frame, err := appendFrame(nil, requestHead, m.msg)
		if err != nil {
			f.Fatal(err)
		}
		frame[4] = m.method
		f.Add(frame)
		f.Add(append(frame, frame...))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	echo := &fakePlugin{
		process: func(_ context.Context, b *Batch) (*RecordsResponse, error) {
			return &RecordsResponse{Records: b.Records}, nil
		},
		write: func(_ context.Context, b *Batch) (*WriteResponse, error) {
			return &WriteResponse{Written: len(b.Records)}, nil
		},
		read: func(context.Context) (*RecordsResponse, error) { return &RecordsResponse{}, nil },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		s := &streamServer{impl: echo}
		for {
			var head [requestHead]byte
			body, err := readFrame(r, head[:], nil)
			if err != nil {
				return
			}
			resp, err := s.call(context.Background(), streamRequest{method: head[0], body: body})
			if err != nil {
				continue // answered as a failure
			}
			if _, err := appendFrame(nil, responseHead, resp); err != nil {
				t.Fatalf("the answer to method %d does not encode: %v", head[0], err)
			}
		}
	})
}
