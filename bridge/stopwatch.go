package bridge

import (
	"log/slog"
	"time"
)

// stopwatch logs, at debug level, how long the steps of an operation took: where the time of a
// slow operation goes, with herod --log-level debug.
type stopwatch struct {
	log   *slog.Logger
	what  string
	began time.Time
	last  time.Time
}

func newStopwatch(log *slog.Logger, what string) *stopwatch {
	now := time.Now()
	return &stopwatch{log: log, what: what, began: now, last: now}
}

func (s *stopwatch) lap(step string) {
	now := time.Now()
	s.log.Debug(s.what+": "+step, "took", now.Sub(s.last).Round(time.Microsecond))
	s.last = now
}

func (s *stopwatch) done() {
	s.log.Debug(s.what+": done", "took", time.Since(s.began).Round(time.Microsecond))
}
