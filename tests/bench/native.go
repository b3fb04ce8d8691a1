package main

import (
	"context"
	"fmt"
	"sync"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
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
