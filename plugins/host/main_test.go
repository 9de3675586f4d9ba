package host

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// bins holds the test plugins, built once for the package's tests.
var bins struct {
	dir, good, crasher, oldproto, notPlugin string
}

func TestMain(m *testing.M) {
	if os.Getenv(orphanHostEnv) != "" {
		runOrphanHost() // a child of TestPluginDiesWithTheWorker
		return
	}
	dir, err := os.MkdirTemp("", "tributary-host-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.dir = dir
	for _, b := range []struct {
		into *string
		pkg  string
	}{{&bins.good, "good"}, {&bins.crasher, "crasher"}, {&bins.oldproto, "oldproto"}} {
		*b.into = filepath.Join(dir, b.pkg)
		build := exec.Command("go", "build", "-o", *b.into, "./internal/testplugins/"+b.pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build test plugin %s: %v\n", b.pkg, err)
			os.Exit(1)
		}
	}
	bins.notPlugin = filepath.Join(dir, "not-a-plugin.sh")
	if err := os.WriteFile(bins.notPlugin, []byte("#!/bin/sh\necho hello from a script\necho 'and some stderr' >&2\n"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testOptions logs the plugins' output into the test's log.
func testOptions(t testing.TB) Options {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return Options{Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))}
}

// testWriter drops what arrives after the test ended: go-plugin's stdio
// stream may deliver a last line after the process was stopped.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// load loads a binary and returns its plugins by class.
func load(t testing.TB, path string) map[string]sdk.Plugin {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ps, err := Load(ctx, path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sdk.Plugin{}
	for _, p := range ps {
		out[p.Class] = p
	}
	return out
}
