package main

import "testing"

func TestScaleRowsReadBack(t *testing.T) {
	cases := []struct {
		what   string
		n      int
		figure string
	}{
		{scaleWhat(2000, "heroctl start of N independent services (one call)"), 2000, "start"},
		{scaleWhat(50, "heroctl stop of the root N services require"), 50, "cascade stop"},
		{scaleWhat(5000, "heroctl list-units"), 5000, "list-units"},
		{scaleWhat(500, "heroctl status z0250"), 500, "status"},
		{scaleWhat(5000, "GetManagedObjects"), 5000, "GetManagedObjects"},
		{scaleWhat(5000, "herod RSS, N+1 running"), 5000, ""},
		{scaleWhat(500, "journalctl -u UNIT -n 10 -o json (the journal read inside heroctl status)"), 500, "journalctl (inside status)"},
		{scaleWhat(2000, "first read after the start: heroctl list-units"), 2000, "first list-units after the start"},
		{scaleWhat(2000, "first read after the start: heroctl status"), 2000, "first status after the start"},
		{scaleWhat(5000, "D-Bus call alone: herod's ListUnits"), 5000, "ListUnits call"},
		{scaleWhat(5000, "D-Bus call alone: herod's Status"), 5000, "Status call"},
		{scaleWhat(5000, "herod peak RSS"), 5000, ""},
		{"leaf of a chain of 50: heroctl start c49", 0, "start"},
	}
	for _, c := range cases {
		if got := scaleN(c.what); got != c.n {
			t.Errorf("scaleN(%q) = %d, want %d", c.what, got, c.n)
		}
		if c.n == 0 {
			continue
		}
		if got := scaleFigure(c.what); got != c.figure {
			t.Errorf("scaleFigure(%q) = %q, want %q", c.what, got, c.figure)
		}
	}
}
