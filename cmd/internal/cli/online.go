package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// stopOnline asks herod to stop a service. (The D-Bus client lands with the daemon.)
func stopOnline(cmd *cobra.Command, g *globals, a stopArgs, name string) error {
	return exitWith(ExitFailure, errors.New("stopping needs herod, which this build does not include yet; use --dry-run to see the plan"))
}
