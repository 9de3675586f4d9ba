package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributarydata/tributary/api/ctl"
)

func runCtl(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ctl.Run(ctx, args, os.Stdout, os.Stderr, os.LookupEnv)
}
