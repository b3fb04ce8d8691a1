// Package cli implements heroctl: one file per verb, output through swappable writers so tests
// capture it, and systemctl's exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

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
			root.Args = noCommand
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
	if errors.As(err, new(*unknownCommandError)) {
		fmt.Fprintln(Stderr, "Run 'heroctl --help' for the list of commands.")
	}
	return ExitFailure
}

// unknownCommandError is a first word that names no verb: heroctl alone is list-units, so cobra
// hands the root every word it could not match to a verb, and the root's Args (noCommand)
// refuses it with this error.
type unknownCommandError struct {
	word, path string
}

func (e *unknownCommandError) Error() string {
	return fmt.Sprintf("unknown command %q for %q", e.word, e.path) // cobra's own words
}

// noCommand is the root's Args: no word, as cobra.NoArgs, with an error Run tells apart.
func noCommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &unknownCommandError{word: args[0], path: cmd.CommandPath()}
	}
	return nil
}
