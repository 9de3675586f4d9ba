package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func TestLoadDescribesEveryPlugin(t *testing.T) {
	ps := load(t, bins.good)
	if len(ps) != 3 {
		t.Fatalf("loaded %d plugins, want echo, collect and counter", len(ps))
	}
	echo, collect, counter := ps["test.echo"], ps["test.collect"], ps["test.counter"]
	if echo.Type != sdk.TypeTransform || echo.Version != "1.2.3" || echo.Summary != "Appends a suffix to values." ||
		!slices.Equal(echo.Aliases, []string{"test.Echo"}) || echo.NewTransform == nil {
		t.Errorf("echo described as %+v", echo)
	}
	if collect.Type != sdk.TypeSink || collect.NewSink == nil || counter.Type != sdk.TypeSource || counter.NewSource == nil {
		t.Errorf("collect %s, counter %s", collect.Type, counter.Type)
	}
	if counter.TaskConfigs == nil || echo.TaskConfigs != nil {
		t.Error("only the counter splits into tasks")
	}
	if _, keeps := collect.NewSink().(sdk.OffsetKeeper); !keeps {
		t.Error("collect keeps its offsets, but its adapter is no OffsetKeeper")
	}
	if _, keeps := ps["test.collect"].NewSink().(sdk.Counted); !keeps {
		t.Error("adapters pass counts on, but the sink's is no Counted")
	}

	keys, err := echo.Keys()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, k := range keys {
		names = append(names, k.Name)
		if k.Order != i+1 || k.Dependents == nil {
			t.Errorf("key %s: order %d at %d, dependents %v", k.Name, k.Order, i+1, k.Dependents)
		}
	}
	if want := []string{"suffix", "reject", "retriable", "fault", "secret", "mode", "plugin.call.timeout.ms"}; !slices.Equal(names, want) {
		t.Fatalf("keys %v, want %v", names, want)
	}
	if m := keys[5]; !slices.Equal(m.Enum, []string{"plain", "loud"}) || m.DefaultValue == nil || *m.DefaultValue != "plain" {
		t.Errorf("mode key %+v", m)
	}
	if k := keys[6]; k.Type != "LONG" || k.DefaultValue == nil || *k.DefaultValue != "30000" {
		t.Errorf("host key %+v", k)
	}
	if masked := echo.Mask(sdk.Config{"secret": "s3cret", "suffix": "x"}); masked["secret"] != "[hidden]" || masked["suffix"] != "x" {
		t.Errorf("masked %v", masked)
	}
}

func TestValidateAsksThePlugin(t *testing.T) {
	echo := load(t, bins.good)["test.echo"]
	for _, c := range []struct {
		cfg  sdk.Config
		want map[string][]string
	}{
		{sdk.Config{"suffix": "!"}, map[string][]string{}},
		// A rule only the plugin's struct knows.
		{sdk.Config{"suffix": "far too long"}, map[string][]string{"suffix": {"must have at most 10 characters"}}},
		// The plugin's own ValidateConfig.
		{sdk.Config{"suffix": "forbidden"}, map[string][]string{"suffix": {"must not be forbidden"}}},
		// The worker checks enumerations itself: said once.
		{sdk.Config{"mode": "quiet"}, map[string][]string{"mode": {"must be one of plain, loud"}}},
		// The host's own key.
		{sdk.Config{"plugin.call.timeout.ms": "0"}, map[string][]string{"plugin.call.timeout.ms": {"must be > 0"}}},
	} {
		got := echo.Problems(c.cfg)
		for k, v := range got {
			if len(v) == 0 {
				delete(got, k)
			}
		}
		if !equalProblems(got, c.want) {
			t.Errorf("%v: problems %v, want %v", c.cfg, got, c.want)
		}
	}
}

