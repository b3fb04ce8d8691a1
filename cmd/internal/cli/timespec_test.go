package cli

import (
	"errors"
	"testing"
	"time"
)

// The examples of systemd.time(7), "PARSING TIMESTAMPS", where "now" is
// Fri 2012-11-23 18:15:22 CET (UTC+1), and journalctl's own forms.
func TestParseTimeAsSystemdTimeDocuments(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	now := time.Date(2012, 11, 23, 18, 15, 22, 0, cet)
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time { return time.Date(y, mo, d, h, mi, s, 0, cet) }
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Fri 2012-11-23 11:12:13", at(2012, 11, 23, 11, 12, 13)},
		{"2012-11-23 11:12:13", at(2012, 11, 23, 11, 12, 13)},
		{"2012-11-23 11:12:13 UTC", at(2012, 11, 23, 12, 12, 13)},
		{"2012-11-23T11:12:13Z", at(2012, 11, 23, 12, 12, 13)},
		{"2012-11-23T11:12+02:00", at(2012, 11, 23, 10, 12, 0)},
		{"2012-11-23", at(2012, 11, 23, 0, 0, 0)},
		{"12-11-23", at(2012, 11, 23, 0, 0, 0)},
		{"11:12:13", at(2012, 11, 23, 11, 12, 13)},
		{"11:12", at(2012, 11, 23, 11, 12, 0)},
		{"now", now},
		{"today", at(2012, 11, 23, 0, 0, 0)},
		{"today UTC", at(2012, 11, 23, 1, 0, 0)},
		{"yesterday", at(2012, 11, 22, 0, 0, 0)},
		{"tomorrow", at(2012, 11, 24, 0, 0, 0)},
		{"+3h30min", at(2012, 11, 23, 21, 45, 22)},
		{"-5s", at(2012, 11, 23, 18, 15, 17)},
		{"11min ago", at(2012, 11, 23, 18, 4, 22)},
		{"@1395716396", at(2014, 3, 25, 3, 59, 56)},
		// journalctl users' words.
		{"1 min ago", at(2012, 11, 23, 18, 14, 22)},
		{"-5m", at(2012, 11, 23, 18, 10, 22)},
		{"2 hours ago", at(2012, 11, 23, 16, 15, 22)},
		{"1h 30min ago", at(2012, 11, 23, 16, 45, 22)},
		{"2h left", at(2012, 11, 23, 20, 15, 22)},
		{"-1d", at(2012, 11, 22, 18, 15, 22)},
		{"2012-11-23 11:12", at(2012, 11, 23, 11, 12, 0)},
		{"2012-11-23 11:12:13.5", at(2012, 11, 23, 11, 12, 13).Add(500 * time.Millisecond)},
		{"Friday 2012-11-23", at(2012, 11, 23, 0, 0, 0)},
		{"  today  ", at(2012, 11, 23, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTime(tt.in, now)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseTimeRefuses(t *testing.T) {
	now := time.Date(2012, 11, 23, 18, 15, 22, 0, time.UTC)
	for _, in := range []string{"", "soon", "-5 parsecs", "Sat 2012-11-23", "2012-13-01", "25:00", "@x", "1 min",
		"ago", "2012-11-23 Mars/Olympus", "--5m"} {
		t.Run(in, func(t *testing.T) {
			got, err := parseTime(in, now)
			if err == nil {
				t.Errorf("parseTime(%q) = %v; want an error", in, got)
			}
		})
	}
	if _, err := parseTime("soon", now); !errors.Is(err, errTimeSpec) {
		t.Errorf("error %v does not wrap errTimeSpec", err)
	}
}

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2 h", 2 * time.Hour}, {"2hours", 2 * time.Hour}, {"48hr", 48 * time.Hour},
		{"1y 12month", 31557600*time.Second + 12*2629800*time.Second},
		{"55s500ms", 55500 * time.Millisecond}, {"300ms20s 5day", 20300*time.Millisecond + 120*time.Hour},
		{"5", 5 * time.Second}, {"1M", 2629800 * time.Second}, {"1.5h", 90 * time.Minute},
	}
	for _, tt := range tests {
		got, err := parseSpan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSpan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
