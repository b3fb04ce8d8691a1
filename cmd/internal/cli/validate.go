package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func init() { verbs = append(verbs, newValidateCmd) }

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check every service config; report each problem on one line",
		Long: `validate checks the whole config directory before anything touches the host: syntax,
unknown keys, types, names, values systemd would refuse, unknown and self dependencies, cycles,
and conflicts with a requires closure. Every problem is printed as FILE[:LINE]: KEY: PROBLEM.
Exit status 0 when clean, 1 when anything is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, probs, err := loadConfig(g)
			if err != nil {
				return err
			}
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
			if len(probs) > 0 {
				return exitWith(ExitFailure, fmt.Errorf("%s: %d problem(s) in %d service file(s)", g.configDir, len(probs), countFiles(probs)))
			}
			if !g.quiet && !g.json() {
				fmt.Fprintf(Stderr, "%s: %d service(s), no problems\n", g.configDir, len(set.Services))
			}
			return nil
		},
	}
}

func countFiles(ps config.Problems) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.File] = true
	}
	return len(seen)
}
