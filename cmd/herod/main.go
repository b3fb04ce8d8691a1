// Command herod is hero-systemd's daemon: it runs hero services as transient systemd units and
// serves the org.hero.Proc1 D-Bus API that heroctl uses.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hero-systemd/hero-systemd/cmd/internal/daemon"
	"github.com/hero-systemd/hero-systemd/cmd/internal/herodcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := herodcmd.NewCommand(daemon.Run).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "herod: %v\n", err)
		os.Exit(1)
	}
}
