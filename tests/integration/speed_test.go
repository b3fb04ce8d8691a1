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

	// Starting 50 services: hero (one request, and 50 requests; ledger included) against a
	// systemd-run loop and against systemd's floor (bare units started in parallel).
	files := map[string]string{}
	var names []string
	for i := 0; i < 50; i++ {
		files[fmt.Sprintf("p%02d.toml", i)] = `exec = ["/bin/sleep", "1000"]`
		names = append(names, fmt.Sprintf("p%02d", i))
	}
	w := newWorld(t, files)
	conn := testbed.Systemd(t)
	var one, many, loop, floor []time.Duration
	for r := 0; r < 3; r++ {
		began := time.Now()
		res, err := w.b.StartMany(w.ctx, names, true)
		one = append(one, time.Since(began))
		if err != nil || len(res.Started) != 50 {
			t.Fatalf("StartMany: %v, started %d", err, len(res.Started))
		}
		for _, n := range names {
			w.stop(n, false)
		}
		began = time.Now()
		for _, n := range names {
			w.start(n)
		}
		many = append(many, time.Since(began))
		for _, n := range names {
			w.stop(n, false)
		}
		var units []string
		began = time.Now()
		for i := 0; i < 50; i++ {
			unit := fmt.Sprintf("native-speed-%d-%02d", r, i)
			if out, err := exec.Command("systemd-run", "--quiet", "--unit", unit, "/bin/sleep", "1000").CombinedOutput(); err != nil {
				t.Fatalf("systemd-run: %v %s", err, out)
			}
			units = append(units, unit+".service")
		}
		loop = append(loop, time.Since(began))
		exec.Command("systemctl", append([]string{"stop"}, units...)...).Run()
		units = units[:0]
		began = time.Now()
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			unit := fmt.Sprintf("bare-speed-%d-%02d.service", r, i)
			units = append(units, unit)
			wg.Add(1)
			go func(unit string) {
				defer wg.Done()
				ch := make(chan string, 1)
				props := []sddbus.Property{sddbus.PropExecStart([]string{"/bin/sleep", "1000"}, false)}
				if _, err := conn.StartTransientUnitContext(context.Background(), unit, "replace", props, ch); err == nil {
					<-ch
				}
			}(unit)
		}
		wg.Wait()
		floor = append(floor, time.Since(began))
		exec.Command("systemctl", append([]string{"stop"}, units...)...).Run()
	}
	n := median(loop)
	for _, row := range []struct {
		what string
		d    time.Duration
	}{{"hero, one request", median(one)}, {"hero, 50 requests", median(many)}, {"bare units in parallel (systemd's floor)", median(floor)}} {
		t.Logf("start 50 services: systemd-run loop %8s  %-42s %8s  ratio %.2fx (median of 3)",
			n.Round(time.Millisecond), row.what, row.d.Round(time.Millisecond), float64(row.d)/float64(n))
	}
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
