// Command herod is hero-systemd's daemon: it runs hero services as transient systemd units and
// serves the org.hero.Proc1 D-Bus API that heroctl uses.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/internal/daemon"
)

func main() {
	var opts daemon.Options
	var logLevel string
	cmd := &cobra.Command{
		Use:   "herod",
		Short: "Run hero services on systemd and serve the org.hero.Proc1 D-Bus API",
		Long: `herod loads the hero service configs of a directory, opens the job ledger, records every
run of its services from systemd's own records (unit signals while it runs; the journal for the
time it did not), owns the bus name org.hero.Proc1 and serves the API heroctl uses. With no flags it
uses /etc/hero/services, /var/lib/hero and the system bus, so 'herod' (or 'systemd-run herod',
or the packaged herod.service) is a working setup. It refuses to start while a config has a
problem, naming each one. Logs go to stderr (journald keeps them when systemd runs herod).`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return daemon.Run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ConfigDir, "config-dir", envOr("HERO_CONFIG_DIR", "/etc/hero/services"), "service config directory (env HERO_CONFIG_DIR)")
	f.StringVar(&opts.StateDir, "state-dir", envOr("HERO_STATE_DIR", "/var/lib/hero"), "herod's state: the job ledger, in ledger/jobs.db (env HERO_STATE_DIR)")
	f.BoolVar(&opts.User, "user", false, "serve on the session bus and drive the user's systemd manager")
	f.StringVar(&opts.BusAddress, "bus-address", "", "serve the API on this D-Bus address instead of the system/session bus")
	f.IntVar(&opts.KeepJobs, "keep-jobs", 100, "ended jobs (runs) kept per service; older ones are deleted first")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := cmd.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "herod: %v\n", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
