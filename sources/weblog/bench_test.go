package weblog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchLines are typical lines: a page with a long browser user agent, a
// beacon, a bot with escapes.
var benchLines = []string{
	`203.0.113.195 - - [21/Nov/2026:08:30:12 +0100] "GET /products/shoes/running?color=blue&size=42 HTTP/2.0" 200 15623 "https://www.example.com/search?q=running+shoes" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"`,
	`2001:db8:85a3::8a2e:370:7334 - - [21/Nov/2026:08:30:12 +0100] "GET /t.gif?ev=click&uid=4242&page=%2Fproducts%2Fshoes&q=caf%C3%A9&ts=1732170612 HTTP/1.1" 200 43 "https://www.example.com/products/shoes" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"`,
	`198.51.100.7 - - [21/Nov/2026:08:30:13 +0100] "POST /api/v1/cart HTTP/1.1" 201 87 "-" "okhttp/4.12.0 \x22app\x22 \xE2\x9C\x93"`,
}

func BenchmarkParseCombined(b *testing.B) {
	p := newTestParser(b, formatCombined, "", "", "/t.gif")
	lines := make([][]byte, len(benchLines))
	size := 0
	for i, l := range benchLines {
		lines[i] = []byte(l)
		size += len(l)
		if _, err := p.parse(lines[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := p.parse(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkParseJSON(b *testing.B) {
	p := newTestParser(b, formatJSON, "", "", "/t.gif")
	line := []byte(`{"remote_addr":"203.0.113.195","time_iso8601":"2026-11-21T08:30:12+01:00","request":"GET /t.gif?ev=click&uid=4242&q=caf%C3%A9 HTTP/2.0","status":200,"body_bytes_sent":43,"http_referer":"https://www.example.com/search?q=running+shoes","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","request_time":0.004}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.parse(line); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkTail reads a prepared file of combined lines through Open and
// Read, as a task does, from the first line to the last.
func BenchmarkTail(b *testing.B) {
	const lines = 200_000
	dir := b.TempDir()
	path := filepath.Join(dir, "access.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range lines {
		fmt.Fprintln(w, benchLines[i%len(benchLines)])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	cfg := baseConfig(path)
	cfg["beacon.paths"] = "/t.gif"

	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		s := &Source{}
		if err := s.Open(context.Background(), cfg, nil); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < lines; {
			recs, err := s.Read(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			n += len(recs)
		}
		s.Close()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
