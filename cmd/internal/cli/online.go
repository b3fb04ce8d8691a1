package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// dial connects to herod and makes sure it answers (within client.ReachTimeout); the error
// already carries advice and an exit code. For a verb that changes services it starts polkit's
// text agent where polkit may ask for a password (agent.go).
func dial(cmd *cobra.Command, g *globals) (*client.Client, error) {
	c, err := reach(cmd, g)
	if err != nil {
		return nil, adviseFor(g, err)
	}
	if privileged(cmd.Name()) {
		g.openAgent()
	}
	return c, nil
}

// reach connects to the herod this run names: a remote one with -H, else the local system's
// (or, with --user, the user's).
func reach(cmd *cobra.Command, g *globals) (*client.Client, error) {
	var c *client.Client
	var err error
	if g.host != "" {
		c, err = client.DialHost(cmd.Context(), g.host, Stderr)
	} else {
		c, err = client.Dial(cmd.Context(), g.user, g.busAddress)
	}
	if err != nil {
		return nil, err
	}
	c.Interactive = g.interactive()
	if err := c.Reach(cmd.Context()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// checkHost refuses what -H cannot go with: --user (systemd-stdio-bridge reaches the remote
// system bus, and systemctl refuses the same), --bus-address, and a local --config-dir (the
// offline verbs ask herod on the host; a local directory says nothing about it).
func checkHost(cmd *cobra.Command, g *globals) error {
	if g.host == "" {
		return nil
	}
	for _, flag := range []string{"user", "bus-address", "config-dir"} {
		if cmd.Flags().Changed(flag) {
			return usageError(cmd, fmt.Sprintf("-H cannot be combined with --%s", flag))
		}
	}
	if _, err := client.SSHArgs(g.host); err != nil {
		return usageError(cmd, err.Error())
	}
	return nil
}

// online runs fn with a client of herod, closing it after; fn's errors are turned into advice.
func online(cmd *cobra.Command, g *globals, fn func(ctx context.Context, c *client.Client) error) error {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	return adviseFor(g, fn(cmd.Context(), c))
}

// notReachable reports errors that mean herod (or the bus) is not there.
func notReachable(err error) bool {
	e, ok := client.AsError(err)
	if !ok {
		return false
	}
	switch e.Name {
	case client.ErrNoBus, client.ErrNotReached, client.ErrHerodGone, "org.freedesktop.DBus.Error.ServiceUnknown",
		"org.freedesktop.DBus.Error.NameHasNoOwner", "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Disconnected",
		"org.freedesktop.DBus.Error.TimedOut", "org.freedesktop.DBus.Error.Spawn.ChildExited", "org.freedesktop.DBus.Error.Spawn.Failed":
		return true
	}
	return false
}

// advise turns a D-Bus error into an exit code and a message a person can act on.
func advise(err error) error { return adviseFor(nil, err) }

// adviseFor is advise for a run whose flags are known (g may be nil): the advice repeats them.
func adviseFor(g *globals, err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if notReachable(err) {
		if g != nil && g.host != "" {
			return exitWith(ExitFailure, fmt.Errorf("herod on %s is not running or not reachable (%v).\n%s", g.host, err, g.startAdvice()))
		}
		return exitWith(ExitFailure, fmt.Errorf("herod is not running or not reachable (%v).\n%s", err, g.startAdvice()))
	}
	e, ok := client.AsError(err)
	if !ok {
		return exitWith(ExitFailure, err)
	}
	switch e.Name {
	case api.ErrNoSuchService:
		return exitWith(ExitNoSuchService, e)
	case api.ErrAccessDenied, "org.freedesktop.DBus.Error.AccessDenied":
		if api.ReadsOutput[e.Method] {
			return exitWith(ExitFailure, fmt.Errorf("access denied: what services write is shown to root and members of the groups %s only, as the journal is: %s, or add yourself to one ('sudo usermod -aG adm $USER')",
				strings.Join(api.JournalGroups, " and "), g.asRoot()))
		}
		return exitWith(ExitFailure, fmt.Errorf("access denied: changing services needs root, or a polkit rule granting %s: %s", api.PolkitAction, g.asRoot()))
	case api.ErrInteractiveAuthorizationRequired:
		return exitWith(ExitFailure, fmt.Errorf("access denied: changing services needs authentication (polkit action %s), which heroctl asks for only on a terminal without --no-ask-password: %s",
			api.PolkitAction, g.asRoot()))
	case api.ErrNotRunning:
		return exitWith(ExitNotActive, e)
	}
	return exitWith(ExitFailure, e)
}

// withDaemon runs fn against herod; an offline verb given no --config-dir falls back to
// reading the default config directory itself when herod is not reachable.
func withDaemon(cmd *cobra.Command, g *globals, fn func(context.Context, *client.Client) error, offline func() error) error {
	if g.host != "" {
		offline = nil // a local directory says nothing about another host
	}
	if g.localConfig && offline != nil {
		return offline()
	}
	c, err := reach(cmd, g)
	if err == nil {
		defer c.Close()
		err = fn(cmd.Context(), c)
	}
	if err != nil && offline != nil && notReachable(err) {
		if !g.quiet {
			fmt.Fprintf(Stderr, "heroctl: herod is not reachable; reading %s instead\n", g.configDir)
		}
		return offline()
	}
	return adviseFor(g, err)
}

// eachName runs fn for every name, as systemctl acts on every unit it is given: each failure
// is reported as it happens (with advice), and the first one's exit status is returned.
func eachName(g *globals, names []string, fn func(name string) error) error {
	code := ExitOK
	for _, name := range names {
		err := adviseFor(g, fn(name))
		if err == nil {
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) {
			ee = &exitError{code: ExitFailure, err: err}
		}
		if ee.err != nil && !g.quiet {
			fmt.Fprintf(Stderr, "heroctl: %v\n", ee.err)
		}
		if code == ExitOK {
			code = ee.code
		}
	}
	if code != ExitOK {
		return exitWith(code, nil)
	}
	return nil
}
