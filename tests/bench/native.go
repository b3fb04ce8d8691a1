package main

import (
	"cmp"
	"context"
	"fmt"
	"sync"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// Native runs use plain transient units: /bin/sleep with the same Requires=/After= as the hero
// services they stand for, and nothing else (no hook, no output file).

func nativeUnit(prefix, name string) string { return prefix + "-" + name + ".service" }

func nativeUnits(prefix string, svcs []service) []string {
	out := make([]string, len(svcs))
	for i, s := range svcs {
		out[i] = nativeUnit(prefix, s.name)
	}
	return out
}

func nativeDeps(prefix string, s service) []string {
	deps := make([]string, len(s.requires))
	for i, r := range s.requires {
		deps[i] = nativeUnit(prefix, r)
	}
	return deps
}

func nativeProps(prefix string, s service) []sddbus.Property {
	props := []sddbus.Property{sddbus.PropExecStart([]string{"/bin/sleep", "infinity"}, false)}
	if deps := nativeDeps(prefix, s); len(deps) > 0 {
		props = append(props, sddbus.PropRequires(deps...), sddbus.PropAfter(deps...))
	}
	return props
}

// queueNative asks systemd to create and start one unit and returns the channel its job result
// arrives on (buffered: go-systemd blocks later job calls until a result is read).
func (b *box) queueNative(ctx context.Context, prefix string, s service) (chan string, error) {
	ch := make(chan string, 1)
	if _, err := b.systemd.StartTransientUnitContext(ctx, nativeUnit(prefix, s.name), "replace", nativeProps(prefix, s), ch); err != nil {
		return nil, fmt.Errorf("start %s: %w", nativeUnit(prefix, s.name), err)
	}
	return ch, nil
}

func jobDone(unit string, ch chan string) error {
	if res := <-ch; res != "done" {
		return fmt.Errorf("start %s: job %s", unit, res)
	}
	return nil
}

// startNativeInOrder creates svcs one after the other, each job awaited before the next call:
// the setup of a native cascade.
func (b *box) startNativeInOrder(ctx context.Context, prefix string, svcs []service) error {
	for _, s := range svcs {
		ch, err := b.queueNative(ctx, prefix, s)
		if err != nil {
			return err
		}
		if err := jobDone(nativeUnit(prefix, s.name), ch); err != nil {
			return err
		}
	}
	return nil
}

// startNativeQueued queues every unit's start job in dependency order without waiting, then
// waits for all of them: systemd orders the starts by After=. This is systemd's floor for a
// dependency graph, one process and one bus connection.
func (b *box) startNativeQueued(ctx context.Context, prefix string, svcs []service) error {
	chans := make([]chan string, len(svcs))
	for i, s := range svcs {
		ch, err := b.queueNative(ctx, prefix, s)
		if err != nil {
			return err
		}
		chans[i] = ch
	}
	for i, s := range svcs {
		if err := jobDone(nativeUnit(prefix, s.name), chans[i]); err != nil {
			return err
		}
	}
	return nil
}

// startNativeParallel starts independent units from one goroutine each and waits for every
// job: systemd's floor for starting many units.
func (b *box) startNativeParallel(ctx context.Context, prefix string, svcs []service) error {
	errs := make([]error, len(svcs))
	var wg sync.WaitGroup
	for i, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := b.queueNative(ctx, prefix, s)
			if err == nil {
				err = jobDone(nativeUnit(prefix, s.name), ch)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// systemdRunLoop starts svcs the way a shell script would: one systemd-run per unit, in
// dependency order, each waiting for its start job.
func systemdRunLoop(ctx context.Context, prefix string, svcs []service) error {
	for _, s := range svcs {
		args := []string{"--quiet", "--unit", nativeUnit(prefix, s.name)}
		for _, d := range nativeDeps(prefix, s) {
			args = append(args, "-p", "Requires="+d, "-p", "After="+d)
		}
		if _, err := must(ctx, "systemd-run", append(args, "/bin/sleep", "infinity")...); err != nil {
			return err
		}
	}
	return nil
}

// stopUnits stops units with one systemctl call (untimed cleanup).
func stopUnits(ctx context.Context, units []string) error {
	_, err := must(ctx, "systemctl", append([]string{"stop"}, units...)...)
	return err
}

// heroUnitProps returns, for each of svcs, the properties herod gives its unit (generated from
// herod's config directory by unitgen, as herod does), with the hero unit names they mention
// replaced by prefix's native names: the same units as hero's, under other names, so that
// systemd's floor can be measured for what hero asks of systemd.
func (b *box) heroUnitProps(prefix string, svcs []service) (map[string][]sddbus.Property, error) {
	set, probs, err := configdir.Load(b.configDir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.configDir, err)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("read %s: %v", b.configDir, probs)
	}
	native := map[string]string{}
	for _, s := range svcs {
		native[s.unit()] = nativeUnit(prefix, s.name)
	}
	out := map[string][]sddbus.Property{}
	for _, s := range svcs {
		svc := set.Service(s.name)
		if svc == nil {
			return nil, fmt.Errorf("service %s is not in %s", s.name, b.configDir)
		}
		u, err := unitgen.Generate(set, svc, unitgen.Options{ConfigDir: b.configDir, ExecHelper: unitgen.DefaultExecHelper})
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", s.name, err)
		}
		if err := bridge.WriteEnvFile(u, unitgen.DefaultEnvDir); err != nil { // as herod does
			return nil, err
		}
		props := make([]sddbus.Property, len(u.Properties))
		for i, p := range u.Properties {
			props[i] = p
			if names, ok := p.Value.Value().([]string); ok {
				renamed := make([]string, len(names))
				for j, n := range names {
					renamed[j] = cmp.Or(native[n], n)
				}
				props[i].Value = dbus.MakeVariant(renamed)
			}
		}
		out[s.name] = props
	}
	return out, nil
}

// startNativeQueuedAs is startNativeQueued with the units' properties given.
func (b *box) startNativeQueuedAs(ctx context.Context, prefix string, svcs []service, props map[string][]sddbus.Property) error {
	chans := make([]chan string, len(svcs))
	for i, s := range svcs {
		chans[i] = make(chan string, 1)
		if _, err := b.systemd.StartTransientUnitContext(ctx, nativeUnit(prefix, s.name), "replace", props[s.name], chans[i]); err != nil {
			return fmt.Errorf("start %s: %w", nativeUnit(prefix, s.name), err)
		}
	}
	for i, s := range svcs {
		if err := jobDone(nativeUnit(prefix, s.name), chans[i]); err != nil {
			return err
		}
	}
	return nil
}
