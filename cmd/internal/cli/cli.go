// Package cli implements heroctl: one file per verb, output through swappable writers so tests
// capture it, and systemctl's exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

// Exit codes, as systemctl (LSB) uses them.
const (
	ExitOK            = 0 // success; for is-active: active
	ExitFailure       = 1 // generic failure; for is-failed: not failed
	ExitNotActive     = 3 // the unit is not active
	ExitNoSuchService = 4 // no such service
)

// Stdout and Stderr are where heroctl writes; tests swap them.
var (
	Stdout io.Writer = os.Stdout
	Stderr io.Writer = os.Stderr
)

// exitError carries an exit code; its message (if any) is printed to stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

// globals are the flags every verb shares.
type globals struct {
	configDir string
	output    string // "text" or "json"
	quiet     bool
	noLegend  bool
	noPager   bool
	plain     bool
	user      bool
	// busAddress overrides the bus herod is reached on (tests; env HERO_BUS_ADDRESS).
	busAddress string
	// host is -H [USER@]HOST[:PORT]: herod on another host, reached over ssh.
	host string
	// noAskPassword: never let polkit ask for a password (no agent, no interactive flag).
	noAskPassword bool
	// agent is the pkttyagent this run started (agent.go).
	agent *exec.Cmd
	// localConfig is set when a config directory was given explicitly (--config-dir,
	// HERO_CONFIG_DIR or validate's DIR): the offline verbs then read it instead of asking herod.
	localConfig bool
	// args is the command line heroctl was run with, for advice that repeats it.
	args []string
}

func (g *globals) json() bool { return g.output == "json" }

// NewCommand returns heroctl's command tree, for tools that document it (the man page generator).
func NewCommand() *cobra.Command { return newRoot(&globals{}) }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "heroctl",
		Short: "Control hero services running on systemd",
		Long: `heroctl controls hero services (hero TOML and zinit YAML service configs) that herod runs
as transient systemd units. It feels like systemctl: the same verbs, flags and exit codes
(0 ok/active, 1 failure, 3 not active, 4 no such service); heroctl alone lists the units
(list-units), as systemctl alone does.

heroctl talks to herod over D-Bus (org.hero.Proc1 on the system bus; --user: the session bus;
-H [USER@]HOST: the system bus of another host, over ssh, as systemctl -H does). The offline
verbs (validate, cat, list-dependencies, graph, start --dry-run, stop --dry-run) ask herod too,
but with --config-dir DIR (or $HERO_CONFIG_DIR) they read that directory themselves and work
where nothing runs; they also fall back to /etc/hero/services (with --user:
$XDG_CONFIG_HOME/hero/services) when herod is not reachable (never with -H: a local directory
says nothing about another host).

Changing services needs root, or a polkit rule granting org.hero.proc1.manage-services; on a
terminal polkit may ask for a password (--no-ask-password: never).`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.Flags().BoolP("version", "v", false, "print heroctl's version and exit")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError(cmd, err.Error()) })
	pf := root.PersistentFlags()
	pf.StringVar(&g.configDir, "config-dir", paths.ConfigDir(false),
		"service config directory (env "+paths.EnvConfigDir+"; with --user: $XDG_CONFIG_HOME/hero/services)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing; only the exit code tells")
	pf.BoolVar(&g.noLegend, "no-legend", false, "omit headers and footers of listings")
	pf.BoolVar(&g.noPager, "no-pager", false, "accepted for systemctl compatibility (heroctl never pages)")
	pf.BoolVar(&g.plain, "plain", false, "plain output: no tree glyphs")
	pf.BoolVar(&g.user, "user", false, "talk to the user's herod (session bus) instead of the system one")
	pf.StringVar(&g.busAddress, "bus-address", "", "reach herod on this D-Bus address (env HERO_BUS_ADDRESS)")
	_ = pf.MarkHidden("bus-address")
	pf.StringVarP(&g.host, "host", "H", "", "operate on herod of a remote host, [USER@]HOST[:PORT], over ssh (as systemctl -H)")
	pf.BoolVar(&g.noAskPassword, "no-ask-password", false, "do not ask for a password when polkit wants one (fail instead)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := checkHost(cmd, g); err != nil {
			return err
		}
		g.localConfig = g.host == "" && (cmd.Flags().Changed("config-dir") || os.Getenv(paths.EnvConfigDir) != "")
		if !cmd.Flags().Changed("config-dir") {
			g.configDir = paths.ConfigDir(g.user)
		}
		if g.output != "text" && g.output != "json" {
			return exitWith(ExitFailure, fmt.Errorf("--output must be text or json, not %q", g.output))
		}
		return checkJSON(cmd, g)
	}
	for _, add := range verbs {
		cmd := add(g)
		if cmd.Args != nil && cmd.ValidArgsFunction == nil && strings.Contains(cmd.Use, "NAME") {
			cmd.ValidArgsFunction = completeServices(g)
		}
		if cmd.Args != nil {
			cmd.Args = withUsage(cmd.Args)
		}
		root.AddCommand(cmd)
		if cmd.Name() == "list-units" {
			// heroctl alone lists the units, as systemctl alone does; help stays on --help.
			list := cmd
			root.Args = cobra.NoArgs
			root.RunE = func(cmd *cobra.Command, args []string) error { return list.RunE(cmd, args) }
		}
	}
	return root
}

// completeServices completes service names: herod's, or the config directory's.
func completeServices(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		graph, err := loadGraph(cmd, &globals{configDir: g.configDir, localConfig: g.localConfig, user: g.user, busAddress: g.busAddress,
			host: g.host, noAskPassword: true, quiet: true})
		if err != nil || graph == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range graph.Names() {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// verbs are registered by each verb's file.
var verbs []func(*globals) *cobra.Command

// Run runs heroctl with args and returns the process exit code.
func Run(ctx context.Context, args []string) int {
	g := &globals{args: args}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(Stdout)
	root.SetErr(Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	g.closeAgent()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !g.quiet {
			fmt.Fprintf(Stderr, "heroctl: %v\n", ee.err)
		}
		if ee.code == ExitNoSuchService && cmd != nil && !g.quiet {
			didYouMean(cmd, g)
		}
		return ee.code
	}
	fmt.Fprintf(Stderr, "heroctl: %v\n", err)
	if strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(Stderr, "Run 'heroctl --help' for the list of commands.")
	}
	return ExitFailure
}
