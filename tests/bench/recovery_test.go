package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestOutageOf(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(ms int, body string) probe { return probe{at: at(ms), ok: true, body: body} }
	bad := func(ms int) probe { return probe{at: at(ms)} }
	cases := []struct {
		name                        string
		samples                     []probe
		want                        string
		window                      time.Duration
		served, servedWant, noFails bool
	}{
		{"an outage", []probe{ok(0, "a v1"), bad(50), bad(100), ok(150, "a v1")}, "", 100 * time.Millisecond, true, true, false},
		{"served before the event took effect, then an outage", []probe{ok(0, "a"), ok(50, "a"), bad(100), ok(300, "a")}, "", 200 * time.Millisecond, true, true, false},
		{"no failure: window 0, the new value served", []probe{ok(0, "a v1"), ok(50, "a v2")}, "v2", 0, false, true, true},
		{"served again with the old value first", []probe{bad(0), ok(50, "a v1"), ok(100, "a v2")}, "v2", 50 * time.Millisecond, true, true, false},
		{"never served again", []probe{ok(0, "a"), bad(50), bad(100)}, "", 0, false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := outageOf(c.samples, c.want)
			if got := !o.served.IsZero(); got != c.served {
				t.Errorf("served again: %v, want %v", got, c.served)
			}
			if got := !o.servedWant.IsZero(); got != c.servedWant {
				t.Errorf("served with %q: %v, want %v", c.want, got, c.servedWant)
			}
			if c.served && o.window() != c.window {
				t.Errorf("window %v, want %v", o.window(), c.window)
			}
			if c.noFails && (o.window() != 0 || o.failed != 0) {
				t.Errorf("window %v with %d failures, want none", o.window(), o.failed)
			}
		})
	}
}

