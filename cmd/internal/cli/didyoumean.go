package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// didYouMean prints, after a "no such service" error (exit status 4), the nearest service
// name for each argument of cmd that names none, as a person who mistyped wants to know.
// The names are herod's, or the config directory's when it was given or herod is not there.
func didYouMean(cmd *cobra.Command, g *globals) {
	args := cmd.Flags().Args()
	if len(args) == 0 {
		return
	}
	known := knownServices(cmd, g)
	if len(known) == 0 {
		return
	}
	for _, a := range args {
		if slices.Contains(known, a) {
			continue
		}
		if hint := config.Closest(a, known); hint != "" {
			fmt.Fprintf(Stderr, "Did you mean %q (instead of %q)?\n", hint, a)
		}
	}
}

// knownServices lists the services this run's herod (or config directory) defines; nil when
// neither can be read.
func knownServices(cmd *cobra.Command, g *globals) []string {
	if !g.localConfig {
		if c, err := reach(cmd, g); err == nil {
			defer c.Close()
			list, err := c.ListUnits(cmd.Context())
			if err == nil {
				names := make([]string, len(list))
				for i, st := range list {
					names[i] = st.Service
				}
				return names
			}
			if !notReachable(err) {
				return nil
			}
		}
		if g.host != "" {
			return nil
		}
	}
	set, _, err := loadConfig(g)
	if err != nil {
		return nil
	}
	names := make([]string, len(set.Services))
	for i, s := range set.Services {
		names[i] = s.Name
	}
	return names
}
