package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file reads the time words of journalctl's --since and --until, as systemd.time(7)
// defines them ("PARSING TIMESTAMPS"): one parser for every verb that takes a time (logs,
// jobs), so they all accept the same words.

// errTimeSpec is wrapped by every refusal of parseTime, so callers can tell a bad time word.
var errTimeSpec = errors.New(`want a time as journalctl takes it: "YYYY-MM-DD [HH:MM[:SS]]", "HH:MM[:SS]", ` +
	`"now", "today", "yesterday", "tomorrow", "-5m", "+1h", "1 min ago", "2h left" or "@EPOCH"`)

// spanUnits are systemd.time(7)'s time span units; "M" (months) is case-sensitive, the rest
// are matched as written.
var spanUnits = map[string]time.Duration{
	"usec": time.Microsecond, "us": time.Microsecond, "µs": time.Microsecond, "μs": time.Microsecond,
	"msec": time.Millisecond, "ms": time.Millisecond,
	"seconds": time.Second, "second": time.Second, "sec": time.Second, "s": time.Second,
	"minutes": time.Minute, "minute": time.Minute, "min": time.Minute, "m": time.Minute,
	"hours": time.Hour, "hour": time.Hour, "hr": time.Hour, "h": time.Hour,
	"days": 24 * time.Hour, "day": 24 * time.Hour, "d": 24 * time.Hour,
	"weeks": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "w": 7 * 24 * time.Hour,
	"months": 2629800 * time.Second, "month": 2629800 * time.Second, "M": 2629800 * time.Second, // 30.44 days
	"years": 31557600 * time.Second, "year": 31557600 * time.Second, "y": 31557600 * time.Second, // 365.25 days
}

// parseSpan reads a systemd time span ("2h 30min", "55s500ms", "5"): values with units, added
// up; a bare number is seconds.
func parseSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty time span")
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("time span %q: a number must come first", s)
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("time span: bad number %q", s[:i])
		}
		s = strings.TrimLeft(s[i:], " ")
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == ' ') {
			j++
		}
		unit := time.Second
		if j > 0 {
			u, ok := spanUnits[s[:j]]
			if !ok {
				return 0, fmt.Errorf("time span: unknown unit %q", s[:j])
			}
			unit = u
		}
		if num*float64(unit) > math.MaxInt64/2 {
			return 0, fmt.Errorf("time span: too long")
		}
		total += time.Duration(num * float64(unit))
		s = strings.TrimLeft(s[j:], " ")
	}
	return total, nil
}

// parseTime reads a time as journalctl's --since/--until take it (systemd.time(7)), relative to
// now, in now's location unless the word names another ("UTC", "Z", "+02:00", an IANA zone):
//
//	2012-11-23 11:12:13, 2012-11-23T11:12:13Z, 2012-11-23 11:12, 2012-11-23, 12-11-23,
//	Fri 2012-11-23 11:12:13 (a weekday is checked), 11:12:13 and 11:12 (today),
//	now, today, yesterday, tomorrow (midnight), -5s / +3h30min (before / after now),
//	"11min ago", "2h left", @1395716396 (seconds since the epoch).
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time: %w", errTimeSpec)
	}
	if t, ok, err := parseRelative(s, now); ok {
		return t, err
	}
	body, loc, err := splitZone(s, now.Location())
	if err != nil {
		return time.Time{}, err
	}
	day := func(offset int) time.Time {
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d+offset, 0, 0, 0, 0, loc)
	}
	switch body {
	case "now":
		return now, nil
	case "today":
		return day(0), nil
	case "yesterday":
		return day(-1), nil
	case "tomorrow":
		return day(1), nil
	}
	return parseTimestamp(s, body, now, loc)
}

