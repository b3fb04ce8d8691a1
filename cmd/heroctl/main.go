// Command heroctl controls hero services: a systemctl-like client of herod plus offline verbs
// that read a config directory directly.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hero-systemd/hero-systemd/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
