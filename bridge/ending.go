package bridge

import (
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
)

// Results hero records besides systemd's own: see package recording.
const (
	resultBootEnded  = recording.ResultBootEnded
	resultNotStarted = recording.ResultNotStarted
	resultUnknown    = recording.ResultUnknown
)

// runEnd is what is known of how one run ended; recording.Decide makes its record.
type runEnd = recording.Facts

// usecTime turns systemd's µs timestamps into a time (zero for 0).
func usecTime(usec uint64) time.Time {
	if usec == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(usec)).UTC()
}
