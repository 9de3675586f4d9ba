package host

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// orphanHostEnv makes the test binary a host that opens a plugin, prints the
// plugin's pid and waits to be killed.
const orphanHostEnv = "TRIBUTARY_TEST_ORPHAN_HOST"

func runOrphanHost() {
	ps, err := Load(context.Background(), os.Getenv(orphanHostEnv), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range ps {
		if p.Type != sdk.TypeTransform {
			continue
		}
		tr := p.NewTransform()
		if err := tr.Open(context.Background(), sdk.Config{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(tr.(*remoteTransform).p.pid)
		select {}
	}
	os.Exit(1)
}

// TestPluginDiesWithTheWorker SIGKILLs a host, which runs no cleanup at all,
// and requires its plugin process to die with it.
func TestPluginDiesWithTheWorker(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanHostEnv+"="+bins.good)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the host printed no plugin pid: %v", err)
	}
	pid, err := strconv.Atoi(line[:len(line)-1])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("plugin %d is not running before the host dies: %v", pid, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pid)
}