func TestNativeText(t *testing.T) {
	hero := `# hero-default-sapp.service
[Unit]
Description=the app
SourcePath=/var/lib/hero-bench/services/sapp.toml
Requires=hero-default-spg.service hero-default-sredis.service
BindsTo=hero-default-spg.service hero-default-sredis.service
After=hero-default-spg.service hero-default-sredis.service

[Service]
Slice=hero-default.slice
EnvironmentFile=/run/hero-systemd/env/hero-default-sapp.service-6139ed044d342158.env
ExecStart=/usr/bin/python3 /srv/app.py

[X-Hero]
Service=sapp
`
	want := `# nat-sapp.service
[Unit]
Description=the app
Requires=nat-spg.service nat-sredis.service
After=nat-spg.service nat-sredis.service

[Service]
Slice=hero-default.slice
EnvironmentFile=` + nativeEnvFile + `
ExecStart=/usr/bin/python3 /srv/app.py

`
	if got := nativeText(hero); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestMarksAndSpans(t *testing.T) {
	t0 := time.Unix(2000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	unit := stackHeroUnit
	recs := []journalRecord{
		{at: at(-5), unit: unit("spg"), msgID: msgStarted}, // before the round: not a mark
		{at: at(5), unit: unit("spg"), msgID: msgProcessExit},
		{at: at(3100), unit: unit("spg"), msgID: msgRestartSchedule},
		{at: at(3200), unit: unit("spg"), msgID: msgStarted},
		{at: at(3210), sysUnit: herodUnit, text: `level=INFO msg="their requirements run again: starting what their going down stopped"`},
		{at: at(3240), unit: unit("sapp"), msgID: msgStarting},
		{at: at(3260), unit: unit("sapp"), msgID: msgStarted},
		{at: at(3262), unit: unit("sweb"), msgID: msgStarting},
		{at: at(3600), unit: unit("sweb"), msgID: msgStarted},
	}
	found := marks(recs, recoveryMarks, unit, t0)
	found["served"] = at(3400)
	got := spanTimes(found, recoverySpans)
	want := map[string]int{
		"after the kill: kill -9 -> systemd schedules PostgreSQL's restart (RestartSec=3s)": 3100,
		"after the kill: restart scheduled -> PostgreSQL ready (READY=1)":                   100,
		"after the kill: PostgreSQL ready -> the app's start begins":                        40,
		"after the kill: PostgreSQL ready -> herod's revival begins (its log)":              10,
		"after the kill: herod's revival begins -> the app's start begins":                  30,
		"after the kill: the app's start begins -> the app started":                         20,
		"after the kill: the app started -> nginx's start begins":                           2,
		"after the kill: nginx's start begins -> served (the client's next request)":        138,
		"after the kill: nginx's start begins -> its health check passed (not in the sum)":  338,
	}
	if len(got) != len(want) {
		t.Errorf("%d spans, want %d: %v", len(got), len(want), got)
	}
	for label, ms := range want {
		if got[label] != time.Duration(ms)*time.Millisecond {
			t.Errorf("%s: %v, want %d ms", label, got[label], ms)
		}
	}
	// Native units: no herod line; its spans are left out, the others stay.
	native := marks(recs[:4], recoveryMarks, unit, t0)
	if _, ok := native["revival"]; ok {
		t.Error("a revival mark without herod's line")
	}
}

func TestPathEscapeAndProfileName(t *testing.T) {
	if got := pathEscape("hero-default-z0250.service"); got != "hero_2ddefault_2dz0250_2eservice" {
		t.Errorf("pathEscape: %q", got)
	}
	if got := profileName(2000, "D-Bus call alone: herod's ListUnits"); got != "reads-2000-D-Bus-call-alone-herod-s-ListUnits" {
		t.Errorf("profileName: %q", got)
	}
}

func TestRowsReadBackWithAndWithoutLoad(t *testing.T) {
	r := Row{Section: "scale", What: "N=50: x", Unit: "ms", Hero: summarize([]float64{1, 2, 3}), Ratio: math.NaN(), Load: 1.25}
	line := strings.Join(r.record(), ",")
	header := strings.Join(csvHeader, ",")
	rows, err := parseRows(strings.NewReader(header + "\n" + line + "\n"))
	if err != nil || len(rows) != 1 || rows[0].Load != 1.25 {
		t.Fatalf("with load: %v %+v", err, rows)
	}
	old := strings.Join(r.record()[:len(csvHeader)-1], ",")
	rows, err = parseRows(strings.NewReader(strings.Join(csvHeader[:len(csvHeader)-1], ",") + "\n" + old + "\n"))
	if err != nil || len(rows) != 1 || !math.IsNaN(rows[0].Load) {
		t.Fatalf("without load: %v %+v", err, rows)
	}
}

func TestGoalsTable(t *testing.T) {
	rows := []Row{
		{Section: "recovery", What: "kill -9 of PostgreSQL: the top of the stack serving again", Unit: "ms", Hero: summarize([]float64{3500}),
			Baseline: "native units", Base: summarize([]float64{3400}), Ratio: 3500.0 / 3400, Goal: Goal{Of: "ratio", Max: 1.10}, Load: 0.5},
		{Section: "scale", What: "N=5000: GetManagedObjects", Unit: "ms", Hero: summarize([]float64{1700}), Ratio: math.NaN(), Goal: Goal{Of: "median", Max: 200}, Load: 2},
		{Section: "scale", What: "N=5000: heroctl list-units", Unit: "ms", Hero: summarize([]float64{1}), Ratio: math.NaN()}, // no goal: not listed
	}
	got := goalsTable(rows)
	for _, want := range []string{
		"| 33 | a stack serving again after a requirement's crash (kill -9 -> the top of the stack serving) <= 1.10x the same stack as native units | recovery: kill -9 of PostgreSQL: the top of the stack serving again | 3500 ms against native units 3400 ms | 1.03x | <= 1.10x: met | 0.50 |",
		"| 33 | GetManagedObjects <= 200 ms at 5,000 | scale: N=5000: GetManagedObjects | 1700 ms | - | median <= 200 ms: missed | 2.00 |",
		"| 33 | herod's peak RSS <= 100 MB at 5,000, reads included | - | not measured in this run | - | - | - |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing line %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "N=5000: heroctl list-units |") {
		t.Errorf("a row without a goal is listed:\n%s", got)
	}
}
