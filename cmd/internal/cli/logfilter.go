package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// logFilter keeps the lines journalctl's --since, --until, -p and -g would show.
type logFilter struct {
	since, until     time.Time
	byPrio           bool
	minPrio, maxPrio uint32 // kept: minPrio <= PRIORITY <= maxPrio (0 is the most important)
	grep             *regexp.Regexp
}

// active says whether the filter leaves anything out.
func (f logFilter) active() bool {
	return !f.since.IsZero() || !f.until.IsZero() || f.byPrio || f.grep != nil
}

func (f logFilter) keep(l client.LogLine) bool {
	switch {
	case !f.since.IsZero() && l.Time.Before(f.since):
		return false
	case !f.until.IsZero() && l.Time.After(f.until):
		return false
	case f.byPrio && (l.Priority < f.minPrio || l.Priority > f.maxPrio):
		return false
	case f.grep != nil && !f.grep.MatchString(l.Message):
		return false
	}
	return true
}

// priorityNames are syslog's priorities, by number, as journalctl -p names them.
var priorityNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// parsePriority reads one priority: a name of priorityNames or its number 0-7.
func parsePriority(s string) (uint32, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range priorityNames {
		if s == n {
			return uint32(i), nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return uint32(n), nil
	}
	return 0, fmt.Errorf("--priority: %q is not a priority: want %s or 0-7", s, strings.Join(priorityNames[:], ", "))
}

// parsePriorityRange reads -p as journalctl does: one priority keeps it and every more
// important one (0..P); FROM..TO keeps that range (in either order).
func parsePriorityRange(s string) (lo, hi uint32, err error) {
	from, to, isRange := strings.Cut(s, "..")
	if !isRange {
		hi, err = parsePriority(s)
		return 0, hi, err
	}
	if lo, err = parsePriority(from); err != nil {
		return 0, 0, err
	}
	if hi, err = parsePriority(to); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, nil
}

// compileGrep compiles -g's pattern; as journalctl's --case-sensitive default, a pattern
// without upper-case letters matches case-insensitively.
func compileGrep(pattern string) (*regexp.Regexp, error) {
	if !strings.ContainsFunc(pattern, unicode.IsUpper) {
		pattern = "(?i)" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("--grep: %v", err)
	}
	return re, nil
}

// timeWords are the words --since and --until complete to.
var timeWords = []string{"now", "today", "yesterday", "tomorrow", "-5m", "-1h", "1 min ago", "1 hour ago"}

func completeTimeWords(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return timeWords, cobra.ShellCompDirectiveNoFileComp
}
