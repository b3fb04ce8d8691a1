package daemon

import (
	"context"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// A service's wanted state at herod's start: `heroctl enable` / `disable` set it in herod's own
// state (the user's files are never edited); without that, the config's `status` decides.
const (
	wantedPrefix  = "wanted/"
	enabledState  = "enabled"  // herod starts it when it starts
	disabledState = "disabled" // herod leaves it alone when it starts
	byHeroctl     = "heroctl"
	byConfig      = "config"
)

// enablement is whether herod starts a service when it starts, and who said so.
type enablement struct {
	State string // enabledState or disabledState
	By    string // byHeroctl or byConfig
}

// enablements returns every service's enablement, as the ledger keeps what heroctl said.
func enablements(ctx context.Context, ledger *jobdb.DB, set *config.Set) (map[string]enablement, error) {
	explicit, err := ledger.States(ctx, wantedPrefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]enablement, len(set.Services))
	for _, s := range set.Services {
		out[s.Name] = enablementFrom(s, explicit[wantedPrefix+s.Name])
	}
	return out, nil
}

// enablementOf returns one service's enablement.
func enablementOf(ctx context.Context, ledger *jobdb.DB, s *config.Service) (enablement, error) {
	explicit, err := ledger.State(ctx, wantedPrefix+s.Name)
	if err != nil {
		return enablement{}, err
	}
	return enablementFrom(s, explicit), nil
}

// enablementFrom is what heroctl enable/disable said of s (explicit, "" if nothing), or else
// what its config's status key says.
func enablementFrom(s *config.Service, explicit string) enablement {
	if explicit != "" {
		return enablement{explicit, byHeroctl}
	}
	if s.Status == config.WantStart {
		return enablement{enabledState, byConfig}
	}
	return enablement{disabledState, byConfig}
}

// setEnabled records what heroctl enable/disable said of names.
func setEnabled(ctx context.Context, ledger *jobdb.DB, names []string, state string) error {
	for _, n := range names {
		if err := ledger.SetState(ctx, wantedPrefix+n, state); err != nil {
			return err
		}
	}
	return nil
}

// wantedAtStart decides what herod does with a service when it starts: start the enabled ones;
// stop running ones whose config says status = "stop" (unless heroctl enabled or disabled them);
// leave the rest alone.
func wantedAtStart(s *config.Service, e enablement) config.WantedState {
	switch {
	case e.State == enabledState:
		return config.WantStart
	case e.By == byConfig && s.Status == config.WantStop:
		return config.WantStop
	}
	return config.WantIgnore
}
