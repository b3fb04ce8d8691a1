// Package herodcmd is herod's command line: its flags, their defaults (the system's places, or
// the user's XDG ones with --user) and --version. cmd/herod is a thin main around it, and the
// man page generator reads the same command.
package herodcmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/internal/daemon"
	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// RunFunc runs the daemon with the options the command line resolved.
type RunFunc func(ctx context.Context, opts daemon.Options) error

// NewCommand returns herod's command; run is called with the resolved options.
func NewCommand(run RunFunc) *cobra.Command {
	var opts daemon.Options
	var logLevel string
	var check bool
	cmd := &cobra.Command{
		Use:   "herod",
		Short: "Run hero services on systemd and serve the org.hero.Proc1 D-Bus API",
		Long: `herod loads the hero service configs of a directory, opens the job ledger, records every
run of its services from systemd's own records (unit signals while it runs; the journal for the
time it did not), owns the bus name org.hero.Proc1 and serves the API heroctl uses. With no flags it
uses /etc/hero/services, /var/lib/hero and the system bus, so 'herod' (or 'systemd-run herod',
or the packaged herod.service) is a working setup. With --user it serves the session bus, runs
services in the user's own systemd manager and uses $XDG_CONFIG_HOME/hero/services and
$XDG_STATE_HOME/hero. A directory with problems is served in part: a service whose file has a
problem (or that requires such a service) is bad-config, one that must start after an undefined
service is blocked, the others run; each problem is logged, and herod --check prints them.
herod reads only files that no one but root (with --user: root or its own user) could have
written: a service file owned by another user, writable by its group or others, or reached
through such a directory (symlinks included) is refused, never read and never run (bad-config,
logged as an error); a config or state directory like that keeps herod from starting. Service
variables (env) reach the services through root-only environment files under
/run/hero-systemd/env, never through unit properties. Logs go to stderr (journald keeps them
when systemd runs herod).`,
		Version: version.String(),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument(s): %s\nUsage: %s", strings.Join(args, " "), cmd.UseLine())
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			if !cmd.Flags().Changed("config-dir") {
				opts.ConfigDir = paths.ConfigDir(opts.User)
			}
			if !cmd.Flags().Changed("state-dir") {
				opts.StateDir = paths.StateDir(opts.User)
			}
			// Units name their file (SourcePath=) and heroctl cat reads a directory as absolute:
			// a relative --config-dir must give the same text.
			for _, dir := range []*string{&opts.ConfigDir, &opts.StateDir} {
				abs, err := filepath.Abs(*dir)
				if err != nil {
					return fmt.Errorf("%s: %w", *dir, err)
				}
				*dir = abs
			}
			if check {
				return daemon.Check(opts, cmd.OutOrStderr())
			}
			opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			return run(cmd.Context(), opts)
		},
	}
	cmd.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nUsage: %s", err, cmd.UseLine())
	})
	f := cmd.Flags()
	f.BoolP("version", "v", false, "print herod's version and exit")
	f.StringVar(&opts.ConfigDir, "config-dir", paths.ConfigDir(false),
		"service config directory (env "+paths.EnvConfigDir+"; with --user: $XDG_CONFIG_HOME/hero/services)")
	f.StringVar(&opts.StateDir, "state-dir", paths.StateDir(false),
		"herod's state: the job ledger, in ledger/jobs.db (env "+paths.EnvStateDir+"; with --user: $XDG_STATE_HOME/hero)")
	f.BoolVar(&opts.User, "user", false, "serve on the session bus and drive the user's systemd manager")
	f.StringVar(&opts.BusAddress, "bus-address", "", "serve the API on this D-Bus address instead of the system/session bus")
	f.IntVar(&opts.KeepJobs, "keep-jobs", jobdb.DefaultKeep, "ended jobs (runs) kept per service; older ones are deleted first")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&check, "check", false, "check the config directory, print every problem, and exit; fails when herod could not start or a file is refused as untrusted (herod.service runs it first)")
	return cmd
}
