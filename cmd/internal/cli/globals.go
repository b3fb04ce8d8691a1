package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/spf13/cobra"
)

// What every verb shares: the exit codes, the writers, the global flags and the list of verbs.

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

// verbs are registered by each verb's file.
var verbs []func(*globals) *cobra.Command
