//go:build integration

package integration

import (
	"context"
	"sync"

	"fmt"
	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// TestSpeedAgainstNative measures, in one run and on the same units, hero's cascade stop against
// systemd's own (`systemctl stop` of the root of units with Requires=/After=), and hero's start of
// 50 services against a `systemd-run` loop. It asserts correctness and reports the figures; the
// README's table comes from its log.
func TestSpeedAgainstNative(t *testing.T) {
	const rounds = 5
	shapes := []struct {
		name  string
		files map[string]string
		root  string
		size  int
	}{
		{"chain of 50", chain(50), "s00", 50},
		{"fan-out of 100 + diamond", fanoutDiamond(100), "root", 104},
	}
	for _, sh := range shapes {
		w := newWorld(t, sh.files)
		set := w.b.Config()
		top := set.Services
		rootUnit := unitgen.UnitName(set.Service(sh.root).Context, sh.root)
		startAll := func() {
			for _, s := range top {
				w.start(s.Name)
			}
		}
		var native, hero []time.Duration
		for r := 0; r < rounds; r++ {
			startAll()
			began := time.Now()
			if out, err := exec.Command("systemctl", "stop", rootUnit).CombinedOutput(); err != nil {
				t.Fatalf("systemctl stop: %v %s", err, out)
			}
			native = append(native, time.Since(began))
			for _, s := range top {
				if w.status(s.Name).Up() {
					t.Fatalf("%s: native stop left %s running", sh.name, s.Name)
				}
			}
			startAll()
			began = time.Now()
			sr := w.stop(sh.root, false)
			hero = append(hero, time.Since(began))
			if len(sr.StoppedDependents) != sh.size-1 || sr.Cancelled != sh.size {
				t.Fatalf("%s: hero stop %d dependents, %d cancelled; want %d", sh.name, len(sr.StoppedDependents), sr.Cancelled, sh.size-1)
			}
		}
		n, h := median(native), median(hero)
		t.Logf("cascade stop, %-26s native systemctl %8s  hero %8s  ratio %.2fx (median of %d)",
			sh.name+":", n.Round(time.Microsecond), h.Round(time.Microsecond), float64(h)/float64(n), rounds)
	}

	// Starting 50 services: hero (sequential starts, ledger included) vs a systemd-run loop.
	files := map[string]string{}
	for i := 0; i < 50; i++ {
		files[fmt.Sprintf("p%02d.toml", i)] = `exec = ["/bin/sleep", "1000"]`
	}
	w := newWorld(t, files)
	var names []string
	for i := 0; i < 50; i++ {
		names = append(names, fmt.Sprintf("p%02d", i))
	}
	began := time.Now()
	for _, n := range names {
		w.start(n)
	}
	sequential := time.Since(began)
	for _, n := range names {
		w.stop(n, false)
	}
	began = time.Now()
	r, err := w.b.StartMany(w.ctx, names, true)
	hero := time.Since(began)
	if err != nil || len(r.Started) != 50 {
		t.Fatalf("StartMany: %v, started %d", err, len(r.Started))
	}
	began = time.Now()
	for i := 0; i < 50; i++ {
		unit := fmt.Sprintf("native-speed-%02d", i)
		if out, err := exec.Command("systemd-run", "--quiet", "--unit", unit, "/bin/sleep", "1000").CombinedOutput(); err != nil {
			t.Fatalf("systemd-run: %v %s", err, out)
		}
	}
	native := time.Since(began)
	var units []string
	for i := 0; i < 50; i++ {
		units = append(units, fmt.Sprintf("native-speed-%02d.service", i))
	}
	exec.Command("systemctl", append([]string{"stop"}, units...)...).Run()
	// The floor: 50 bare transient units (ExecStart= only) started in parallel straight through
	// go-systemd, with no ledger, files or hero properties.
	conn := testbed.Systemd(t)
	began = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ch := make(chan string, 1)
			props := []sddbus.Property{sddbus.PropExecStart([]string{"/bin/sleep", "1000"}, false)}
			if _, err := conn.StartTransientUnitContext(context.Background(), fmt.Sprintf("bare-speed-%02d.service", i), "replace", props, ch); err == nil {
				<-ch
			}
		}(i)
	}
	wg.Wait()
	floor := time.Since(began)
	units = units[:0]
	for i := 0; i < 50; i++ {
		units = append(units, fmt.Sprintf("bare-speed-%02d.service", i))
	}
	exec.Command("systemctl", append([]string{"stop"}, units...)...).Run()
	t.Logf("start 50 services:          bare go-systemd units, parallel (systemd's floor) %8s  ratio %.2fx", floor.Round(time.Millisecond), float64(floor)/float64(native))
	t.Logf("start 50 services:          systemd-run loop %8s  hero, one request %8s  ratio %.2fx",
		native.Round(time.Millisecond), hero.Round(time.Millisecond), float64(hero)/float64(native))
	t.Logf("start 50 services:          systemd-run loop %8s  hero, 50 requests %8s  ratio %.2fx",
		native.Round(time.Millisecond), sequential.Round(time.Millisecond), float64(sequential)/float64(native))
}

func chain(n int) map[string]string {
	files := map[string]string{}
	for i := 0; i < n; i++ {
		var req []string
		if i > 0 {
			req = []string{fmt.Sprintf("s%02d", i-1)}
		}
		files[fmt.Sprintf("s%02d.toml", i)] = plainSvc(req)
	}
	return files
}

func fanoutDiamond(n int) map[string]string {
	files := map[string]string{"root.toml": plainSvc(nil)}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("f%03d.toml", i)] = plainSvc([]string{"root"})
	}
	files["dl.toml"] = plainSvc([]string{"root"})
	files["dr.toml"] = plainSvc([]string{"root"})
	files["dtop.toml"] = plainSvc([]string{"dl", "dr"})
	return files
}

func plainSvc(requires []string) string {
	return "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = " + tomlList(requires) + "\n"
}