func equalProblems(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestTransformCarriesRecordsErrorsAndCounts(t *testing.T) {
	ctx := context.Background()
	echo := load(t, bins.good)["test.echo"]
	tr := echo.NewTransform()
	if err := tr.Open(ctx, sdk.Config{"suffix": "!", "reject": "no", "retriable": "later", "fault": "odd"}); err != nil {
		t.Fatal(err)
	}
	mustStream(t, &tr.(*remoteTransform).instance)
	defer func() {
		if err := tr.Close(); err != nil {
			t.Error(err)
		}
	}()
	ts := time.Unix(1700000000, 5)
	in := []sdk.Record{
		{Key: []byte("k"), Value: []byte("a"), Topic: "in", Partition: 2, Offset: 40, Timestamp: ts,
			Headers: []sdk.Header{{Key: "h", Value: []byte("1")}, {Key: "h", Value: nil}}},
		{Value: []byte("odd"), Topic: "in", Offset: 41},
		{Key: []byte{}, Value: nil, Topic: "in", Offset: 42},
	}
	out, err := tr.Process(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d outputs", len(out))
	}
	first := out[0]
	if string(first.Key) != "k" || string(first.Value) != "a!" || first.Topic != "in" || first.Partition != 2 || first.Offset != 40 ||
		!first.Timestamp.Equal(ts) || len(first.Headers) != 2 || first.Headers[1].Value != nil || first.Fault != nil {
		t.Errorf("first output %+v", first)
	}
	if out[1].Fault == nil || out[1].Fault.Error() != "value is faulty" || string(out[1].Value) != "odd" {
		t.Errorf("faulty output %+v", out[1])
	}
	if out[2].Key == nil || len(out[2].Key) != 0 || string(out[2].Value) != "!" {
		t.Errorf("empty key must stay empty, not null: %+v", out[2])
	}
	if got := tr.(sdk.Counted).Counts(); got["seen"] != 3 {
		t.Errorf("counts %v", got)
	}

	_, err = tr.Process(ctx, []sdk.Record{{Value: []byte("yes")}, {Value: []byte("no")}})
	var bad *sdk.RecordError
	if !errors.As(err, &bad) || bad.Index != 1 || bad.Err.Error() != `value "no" is refused` || sdk.IsRetriable(err) {
		t.Errorf("record error came back as %#v", err)
	}
	_, err = tr.Process(ctx, []sdk.Record{{Value: []byte("later")}})
	if !sdk.IsRetriable(err) || errors.As(err, &bad) || err.Error() != "try again later" {
		t.Errorf("retriable error came back as %#v", err)
	}
	// An error is the plugin's: the process goes on.
	if out, err := tr.Process(ctx, []sdk.Record{{Value: []byte("b")}}); err != nil || string(out[0].Value) != "b!" {
		t.Errorf("after errors: %v %v", out, err)
	}
	if got := tr.(sdk.Counted).Counts(); got["seen"] != 7 {
		t.Errorf("counts %v after 7 records", got)
	}
}

func TestSinkWritesFlushesAndKeepsOffsets(t *testing.T) {
	ctx := context.Background()
	collect := load(t, bins.good)["test.collect"]
	file := filepath.Join(t.TempDir(), "out.txt")
	s := collect.NewSink()
	if err := s.Open(ctx, sdk.Config{"file": file}); err != nil {
		t.Fatal(err)
	}
	mustStream(t, &s.(*remoteKeeperSink).instance)
	n, err := s.Write(ctx, []sdk.Record{{Topic: "t", Partition: 1, Offset: 7, Value: []byte("x")}, {Topic: "t", Partition: 1, Offset: 8, Value: []byte("bad")}})
	var bad *sdk.RecordError
	if n != 1 || !errors.As(err, &bad) || bad.Index != 1 {
		t.Fatalf("wrote %d, %v; want 1 and a RecordError for record 1", n, err)
	}
	if n, err := s.Write(ctx, []sdk.Record{{Topic: "t", Partition: 1, Offset: 9, Value: []byte("y")}}); n != 1 || err != nil {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != "t/1/7 x\nt/1/9 y\n" {
		t.Errorf("file holds %q", got)
	}
	stored, err := s.(sdk.OffsetKeeper).StoredOffsets(ctx)
	if err != nil || len(stored) != 1 || stored[sdk.TopicPartition{Topic: "t", Partition: 1}] != 10 {
		t.Errorf("stored offsets %v, %v", stored, err)
	}
	if got := s.(sdk.Counted).Counts(); got["written"] != 2 {
		t.Errorf("counts %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, nil); !errors.Is(err, errNotOpen) {
		t.Errorf("write after close: %v", err)
	}
}

func TestSourceResumesReadsQuietlyAndAcks(t *testing.T) {
	ctx := context.Background()
	counter := load(t, bins.good)["test.counter"]
	cfgs, err := counter.TaskConfigs(sdk.Config{"count": "6"}, 3)
	if err != nil || len(cfgs) != 3 || cfgs[2]["task.index"] != "2" || cfgs[2]["count"] != "6" {
		t.Fatalf("task configs %v, %v", cfgs, err)
	}
	src := counter.NewSource()
	last := []sdk.Position{{Partition: map[string]any{"counter": "c"}, Offset: map[string]any{"n": float64(1)}}}
	if err := src.Open(ctx, sdk.Config{"count": "6", "topic": "nums", "plugin.call.timeout.ms": "1000"}, last); err != nil {
		t.Fatal(err)
	}
	mustStream(t, &src.(*remoteSource).instance)
	defer src.Close()
	recs, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, r := range recs {
		values = append(values, string(r.Value))
	}
	if !slices.Equal(values, []string{"2", "3", "4", "5"}) || recs[0].Topic != "nums" || recs[0].Partition != -1 {
		t.Fatalf("read %v (%+v), want 2..5 after the stored position 1", values, recs[0])
	}
	n, err := sdk.OffsetInt(recs[3].Position.Offset["n"])
	if err != nil || n != 5 || recs[3].Position.Partition["counter"] != "c" {
		t.Fatalf("position %+v: %v", recs[3].Position, err)
	}
	if err := src.Ack(ctx, []sdk.Position{recs[3].Position}); err != nil {
		t.Fatal(err)
	}
	// Nothing left: the quiet Read answers an empty batch before the call
	// timeout instead of getting killed.
	start := time.Now()
	recs, err = src.Read(ctx)
	if err != nil || len(recs) != 0 {
		t.Fatalf("quiet read: %v, %v", recs, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("quiet read took %v, past its 1s call timeout", took)
	}
	if got := src.(sdk.Counted).Counts(); got["acked"] != 5 {
		t.Errorf("counts %v", got)
	}
	// The process lives on after the quiet read.
	if err := src.Ack(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// openCrasher opens a crasher transform with cfg.
func openCrasher(t *testing.T, cfg sdk.Config) (sdk.Transform, error) {
	t.Helper()
	tr := load(t, bins.crasher)["test.crasher"].NewTransform()
	err := tr.Open(context.Background(), cfg)
	if err == nil {
		// The crashes and hangs of Process happen on the stream.
		mustStream(t, &tr.(*remoteTransform).instance)
	}
	return tr, err
}

// mustStream fails the test unless the instance's records go over the
// record stream.
func mustStream(t *testing.T, in *instance) {
	t.Helper()
	if in.p == nil || !in.p.rpc.Streaming() {
		t.Fatal("the plugin's records do not go over the record stream")
	}
}

var pidIn = regexp.MustCompile(`\(pid (\d+)\)`)

// pidOf finds the pid an error names.
func pidOf(t *testing.T, err error) int {
	t.Helper()
	m := pidIn.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error names no pid: %v", err)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCrashFailsTheCallNotTheWorker(t *testing.T) {
	for _, c := range []struct{ mode, status, said string }{
		{"exit", "exit status 3", "crasher: about to exit"},
		{"gopanic", "exit status 2", "panic: crasher panics in a goroutine"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			tr, err := openCrasher(t, sdk.Config{"mode": c.mode})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tr.Process(context.Background(), []sdk.Record{{Value: []byte("x")}})
			if err == nil {
				t.Fatal("a crash during Process returned no error")
			}
			msg := err.Error()
			for _, want := range []string{bins.crasher, c.status, "during Process", c.said} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if sdk.IsRetriable(err) {
				t.Error("a crash must not be retried in the same process")
			}
			again, err2 := tr.Process(context.Background(), nil)
			if again != nil || err2 == nil || err2.Error() != msg {
				t.Errorf("the next call: %v, %v", again, err2)
			}
			if err := tr.Close(); err != nil {
				t.Errorf("close after a crash: %v", err)
			}
		})
	}
}

func TestPanicInACallIsAnError(t *testing.T) {
	tr, err := openCrasher(t, sdk.Config{"mode": "panic"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Process(context.Background(), nil)
	if err == nil || err.Error() != "plugin panicked: crasher panics on purpose" {
		t.Fatalf("got %v", err)
	}
}

func TestHangIsKilledAfterTheCallTimeout(t *testing.T) {
	tr, err := openCrasher(t, sdk.Config{"mode": "hang", "plugin.call.timeout.ms": "500"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tr.Process(context.Background(), []sdk.Record{{Value: []byte("x")}})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "Process did not answer within 500ms") || !strings.Contains(err.Error(), "was killed") {
		t.Fatalf("got %v", err)
	}
	if took > 5*time.Second {
		t.Errorf("the hang was noticed after %v", took)
	}
	waitGone(t, pidOf(t, err))
	if err := tr.Close(); err != nil {
		t.Errorf("close after a hang: %v", err)
	}
}

func TestCrashInOpenFailsOpen(t *testing.T) {
	_, err := openCrasher(t, sdk.Config{"mode": "exit", "in": "open"})
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "during Open") {
		t.Fatalf("got %v", err)
	}
	_, err = openCrasher(t, sdk.Config{"mode": "hang", "in": "open", "plugin.call.timeout.ms": "300"})
	if err == nil || !strings.Contains(err.Error(), "Open did not answer within 300ms") {
		t.Fatalf("got %v", err)
	}
	waitGone(t, pidOf(t, err))
	_, err = openCrasher(t, sdk.Config{"mode": "exit", "plugin.call.timeout.ms": "soon"})
	if err == nil || !strings.Contains(err.Error(), "plugin.call.timeout.ms") {
		t.Fatalf("a bad timeout opened: %v", err)
	}
}

// TestRestartGetsAFreshProcess is what a task restart does: the
// constructor and Open again, in a new process that works.
func TestRestartGetsAFreshProcess(t *testing.T) {
	cfg := sdk.Config{"mode": "exit", "once.file": filepath.Join(t.TempDir(), "crashed")}
	tr, err := openCrasher(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Process(context.Background(), nil)
	if err == nil {
		t.Fatal("no crash")
	}
	crashed := pidOf(t, err)
	tr.Close()

	tr, err = openCrasher(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	out, err := tr.Process(context.Background(), []sdk.Record{{Value: []byte("v")}})
	if err != nil || len(out) != 1 || string(out[0].Value) != "v" {
		t.Fatalf("after the restart: %v, %v", out, err)
	}
	fresh := tr.(*remoteTransform).p.pid
	if fresh == crashed || fresh == 0 {
		t.Errorf("restart ran in pid %d, the crashed one was %d", fresh, crashed)
	}
}

func TestWrongProtocolVersionSaysBoth(t *testing.T) {
	_, err := Load(context.Background(), bins.oldproto, testOptions(t))
	if err == nil {
		t.Fatal("loaded a plugin of protocol version 2")
	}
	for _, want := range []string{bins.oldproto, "protocol version 2", "speaks version 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestNotAPluginIsRefused(t *testing.T) {
	_, err := Load(context.Background(), bins.notPlugin, testOptions(t))
	if err == nil || !strings.Contains(err.Error(), bins.notPlugin) || !strings.Contains(err.Error(), "hello from a script") {
		t.Fatalf("got %v", err)
	}
}

func TestPluginRefusesToRunAlone(t *testing.T) {
	cmd := exec.Command(bins.good)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run alone: %v\n%s", err, out)
	}
	for _, want := range []string{"is a Tributary plugin binary", "test.echo, test.collect, test.counter", "plugin.path"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDiscoverSkipsWhatDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	link := func(src, dst string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	link(bins.good, filepath.Join(dir, "good"))
	link(bins.crasher, filepath.Join(dir, "crasher", "bin", "crasher")) // two levels down: not looked at
	link(bins.crasher, filepath.Join(dir, "crasher-plugin", "crasher"))
	link(bins.oldproto, filepath.Join(dir, "oldproto"))
	link(bins.notPlugin, filepath.Join(dir, "script"))
	link(bins.good, filepath.Join(dir, "zz-copy", "good")) // its classes are taken
	link(bins.good, filepath.Join(dir, ".hidden"))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-such-dir")

	ps, errs := Discover(context.Background(), []string{dir, missing}, testOptions(t))
	var classes []string
	for _, p := range ps {
		classes = append(classes, p.Class)
	}
	slices.Sort(classes)
	if want := []string{"test.collect", "test.counter", "test.crasher", "test.echo"}; !slices.Equal(classes, want) {
		t.Errorf("discovered %v, want %v", classes, want)
	}
	wants := []string{
		missing,
		filepath.Join(dir, "oldproto") + " speaks Tributary plugin protocol version 2",
		filepath.Join(dir, "script") + " did not start",
		filepath.Join(dir, "zz-copy", "good") + `: class "test.echo" is already offered by ` + filepath.Join(dir, "good"),
	}
	if len(errs) != len(wants) {
		t.Errorf("%d errors, want %d: %v", len(errs), len(wants), errs)
	}
	for _, want := range wants {
		if !slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), want) }) {
			t.Errorf("no error says %q: %v", want, errs)
		}
	}
}

// lines collects what the host logs of its plugins' output.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			l.mu.Lock()
			l.got = append(l.got, a.Value.String())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

func (l *lines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.got, s)
}

func TestArgsEnvAndOutput(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_ENV", "from-the-worker")
	log := &lines{}
	opts := Options{Args: []string{"-v", "two words"}, Env: []string{"TRIBUTARY_TEST_ENV=from-options"}, Logger: slog.New(log)}
	ps, err := Load(context.Background(), bins.good, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Class != "test.echo" {
			continue
		}
		tr := p.NewTransform()
		if err := tr.Open(context.Background(), sdk.Config{}); err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
	}
	want := `echo: open with args ["-v" "two words"] and TRIBUTARY_TEST_ENV=from-options`
	deadline := time.Now().Add(10 * time.Second)
	for !log.has(want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks %q: %q", want, log.got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBatchesOverStreamAndGRPC runs a 2000-record batch through a plugin
// on the record stream (where it goes in pieces) and through one that
// leaves its stream untaken, as a plugin built before the stream does
// (where it goes over gRPC whole): the results must be the same.
func TestBatchesOverStreamAndGRPC(t *testing.T) {
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			ctx := context.Background()
			opts := testOptions(t)
			if !stream {
				opts.Env = []string{"TEST_NO_STREAM=1"}
			}
			ps, err := Load(ctx, bins.good, opts)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ps, func(p sdk.Plugin) bool { return p.Class == "test.echo" })
			tr := ps[i].NewTransform()
			if err := tr.Open(ctx, sdk.Config{"suffix": "!", "reject": "no"}); err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if got := tr.(*remoteTransform).p.rpc.Streaming(); got != stream {
				t.Fatalf("streaming %v, want %v", got, stream)
			}
			in := make([]sdk.Record, 2000)
			for i := range in {
				in[i] = sdk.Record{Value: []byte(strconv.Itoa(i)), Offset: int64(i)}
			}
			out, err := tr.Process(ctx, in)
			if err != nil || len(out) != len(in) {
				t.Fatalf("%d records, %v", len(out), err)
			}
			for i, r := range out {
				if string(r.Value) != strconv.Itoa(i)+"!" || r.Offset != int64(i) {
					t.Fatalf("output %d is %q at offset %d", i, r.Value, r.Offset)
				}
			}
			in[1500].Value = []byte("no")
			_, err = tr.Process(ctx, in)
			var bad *sdk.RecordError
			if !errors.As(err, &bad) || bad.Index != 1500 {
				t.Errorf("record error %v, want one for record 1500", err)
			}
			if got := tr.(sdk.Counted).Counts(); got["seen"] != 4000 {
				t.Errorf("counts %v, want 4000 seen", got)
			}
		})
	}
}
