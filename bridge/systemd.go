package bridge

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// callTimeout bounds each D-Bus query (job waits are bounded by the caller's ctx).
const callTimeout = 15 * time.Second

// systemd's D-Bus error names the bridge acts on.
const (
	errUnitExists = "org.freedesktop.systemd1.UnitExists"
	errNoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit"
)

func dbusErrorName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dep *dbus.Error
	if errors.As(err, &dep) {
		return dep.Name
	}
	return ""
}

// up reports whether a unit in this ActiveState counts as running.
func up(active string) bool {
	return active == "active" || active == "activating" || active == "reloading"
}

// states returns the load/active/sub states of units in one ListUnitsByNames call. Units
// systemd does not know are reported with LoadState "not-found" and ActiveState "inactive".
func (b *Bridge) states(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	list, err := b.conn.ListUnitsByNamesContext(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	out := make(map[string]sddbus.UnitStatus, len(units))
	for _, u := range list {
		out[u.Name] = u
	}
	for _, u := range units {
		if _, ok := out[u]; !ok {
			out[u] = sddbus.UnitStatus{Name: u, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
		}
	}
	return out, nil
}

// runInfo is what systemd says about a service unit's current or last run.
type runInfo struct {
	loaded         bool
	activeState    string
	subState       string
	invocationID   string
	mainPID        int
	execMainCode   int32 // 1 exited, 2 killed, 3 dumped (CLD_* codes)
	execMainStatus int32
	result         string
	restarts       int
}

func (b *Bridge) runInfo(ctx context.Context, unit string) (runInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	up, err := b.conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return runInfo{}, fmt.Errorf("properties of %s: %w", unit, err)
	}
	ri := runInfo{
		loaded:      up["LoadState"] == "loaded",
		activeState: asString(up["ActiveState"]),
		subState:    asString(up["SubState"]),
	}
	if id, ok := up["InvocationID"].([]byte); ok && len(id) > 0 {
		ri.invocationID = hex.EncodeToString(id)
	}
	if !ri.loaded {
		return ri, nil
	}
	sp, err := b.conn.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		return ri, fmt.Errorf("service properties of %s: %w", unit, err)
	}
	if v, ok := sp["MainPID"].(uint32); ok {
		ri.mainPID = int(v)
	}
	ri.execMainCode, _ = sp["ExecMainCode"].(int32)
	ri.execMainStatus, _ = sp["ExecMainStatus"].(int32)
	ri.result = asString(sp["Result"])
	if v, ok := sp["NRestarts"].(uint32); ok {
		ri.restarts = int(v)
	}
	return ri, nil
}

func asString(v any) string { s, _ := v.(string); return s }

// waitJob waits for a job's result on a buffered channel (go-systemd sends it while holding a
// lock every later job call takes, so the channel must never block).
func waitJob(ctx context.Context, ch <-chan string) (string, error) {
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// exitRecord is what the ExecStopPost= hook wrote: "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS".
type exitRecord struct {
	result string // success, exit-code, signal, timeout, core-dump, ...
	code   string // exited, killed, dumped (empty if the process never ran)
	status string // exit status number, or signal name without SIG
}

func readExit(path string) (exitRecord, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return exitRecord{}, false
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return exitRecord{}, false
	}
	r := exitRecord{result: f[0]}
	if len(f) > 1 {
		r.code = f[1]
	}
	if len(f) > 2 {
		r.status = f[2]
	}
	return r, true
}

// readTail returns the last jobdb.MaxOutput bytes of a file.
func readTail(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > jobdb.MaxOutput {
		if _, err := f.Seek(st.Size()-jobdb.MaxOutput, io.SeekStart); err != nil {
			return nil
		}
	}
	data, _ := io.ReadAll(io.LimitReader(f, jobdb.MaxOutput))
	return data
}

// ending describes how a run ended, for its job.
type ending struct {
	phase    jobdb.Phase
	result   string
	exitCode *int
	signal   string
}

// decideEnding combines the exit record (always written, even for units systemd has unloaded)
// with the unit's own properties (when it is still loaded). stopped says hero stopped it.
func decideEnding(rec exitRecord, haveRec bool, ri runInfo, stopped bool) ending {
	e := ending{result: rec.result}
	code, status := rec.code, rec.status
	if !haveRec && ri.loaded {
		e.result = ri.result
		switch ri.execMainCode {
		case 1:
			code, status = "exited", strconv.Itoa(int(ri.execMainStatus))
		case 2, 3:
			code, status = "killed", strconv.Itoa(int(ri.execMainStatus))
		}
	}
	switch code {
	case "exited":
		if n, err := strconv.Atoi(status); err == nil {
			e.exitCode = &n
		}
	case "killed", "dumped":
		if n, err := strconv.Atoi(status); err == nil {
			status = config.SignalName(n)
		}
		if status != "" && !strings.HasPrefix(status, "SIG") {
			status = "SIG" + status
		}
		e.signal = status
	}
	switch {
	case e.result == "":
		e.result = "unknown"
		e.phase = jobdb.PhaseFailed
		if stopped {
			e.phase = jobdb.PhaseCancelled
		}
	case e.result != "success":
		e.phase = jobdb.PhaseFailed
	case stopped || code == "killed":
		// Stopped by hero, or by systemd for hero (a cascade, a dependency's stop).
		e.phase = jobdb.PhaseCancelled
	default:
		e.phase = jobdb.PhaseSucceeded
	}
	return e
}

// finish returns the ledger change that records a run's end.
func (b *Bridge) finish(service string, ri runInfo, stopped bool, now time.Time) func(*jobdb.Job) error {
	output, exit := b.serviceFiles(service)
	rec, haveRec := readExit(exit)
	e := decideEnding(rec, haveRec, ri, stopped)
	tail := readTail(output)
	return func(j *jobdb.Job) error {
		if j.Phase == jobdb.PhaseSucceeded || j.Phase == jobdb.PhaseFailed || j.Phase == jobdb.PhaseCancelled {
			return nil // already recorded
		}
		j.Phase, j.Result, j.ExitCode, j.Signal = e.phase, e.result, e.exitCode, e.signal
		j.EndedAt = &now
		j.Output = tail
		if ri.restarts > j.Restarts {
			j.Restarts = ri.restarts
		}
		return nil
	}
}
