package timefmt

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestTimeWriterMatchesAppendFormat: the per-second cache gives exactly what
// time.AppendFormat gives, across second boundaries, zones with daylight
// saving, and layouts with and without a trailing fraction.
func TestTimeWriterMatchesAppendFormat(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	layouts := []string{"2006-01-02 15:04:05.000", "2006-01-02T15:04:05.000000Z07:00", "15:04:05,0", "2006-01-02 15:04:05", time.RFC3339Nano, "05.000000000"}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, loc := range []*time.Location{time.UTC, ny, sh} {
		for _, layout := range layouts {
			w := NewWriter(layout, loc)
			// Around the 2021 switch to daylight saving in New York, in small
			// steps so that many instants share a second.
			at := time.Date(2021, 3, 14, 6, 59, 58, 0, time.UTC)
			for range 5000 {
				at = at.Add(time.Duration(rng.IntN(3_000_000)))
				want := at.In(loc).Format(layout)
				if got := w.Format(at); got != want {
					t.Fatalf("%s in %s: %q, want %q", layout, loc, got, want)
				}
			}
		}
	}
}
