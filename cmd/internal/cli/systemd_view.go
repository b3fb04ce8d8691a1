package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// When herod cannot be reached (stopped, crashed, waiting for its ledger), the services it
// started keep running under systemd. status, list-units, is-active and is-failed then answer
// from systemd itself: the hero units systemd holds (read over its own bus, which needs no
// privilege), with the services of the config directory that systemd does not hold. What only
// herod knows (jobs, restarts, output, enabled) is left out, and heroctl says so.

// systemdViewTimeout bounds the reading of systemd's view.
const systemdViewTimeout = 5 * time.Second

// systemdView is a service as systemd alone shows it.
type systemdView struct {
	statuses map[string]client.Status // by service name
	order    []string                 // service names, sorted
}

// readSystemdView reads the hero units systemd holds, on the bus herod would be reached on,
// and adds the config directory's services systemd does not hold (when it can be read).
func readSystemdView(ctx context.Context, g *globals) (*systemdView, error) {
	conn, err := systemdConn(ctx, g)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, systemdViewTimeout)
	defer cancel()
	units, err := conn.ListUnitsByPatternsContext(cctx, nil, []string{unitgen.UnitPattern})
	if err != nil {
		return nil, fmt.Errorf("asking systemd for hero's units: %w", err)
	}
	v := &systemdView{statuses: map[string]client.Status{}}
	for _, u := range units {
		ctxName, name, ok := unitgen.ParseUnitName(u.Name)
		if !ok {
			continue
		}
		st := client.Status{Service: name, Context: ctxName, Unit: u.Name, Description: u.Description,
			LoadState: u.LoadState, ActiveState: u.ActiveState, SubState: u.SubState}
		st.State = stateFromSystemd(u.ActiveState, u.SubState)
		if p, err := conn.GetServicePropertyContext(cctx, u.Name, "MainPID"); err == nil {
			st.MainPID, _ = p.Value.Value().(uint32)
		}
		v.statuses[name] = st
	}
	if set, _, err := loadConfig(g); err == nil {
		for _, s := range set.Services {
			if _, held := v.statuses[s.Name]; held {
				continue
			}
			st := client.Status{Service: s.Name, Context: s.Context, Unit: unitgen.UnitName(s.Context, s.Name),
				Description: "hero service " + s.Name, LoadState: "not-found", ActiveState: "inactive", SubState: "dead", State: "inactive"}
			if set.BadConfig(s.Name) {
				st.State = "bad-config"
			}
			v.statuses[s.Name] = st
		}
	}
	for name := range v.statuses {
		v.order = append(v.order, name)
	}
	sort.Strings(v.order)
	return v, nil
}

// systemdConn connects to systemd (go-systemd, as herod does) on the bus herod is reached on
// (--bus-address or HERO_BUS_ADDRESS), the user's with --user, else the system bus.
func systemdConn(ctx context.Context, g *globals) (*sddbus.Conn, error) {
	address := g.busAddress
	if address == "" {
		address = os.Getenv("HERO_BUS_ADDRESS")
	}
	conn, err := sddbus.NewConnection(func() (*dbus.Conn, error) {
		switch {
		case address != "":
			return dbus.Connect(address, dbus.WithContext(ctx))
		case g.user:
			return dbus.ConnectSessionBus(dbus.WithContext(ctx))
		}
		return dbus.ConnectSystemBus(dbus.WithContext(ctx))
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to systemd's bus: %w", err)
	}
	return conn, nil
}

// stateFromSystemd is hero's state of a unit as far as systemd's states tell it: herod's own
// rule without the last job, which only herod knows.
func stateFromSystemd(active, sub string) string { return state.Of(active, sub, state.RunUnknown) }

// withSystemdView runs fn with herod; when herod cannot be reached (and no -H was given: the
// view is of this host), it says so and runs offline with systemd's view instead.
func withSystemdView(cmd *cobra.Command, g *globals, fn func(context.Context, *client.Client) error,
	offline func(*systemdView) error) error {
	c, err := reach(cmd, g)
	if err == nil {
		defer c.Close()
		err = fn(cmd.Context(), c)
	}
	if err == nil || g.host != "" || !notReachable(err) {
		return adviseFor(g, err)
	}
	v, verr := readSystemdView(cmd.Context(), g)
	if verr != nil {
		return adviseFor(g, err)
	}
	if !g.quiet {
		fmt.Fprintf(Stderr, "heroctl: herod is not reachable (%v).\n"+
			"Showing systemd's view of hero's units: no jobs, restarts or output ('journalctl -u UNIT' has the output).\n%s\n",
			err, g.startAdvice())
	}
	return offline(v)
}
