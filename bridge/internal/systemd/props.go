package systemd

import (
	"context"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// UnitProperties reads the org.freedesktop.systemd1.Unit properties of unit (a unit systemd has
// not loaded reads as LoadState "not-found").
func (c *Client) UnitProperties(ctx context.Context, unit string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	props, err := c.mgr.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return nil, fmt.Errorf("properties of %s: %w", unit, err)
	}
	return props, nil
}

// ServiceProperties reads the org.freedesktop.systemd1.Service properties of a loaded unit.
func (c *Client) ServiceProperties(ctx context.Context, unit string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	props, err := c.mgr.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		return nil, fmt.Errorf("service properties of %s: %w", unit, err)
	}
	return props, nil
}

// serviceProperty reads one Service property of a loaded unit (nil when it cannot be read).
func (c *Client) serviceProperty(ctx context.Context, unit, name string) any {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	p, err := c.mgr.GetUnitTypePropertyContext(ctx, unit, "Service", name)
	if err != nil {
		return nil
	}
	return p.Value.Value()
}

// MainPID reads a service's main process: MainPID, or while it has none (its main process
// exited, RemainAfterExit=), ExecMainPID, the last one; 0 when neither can be read. Two
// properties, where the service's GetAll is some 200 of them.
func (c *Client) MainPID(ctx context.Context, unit string) uint32 {
	if pid, _ := c.serviceProperty(ctx, unit, "MainPID").(uint32); pid != 0 {
		return pid
	}
	pid, _ := c.serviceProperty(ctx, unit, "ExecMainPID").(uint32)
	return pid
}

// LoadedDefinition reads the definition digest of a loaded unit: its HERO_DEFINITION
// environment variable ("" if it has none, or cannot be read).
func (c *Client) LoadedDefinition(ctx context.Context, unit string) string {
	env, _ := c.serviceProperty(ctx, unit, "Environment").([]string)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, unitgen.DefinitionVar+"="); ok {
			return v
		}
	}
	return ""
}

// StatusText reads a loaded unit's StatusText: what its notifications (STATUS=) said last (""
// when unknown).
func (c *Client) StatusText(ctx context.Context, unit string) string {
	text, _ := c.serviceProperty(ctx, unit, "StatusText").(string)
	return text
}

// holderProps are a unit's properties that name the units referring to it: systemd keeps a unit
// loaded while any of them is loaded (systemd 252 has no ReferencedBy property). Before= of a
// hero unit is only ever the reverse of another unit's After=: hero sets no Before=.
var holderProps = []string{"RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "ConsistsOf", "UpheldBy", "Before"}

// Holders lists the hero units that refer to unit (none when it cannot be read).
func (c *Client) Holders(ctx context.Context, unit string) []string {
	props, err := c.UnitProperties(ctx, unit)
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
