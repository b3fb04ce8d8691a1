package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func init() { verbs = append(verbs, newValidateCmd) }

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every service config; report each problem on one line",
		Long: `validate checks the whole config directory before anything touches the host: syntax,
unknown keys, types, names, values systemd would refuse, unknown and self dependencies, cycles,
and conflicts with a requires closure. Every problem is printed as FILE[:LINE]: KEY: PROBLEM.
Exit status 0 when clean, 1 when anything is wrong. A warning (FILE[:LINE]: KEY: warning: ...)
names something odd that keeps nothing from running, such as a wants entry no file defines (the
service starts without it): it is printed, and the exit status stays 0. DIR is the directory to read, as with
--config-dir DIR; without either, herod's config directory is checked. A file that someone
other than root (or you, for your own directory) could have written is refused as untrusted,
as herod refuses it. herod quotes a file's contents in a problem only to callers who may read
that file; others get the file, line, key and kind of problem.`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := useDirArg(cmd, g, args[0]); err != nil {
					return err
				}
			}
			return withDaemon(cmd, g, func(ctx context.Context, c *client.Client) error {
				ps, err := c.Validate(ctx)
				if err != nil {
					return err
				}
				probs := make(config.Problems, len(ps))
				for i, p := range ps {
					probs[i] = config.Problem{File: p.File, Line: int(p.Line), Key: p.Key, Message: p.Message}
				}
				return reportProblems(g, probs, -1)
			}, func() error {
				set, probs, err := loadConfig(g)
				if err != nil {
					return err
				}
				return reportProblems(g, append(probs, set.Warnings()...), len(set.Services))
			})
		},
	}
}

// useDirArg makes validate's DIR argument the config directory; given together with a
// different --config-dir, it is refused rather than one silently winning.
func useDirArg(cmd *cobra.Command, g *globals, dir string) error {
	if g.host != "" {
		return usageError(cmd, fmt.Sprintf("DIR %s is a local directory; with -H, validate checks herod's on %s (give no DIR)", dir, g.host))
	}
	if cmd.Flags().Changed("config-dir") && g.configDir != dir {
		return usageError(cmd, fmt.Sprintf("DIR %s and --config-dir %s name two directories", dir, g.configDir))
	}
	g.configDir, g.localConfig = dir, true
	return nil
}

// reportProblems prints every problem (one a line, or JSON) and fails when there is any.
// services is how many services were read, or -1 when unknown.
func reportProblems(g *globals, probs config.Problems, services int) error {
	if g.json() {
		type problem struct {
			File    string `json:"file"`
			Line    int    `json:"line,omitempty"`
			Key     string `json:"key,omitempty"`
			Message string `json:"message"`
		}
		out := make([]problem, 0, len(probs))
		for _, p := range probs {
			out = append(out, problem{p.File, p.Line, p.Key, p.Message})
		}
		if err := printJSON(out); err != nil {
			return err
		}
	} else if !g.quiet {
		for _, p := range probs {
			fmt.Fprintln(Stdout, p.String())
		}
	}
	var errs config.Problems
	for _, p := range probs {
		if !p.IsWarning() {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return exitWith(ExitFailure, fmt.Errorf("%d problem(s) in %d service file(s)", len(errs), countFiles(errs)))
	}
	if !g.quiet && !g.json() {
		warned := ""
		if n := len(probs); n > 0 {
			warned = fmt.Sprintf(" (%d warning(s): what they name is left out, nothing else)", n)
		}
		if services >= 0 {
			fmt.Fprintf(Stderr, "%s: %d service(s), no problems%s\n", g.configDir, services, warned)
		} else {
			fmt.Fprintf(Stderr, "herod's config directory: no problems%s\n", warned)
		}
	}
	return nil
}

func countFiles(ps config.Problems) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.File] = true
	}
	return len(seen)
}
