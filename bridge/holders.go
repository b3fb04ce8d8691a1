package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// holderProps are a unit's properties that name the units referring to it: systemd keeps a unit
// loaded while any of them is loaded (systemd 252 has no ReferencedBy property). Before= of a
// hero unit is only ever the reverse of another unit's After=: hero sets no Before=.
var holderProps = []string{"RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "ConsistsOf", "UpheldBy", "Before"}

// releaseHolders lets go of an old unit systemd keeps loaded for the hero units that refer to
// it, directly or through others: every such holder that is not running is reset (a failed
// unit stays loaded until reset-failed, and keeps what it refers to loaded), so systemd can
// unload the chain. It returns the services of the holders that run: only stopping them frees
// the unit.
func (b *Bridge) releaseHolders(ctx context.Context, unit string) (services, units []string) {
	seen := map[string]bool{unit: true}
	queue := []string{unit}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, h := range b.holdersOf(ctx, u) {
			if seen[h] {
				continue
			}
			seen[h] = true
			st, err := b.states(ctx, []string{h})
			if err != nil {
				continue
			}
			if hasProcesses(st[h].ActiveState) {
				if _, name, ok := unitgen.ParseUnitName(h); ok {
					services, units = append(services, name), append(units, h)
				}
				continue
			}
			b.log.Info("resetting a stopped unit that holds an older definition loaded", "holder", h, "unit", unit)
			b.resetFailed(ctx, h)
			queue = append(queue, h)
		}
	}
	return services, units
}

// holdersOf lists the hero units that refer to unit.
func (b *Bridge) holdersOf(ctx context.Context, unit string) []string {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	props, err := b.conn.GetUnitPropertiesContext(cctx, unit)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range holderProps {
		names, _ := props[p].([]string)
		for _, n := range names {
			if _, _, ok := unitgen.ParseUnitName(n); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// StaleError says a service's unit could not be started with its current definition: systemd
// keeps the unit of an earlier definition loaded while a loaded unit refers to it, and hero
// never runs an old definition silently. Start and Restart stop running holders (HeldBy) with
// their cascades and start them again; this error is left only when that did not free it.
type StaleError struct {
	Service, Unit string
	HeldBy        []string // the running services whose units refer to the old unit
	heldUnits     []string // their units
}

func (e *StaleError) Error() string {
	if len(e.HeldBy) > 0 {
		return fmt.Sprintf("%s's config changed since systemd loaded %s, and running services refer to that older unit (%s): "+
			"'heroctl restart %s' stops them with what requires them and starts them again",
			e.Service, e.Unit, strings.Join(e.HeldBy, ", "), e.HeldBy[0])
	}
	return fmt.Sprintf("%s's config changed since systemd loaded %s, and systemd keeps that older unit loaded: "+
		"'systemctl status %s' shows what refers to it", e.Service, e.Unit, e.Unit)
}

// heldByRunning returns the running services an operation must restart so that a stale unit can
// be replaced, when err is a StaleError naming some.
func heldByRunning(err error) *StaleError {
	var se *StaleError
	if errors.As(err, &se) && len(se.HeldBy) > 0 {
		return se
	}
	return nil
}

// restartHolders frees stale units held by running services: it stops each holder with its
// cascade, then starts names together with everything it stopped, under the locks of all of
// it. reply carries what the first attempt did.
func (b *Bridge) restartHolders(ctx context.Context, names []string, stale *StaleError, obs Observer, reply StartReply) (StartReply, error) {
	set := b.Config()
	plans := map[string]graphs.StopPlan{}
	members := append([]string(nil), names...)
	holders := stale.HeldBy
	for i, h := range holders {
		if s := set.Service(h); s == nil || unitOf(s) != stale.heldUnits[i] {
			return reply, fmt.Errorf("start %s: %s, which is no longer defined so, runs with a unit that refers to the older unit: 'systemctl stop %s' first",
				strings.Join(names, " "), stale.heldUnits[i], stale.heldUnits[i])
		}
		p, err := stopPlan(set, h)
		if err != nil {
			return reply, err
		}
		plans[h] = p
		members = append(members, p.Order...)
	}
	all, err := set.Graph.StartAll(members)
	if err != nil {
		return reply, err
	}
	release, err := b.locks.acquire(ctx, append(lockSet(set, all.Order), members...))
	if err != nil {
		return reply, fmt.Errorf("start %s: waiting for other operations on these services: %w", strings.Join(names, " "), err)
	}
	defer release()
	again := append([]string(nil), names...)
	for _, h := range holders {
		b.log.Info("restarting a service that holds an older unit", "service", h, "for", names)
		sr, err := b.stop(ctx, set, h, plans[h], false, obs)
		if err != nil {
			return reply, err
		}
		again = append(again, h)
		again = append(again, sr.StoppedDependents...)
	}
	plan, err := set.Graph.StartAll(again)
	if err != nil {
		return reply, err
	}
	r2, err := b.start(ctx, set, again, plan, startMode{replace: true}, obs, newStartReply(reply.Service))
	r2.Started = append(reply.Started, r2.Started...)
	for k, v := range reply.Jobs {
		if _, ok := r2.Jobs[k]; !ok {
			r2.Jobs[k] = v
		}
	}
	return r2, err
}
