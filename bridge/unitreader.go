package bridge

import (
	"context"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
)

// unitReader is what the recorder reads of systemd (recording.UnitReader), through the client.
type unitReader struct{ sd *systemd.Client }

// Snapshot reads a unit's current run from its properties: what the recorder otherwise learns
// from signals.
func (r unitReader) Snapshot(ctx context.Context, unit string) (recording.Snapshot, error) {
	var s recording.Snapshot
	props, err := r.sd.UnitProperties(ctx, unit)
	if err != nil {
		return s, err
	}
	s.SetLoaded(props["LoadState"] == "loaded")
	s.SetUnit(props)
	if !s.Loaded() {
		return s, nil
	}
	sp, err := r.sd.ServiceProperties(ctx, unit)
	if err != nil {
		return s, err
	}
	s.SetService(sp)
	return s, nil
}

func (r unitReader) States(ctx context.Context, units []string) (map[string]systemd.UnitStatus, error) {
	return r.sd.States(ctx, units)
}

func (r unitReader) HeroUnits(ctx context.Context) ([]systemd.UnitStatus, error) {
	return r.sd.HeroUnits(ctx)
}
