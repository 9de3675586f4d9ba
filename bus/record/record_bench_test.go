package record

import "testing"

var benchEnvelope = []byte(`{"before":null,"after":{"id":12345678901234567890,"name":"Zhang San 🎓","balance":"1234.5600","created":"2026-11-21T06:29:00.123456Z"},"source":{"server":"edu","db":"uc_account","table":"student","file":"binlog.000042","pos":4711,"gtid":"0-1-99"},"op":"c","ts_ms":1795243321000}`)

func BenchmarkParseChange(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEnvelope)))
	for b.Loop() {
		if _, err := ParseChange(benchEnvelope); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChangeMarshal(b *testing.B) {
	c, err := ParseChange(benchEnvelope)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
