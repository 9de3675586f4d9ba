// Command crasher serves a transform that misbehaves on demand: it exits,
// panics (in the call or in a goroutine of its own) or hangs, in Open or in
// Process, so the tests can watch the host survive each fault.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func main() { sdk.Serve(Crasher) }

// stderr is the process's real stderr, kept before sdk.Serve sends
// os.Stderr through go-plugin's stream: a crashing program's last words go
// to fd 2.
var stderr = os.Stderr

type config struct {
	Mode string `json:"mode" default:"exit" validate:"oneof=exit panic gopanic hang none"`
	In   string `json:"in" default:"process" validate:"oneof=open process"`
	// Once, when set, names a file that marks the fault done: the plugin
	// misbehaves only while it does not exist, so a restarted task works.
	Once string `json:"once.file" doc:"Misbehave only when this file does not exist (and create it)."`
}

// Crasher is the misbehaving transform.
var Crasher = sdk.Plugin{
	Class: "test.crasher", Type: sdk.TypeTransform, Version: "1", Config: &config{},
	NewTransform: func() sdk.Transform { return &crasher{} },
}

type crasher struct {
	sdk.UnimplementedTransform
	cfg config
}

func (c *crasher) Open(_ context.Context, cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &c.cfg); err != nil {
		return err
	}
	if c.cfg.In == "open" {
		c.misbehave()
	}
	return nil
}

func (c *crasher) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	c.misbehave()
	fmt.Fprintf(stderr, "crasher: passing %d records on (pid %d)\n", len(recs), os.Getpid())
	for i := range recs {
		recs[i].Topic = "" // to the connector's topic
	}
	return recs, nil
}

func (c *crasher) misbehave() {
	if c.cfg.Once != "" {
		if _, err := os.Stat(c.cfg.Once); err == nil {
			return
		}
		if err := os.WriteFile(c.cfg.Once, []byte("done\n"), 0o644); err != nil {
			panic(err)
		}
	}
	fmt.Fprintf(stderr, "crasher: about to %s (pid %d)\n", c.cfg.Mode, os.Getpid())
	switch c.cfg.Mode {
	case "exit":
		os.Exit(3)
	case "panic":
		panic("crasher panics on purpose")
	case "gopanic":
		done := make(chan struct{})
		go func() { panic("crasher panics in a goroutine") }()
		<-done
	case "hang":
		time.Sleep(time.Hour)
	}
}