// parseRelative reads "-SPAN", "+SPAN", "SPAN ago", "SPAN left" and "@EPOCH"; ok says s was one
// of these forms.
func parseRelative(s string, now time.Time) (t time.Time, ok bool, err error) {
	sign, span := 0, ""
	switch {
	case strings.HasPrefix(s, "@"):
		secs, err := strconv.ParseFloat(s[1:], 64)
		if err != nil || secs < 0 || secs > 1e11 {
			return time.Time{}, true, fmt.Errorf("%q: @ wants seconds since the epoch: %w", s, errTimeSpec)
		}
		return time.Unix(0, 0).Add(time.Duration(secs * float64(time.Second))).In(now.Location()), true, nil
	case strings.HasPrefix(s, "-") && !strings.Contains(s, ":"):
		sign, span = -1, s[1:]
	case strings.HasPrefix(s, "+") && !strings.Contains(s, ":"):
		sign, span = 1, s[1:]
	case strings.HasSuffix(s, " ago"):
		sign, span = -1, strings.TrimSuffix(s, " ago")
	case strings.HasSuffix(s, " left"):
		sign, span = 1, strings.TrimSuffix(s, " left")
	default:
		return time.Time{}, false, nil
	}
	d, err := parseSpan(span)
	if err != nil {
		return time.Time{}, true, fmt.Errorf("%q: %v: %w", s, err, errTimeSpec)
	}
	return now.Add(time.Duration(sign) * d), true, nil
}

// splitZone takes a time zone off the end of s: " UTC", "Z", "+02:00"/"-0500" or an IANA name
// (" Europe/Berlin"), returning the rest and the zone (def when s names none).
func splitZone(s string, def *time.Location) (string, *time.Location, error) {
	if rest, ok := strings.CutSuffix(s, " UTC"); ok {
		return rest, time.UTC, nil
	}
	if rest, ok := strings.CutSuffix(s, "Z"); ok && rest != "" && rest[len(rest)-1] >= '0' && rest[len(rest)-1] <= '9' {
		return rest, time.UTC, nil
	}
	if i := strings.LastIndexAny(s, "+-"); i > 0 && strings.Contains(s[:i], ":") {
		if off, ok := parseOffset(s[i:]); ok {
			return s[:i], time.FixedZone(s[i:], off), nil
		}
	}
	if i := strings.LastIndex(s, " "); i > 0 && strings.Contains(s[i+1:], "/") {
		loc, err := time.LoadLocation(s[i+1:])
		if err != nil {
			return "", nil, fmt.Errorf("%q: unknown time zone %q: %w", s, s[i+1:], errTimeSpec)
		}
		return s[:i], loc, nil
	}
	return s, def, nil
}

// parseOffset reads "+02:00", "+0200" or "-05" into seconds east of UTC.
func parseOffset(s string) (int, bool) {
	digits := strings.ReplaceAll(s[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	h, m := n, 0
	if len(digits) == 4 {
		h, m = n/100, n%100
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// timestampLayouts are the dated forms (the time of day may be left out: midnight).
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
	"06-01-02 15:04:05.999999999", "06-01-02 15:04", "06-01-02",
}

// parseTimestamp reads body (s without its zone) as a date and time, or a time of today, in loc.
// A weekday in front must be the date's.
func parseTimestamp(s, body string, now time.Time, loc *time.Location) (time.Time, error) {
	weekday := ""
	if w, rest, ok := strings.Cut(body, " "); ok && len(w) >= 3 && w[0] >= 'A' && w[0] <= 'z' && !strings.ContainsAny(w, "0123456789") {
		weekday, body = w, rest
	}
	var t time.Time
	found := false
	for _, layout := range timestampLayouts {
		if v, err := time.ParseInLocation(layout, body, loc); err == nil {
			t, found = v, true
			break
		}
	}
	if !found {
		for _, layout := range []string{"15:04:05.999999999", "15:04"} {
			if v, err := time.ParseInLocation(layout, body, loc); err == nil {
				y, m, d := now.In(loc).Date()
				t, found = time.Date(y, m, d, v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), loc), true
				break
			}
		}
	}
	if !found {
		return time.Time{}, fmt.Errorf("%q: %w", s, errTimeSpec)
	}
	if weekday != "" && !sameWeekday(weekday, t.Weekday()) {
		return time.Time{}, fmt.Errorf("%q: %s is a %s", s, t.Format("2006-01-02"), t.Weekday())
	}
	return t, nil
}

// sameWeekday matches "Fri" or "Friday" (any case) against d.
func sameWeekday(word string, d time.Weekday) bool {
	word = strings.ToLower(word)
	full := strings.ToLower(d.String())
	return word == full || word == full[:3]
}
