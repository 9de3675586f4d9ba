package gen

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/api/ctl"
)

// JobBounds are the event-time settings of a job that sends late records to
// a late topic: an event later than Window + OutOfOrder + Lateness behind
// the newest event time goes there.
type JobBounds struct {
	Window     time.Duration // 0 for a join
	OutOfOrder time.Duration
	Lateness   time.Duration
	LateTopic  string
}

// LateBehind is how far behind the newest event time an event must be to be
// late for sure: its window has closed (the watermark, OutOfOrder behind
// the newest time, passed its end) and the allowed lateness has run out.
func (b JobBounds) LateBehind() time.Duration { return b.Window + b.OutOfOrder + b.Lateness }

// Bounds are the settings of the three jobs the app events feed with a late
// topic: classroom performance (job 3, signals), audio/video quality (job
// 5, agora) and recorded-course study time (job 4, qos).
type Bounds struct {
	ClassroomPerformance JobBounds
	AVQuality            JobBounds
	StudyTime            JobBounds
}

// DefaultBounds are the settings of deployments/pipelines/edu as deployed
// (TestDefaultBoundsAreThePipelines holds them to the files).
func DefaultBounds() Bounds {
	return Bounds{
		ClassroomPerformance: JobBounds{Window: time.Minute, OutOfOrder: 5 * time.Second, Lateness: time.Minute, LateTopic: "late.classroom-performance"},
		AVQuality:            JobBounds{Window: 30 * time.Second, OutOfOrder: time.Minute, Lateness: time.Minute, LateTopic: "late.av-quality"},
		StudyTime:            JobBounds{OutOfOrder: time.Minute, Lateness: time.Hour, LateTopic: "late.study-time"},
	}
}

// LoadBounds reads the jobs' settings from the pipeline files in dir
// (deployments/pipelines/edu).
func LoadBounds(dir string) (Bounds, error) {
	var b Bounds
	for _, j := range []struct {
		file, connector string
		into            *JobBounds
	}{
		{"classroom-performance.json", "classroom-performance", &b.ClassroomPerformance},
		{"av-quality.json", "av-quality", &b.AVQuality},
		{"study-time.json", "study-time", &b.StudyTime},
	} {
		path := filepath.Join(dir, j.file)
		conns, err := ctl.LoadConnectors(path, func(string) (string, bool) { return "x", true })
		if err != nil {
			return Bounds{}, err
		}
		found := false
		for _, c := range conns {
			if c.Name != j.connector {
				continue
			}
			found = true
			if *j.into, err = jobBounds(c.Config); err != nil {
				return Bounds{}, fmt.Errorf("%s, connector %s: %w", path, c.Name, err)
			}
		}
		if !found {
			return Bounds{}, fmt.Errorf("%s has no connector %s", path, j.connector)
		}
	}
	return b, nil
}

func jobBounds(cfg map[string]string) (JobBounds, error) {
	ms := func(key string, required bool) (time.Duration, error) {
		v, ok := cfg[key]
		if !ok {
			if required {
				return 0, fmt.Errorf("%s is not set", key)
			}
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s = %q is not a count of milliseconds", key, v)
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	var b JobBounds
	var err error
	if b.Window, err = ms("window.size.ms", false); err != nil {
		return b, err
	}
	if b.OutOfOrder, err = ms("out.of.orderness.ms", true); err != nil {
		return b, err
	}
	if b.Lateness, err = ms("allowed.lateness.ms", true); err != nil {
		return b, err
	}
	if b.LateTopic = cfg["late.topic"]; b.LateTopic == "" {
		return b, fmt.Errorf("late.topic is not set")
	}
	return b, nil
}
