//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// endRecord is the part of a job that says how its run ended.
func endRecord(j jobdb.Job) string {
	exit := "-"
	if j.ExitCode != nil {
		exit = strconv.Itoa(*j.ExitCode)
	}
	return fmt.Sprintf("%s/%s/exit %s/signal %q", j.Phase, j.Result, exit, j.Signal)
}

// The same kinds of end give the same job whether herod (here: a bridge) saw them happen, from
// systemd's signals, or recorded them when it came back, from the journal: an exit status, a
// SIGTERM and a SIGKILL from systemctl kill, systemctl stop, and a stop (hero's while it runs,
// systemctl's while it is down).
func TestSameRecordWithHerodUpAndDown(t *testing.T) {
	dir := t.TempDir()
	trigger := filepath.Join(dir, "exit-now")
	sleeper := "exec = [\"/bin/sleep\", \"1000\"]\n"
	w := newWorld(t, map[string]string{
		"exits.toml":   fmt.Sprintf("exec = [\"/bin/sh\", \"-c\", \"while [ ! -e %[1]s ]; do sleep 0.05; done; rm -f %[1]s; exit 3\"]\n", trigger),
		"term.toml":    sleeper,
		"kill.toml":    sleeper,
		"sysstop.toml": sleeper,
		"stop.toml":    sleeper,
	})
	kinds := []string{"exits", "term", "kill", "sysstop", "stop"}
	unit := map[string]string{}
	for _, k := range kinds {
		unit[k] = w.status(k).Unit
	}
	end := func(herodUp bool) {
		os.WriteFile(trigger, nil, 0o644)
		testbed.MustRun(t, "systemctl", "kill", "-s", "TERM", unit["term"])
		testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", unit["kill"])
		testbed.MustRun(t, "systemctl", "stop", unit["sysstop"])
		if herodUp {
			w.stop("stop", false)
		} else {
			testbed.MustRun(t, "systemctl", "stop", unit["stop"])
		}
	}
	ended := func(k string) bool {
		st := testbed.Run(t, "systemctl", "is-active", unit[k]).Stdout
		return !strings.HasPrefix(st, "active") && !strings.HasPrefix(st, "activating") && !strings.HasPrefix(st, "deactivating")
	}
	latest := func(k string) jobdb.Job { return w.jobs(k)[0] }

	w.start(kinds...)
	end(true)
	live := map[string]jobdb.Job{}
	testbed.Eventually(t, 30*time.Second, "every run recorded as ended (herod up)", func() bool {
		for _, k := range kinds {
			live[k] = latest(k)
			if !live[k].Phase.Ended() {
				return false
			}
		}
		return true
	})

	testbed.MustRun(t, "systemctl", "reset-failed", unit["exits"], unit["kill"])
	w.start(kinds...)
	runs := map[string]string{}
	for _, k := range kinds {
		runs[k] = latest(k).InvocationID
	}
	w.b.Close() // herod stops
	end(false)
	testbed.Eventually(t, 30*time.Second, "every unit down", func() bool {
		for _, k := range kinds {
			if !ended(k) {
				return false
			}
		}
		return true
	})
	w.b = newBridge(t, w.ledger, w.b.Config()) // herod starts again: replays the journal
	for _, k := range kinds {
		replayed := latest(k)
		if replayed.InvocationID != runs[k] || !replayed.Phase.Ended() {
			t.Errorf("%s: latest job %s of run %s, want the run %s ended", k, endRecord(replayed), replayed.InvocationID, runs[k])
			continue
		}
		if endRecord(replayed) != endRecord(live[k]) {
			t.Errorf("%s: herod up %s, herod down %s", k, endRecord(live[k]), endRecord(replayed))
		}
	}
	want := map[string]string{
		"exits": `failed/exit-code/exit 3/signal ""`, "term": `succeeded/success/exit -/signal ""`,
		"kill": `failed/signal/exit -/signal "SIGKILL"`, "sysstop": `cancelled/success/exit -/signal ""`, "stop": `cancelled/success/exit -/signal ""`,
	}
	for _, k := range kinds {
		if got := endRecord(live[k]); got != want[k] {
			t.Errorf("%s: %s, want %s", k, got, want[k])
		}
	}
}

// herodWith starts herod on a config directory holding files, and waits until it serves.
func herodWith(t *testing.T, files map[string]string) *herod {
	t.Helper()
	installPolicy(t)
	h := herodIn(t, t.TempDir(), t.TempDir(), files)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(h.log)
			t.Logf("herod log:\n%s", log)
		}
	})
	return h.serving(t)
}

func heroJobs(t *testing.T, service string) []client.Job {
	t.Helper()
	var jobs []client.Job
	r := heroctl(t, "jobs", service, "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &jobs); err != nil {
		t.Fatalf("jobs %s: %v: %s %s", service, err, r.Stdout, r.Stderr)
	}
	return jobs
}

// vmHWM is a process's peak resident memory in KiB (/proc/PID/status).
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// A service writing as fast as it can: its job keeps exactly the last 64 KiB of what it wrote
// (the last line the last number), from the journal right after the end and from the ledger
// after, and herod's memory stays bounded (its peak RSS, VmHWM).
func TestFloodKeepsTheExactTailInBoundedMemory(t *testing.T) {
	// Past journald's default per-unit rate limit (10,000 lines per 30 s, scaled by free disk
	// space: 32,500 in the testbed), which hero's units lift (LogRateLimitBurst=).
	const n = 60000
	// The service stays a moment after its flood: journald applies a unit's own rate limit (the
	// LogRateLimitBurst= hero sets) only while it can read the writer's cgroup, and a writer
	// already gone when a loaded journald gets to its stream is held to the default limit
	// (twice, beside other test runs, the kept lines ended at line 32,500): journald's limit,
	// not hero's.
	h := herodWith(t, map[string]string{"flood.toml": fmt.Sprintf("exec = [\"/bin/sh\", \"-c\", \"seq 1 %d; sleep 5\"]\n", n)})
	var wrote strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&wrote, "%d\n", i)
	}
	began := time.Now()
	wantExit(t, heroctl(t, "start", "flood"), 0, "start flood")
	testbed.Eventually(t, 5*time.Minute, "the flood's run ended", func() bool {
		jobs := heroJobs(t, "flood")
		return len(jobs) > 0 && jobs[0].EndedAt != nil
	})
	t.Logf("the flood of %d lines (%d bytes) took %s", n, wrote.Len(), time.Since(began).Round(time.Millisecond))
	inv := heroJobs(t, "flood")[0].InvocationID
	journalLast := func() string {
		out := testbed.Run(t, "journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID="+inv).Stdout
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return fmt.Sprintf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
	check := func(when string) {
		r := heroctl(t, "logs", "flood", "-o", "json")
		wantExit(t, r, 0, "logs flood")
		total, own := 0, ""
		for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			var f map[string]string
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("%s: logs -o json: %v: %q", when, err, line)
			}
			total += len(f["MESSAGE"]) + 1
			if f["SYSLOG_IDENTIFIER"] == "flood" {
				own += f["MESSAGE"] + "\n"
			}
		}
		if total != jobdb.MaxOutput {
			t.Errorf("%s: the job keeps %d bytes of output, want exactly %d", when, total, jobdb.MaxOutput)
		}
		if !strings.HasSuffix(own, fmt.Sprintf("\n%d\n", n)) || !strings.HasSuffix(wrote.String(), own) || len(own) < jobdb.MaxOutput-4096 {
			t.Errorf("%s: the service's kept lines (%d bytes, ending %q) are not the end of what it wrote", when, len(own), own[max(0, len(own)-20):])
		}
	}
	check("right after the end (from the journal, or the ledger)")
	testbed.Eventually(t, 30*time.Second, fmt.Sprintf("all %d lines of the run in the journal (none rate-limited away)", n), func() bool {
		out := testbed.Run(t, "journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID="+inv, "SYSLOG_IDENTIFIER=flood").Stdout
		return strings.Count(out, "\n") == n
	})
	if t.Failed() {
		t.Logf("the journal holds of the run: %s (now); journald's own words: %s", journalLast(),
			testbed.Run(t, "journalctl", "--no-pager", "-o", "cat", "-u", "systemd-journald", "-n", "5").Stdout)
	}
	hwm := vmHWM(t, h.cmd.Process.Pid)
	ledger, err := jobdb.Open(context.Background(), filepath.Join(h.stateDir, "ledger", "jobs.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	testbed.Eventually(t, 30*time.Second, "the tail copied into the ledger", func() bool {
		j, err := ledger.Latest(context.Background(), "flood")
		return err == nil && j.OutputSaved
	})
	check("from the ledger")
	t.Logf("herod's peak RSS (VmHWM) after the flood: %d KiB", hwm)
	if hwm > 64*1024 {
		t.Errorf("herod's peak RSS was %d KiB, want at most 64 MiB", hwm)
	}
}

// A flood stopped mid-way (seq for as long as it takes journald to write 300,000 of its lines,
// then heroctl stop): journald goes on writing what the service sent it for tens of seconds after
// systemd recorded the run's end. The job's kept tail is exactly the journal's last 64 KiB of the
// run once journald has it all, never a copy frozen short; until then a kept copy says it is
// partial.
func TestStoppedFloodKeepsItsLastOutput(t *testing.T) {
	h := herodWith(t, map[string]string{"flood.toml": "exec = [\"/usr/bin/seq\", \"1\", \"999999999999\"]\n"})
	wantExit(t, heroctl(t, "start", "flood"), 0, "start flood")
	inv := heroJobs(t, "flood")[0].InvocationID
	lastLine := func() string {
		return strings.TrimSpace(testbed.Run(t, "journalctl", "--no-pager", "-o", "cat", "-n", "1", "_SYSTEMD_INVOCATION_ID="+inv).Stdout)
	}
	testbed.Eventually(t, 5*time.Minute, "journald wrote 300,000 lines of the flood", func() bool {
		n, _ := strconv.Atoi(lastLine())
		return n >= 300000
	})
	wantExit(t, heroctl(t, "stop", "flood"), 0, "stop flood")
	stopped := time.Now()
	t.Logf("stopped at line %s of the journal", lastLine())
	ledger, err := jobdb.Open(context.Background(), filepath.Join(h.stateDir, "ledger", "jobs.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	sawPartial := false
	var j *jobdb.Job
	saved := testbed.Until(10*time.Minute, 100*time.Millisecond, func() bool {
		j, err = ledger.Latest(context.Background(), "flood")
		if err == nil {
			j, err = ledger.Get(context.Background(), j.ID) // with its output
		}
		if err != nil {
			return false
		}
		if !j.OutputSaved && len(j.Output) > 0 && !j.OutputPartial {
			t.Fatalf("a copy of the tail before journald had it all is not marked partial: %+v", j)
		}
		if j.OutputPartial && !sawPartial {
			sawPartial = true
			if jobs := heroJobs(t, "flood"); !jobs[0].OutputPartial {
				t.Errorf("heroctl jobs does not say the kept output is partial: %+v", jobs[0])
			}
		}
		return j.OutputSaved
	})
	if !saved {
		t.Fatalf("the flood's tail was not saved for good within 10 minutes of the stop: %+v", j)
	}
	t.Logf("the tail was final %s after the stop; a partial copy was seen: %v", time.Since(stopped).Round(time.Second), sawPartial)
	if j.OutputPartial || heroJobs(t, "flood")[0].OutputPartial {
		t.Errorf("a final tail is still said to be partial")
	}
	// What the journal holds of the run, its newest lines (journald may have dropped some of a
	// killed writer's lines to its default rate limit: the tail is the journal's).
	journal := strings.Split(strings.TrimSpace(testbed.Run(t, "journalctl", "--no-pager", "-o", "cat", "-r", "-n", "20000", "_SYSTEMD_INVOCATION_ID="+inv).Stdout), "\n")
	var want []string
	size := 0
	for _, l := range journal {
		if size >= jobdb.MaxOutput {
			break
		}
		want = append([]string{l}, want...)
		size += len(l) + 1
	}
	wantText := strings.Join(want, "\n") + "\n"
	wantText = wantText[len(wantText)-jobdb.MaxOutput:]
	var kept strings.Builder
	for _, l := range recordingTail(t, j) {
		kept.WriteString(l + "\n")
	}
	if got := kept.String(); got != wantText {
		t.Errorf("the kept tail (%d bytes, ending %q) is not the journal's last 64 KiB of the run (ending %q)",
			len(got), got[max(0, len(got)-16):], wantText[len(wantText)-16:])
	}
	r := heroctl(t, "logs", "flood")
	if !strings.HasSuffix(strings.TrimSpace(r.Stdout), ": "+journal[0]) || strings.Contains(r.Stderr, "partial") {
		t.Errorf("heroctl logs does not end with the run's last line %q:\n...%s\n%s", journal[0], r.Stdout[max(0, len(r.Stdout)-200):], r.Stderr)
	}
}

// recordingTail is a job's kept output, its messages oldest first.
func recordingTail(t *testing.T, j *jobdb.Job) []string {
	t.Helper()
	var out []string
	for _, l := range recording.DecodeTail(j.Output) {
		out = append(out, l.Message)
	}
	return out
}

// The ledger's files deleted while herod runs: herod says so at error level and writes the
// ledger back; runs started and stopped after the deletion are kept, before and after a herod
// restart.
func TestDeletedLedgerIsRestored(t *testing.T) {
	sleeper := "exec = [\"/bin/sleep\", \"1000\"]\n"
	h := herodWith(t, map[string]string{"one.toml": sleeper, "two.toml": sleeper})
	path := filepath.Join(h.stateDir, "ledger", "jobs.db")
	wantExit(t, heroctl(t, "start", "one"), 0, "start one")
	files, _ := filepath.Glob(path + "*")
	if len(files) == 0 {
		t.Fatalf("no ledger at %s", path)
	}
	for _, f := range files {
		os.Remove(f)
	}
	for _, s := range []string{"two", "one"} {
		wantExit(t, heroctl(t, "restart", s), 0, "restart "+s)
		wantExit(t, heroctl(t, "stop", s), 0, "stop "+s)
	}
	want := func(when string) {
		for _, s := range []string{"one", "two"} {
			jobs := heroJobs(t, s)
			if len(jobs) == 0 || jobs[0].Phase != "cancelled" {
				t.Errorf("%s: %s's jobs %+v, want its last run cancelled", when, s, jobs)
			}
		}
	}
	want("herod running")
	testbed.Eventually(t, 10*time.Second, "the ledger's file back", func() bool {
		heroJobs(t, "one") // an operation looks at the file
		_, err := os.Stat(path)
		return err == nil
	})
	if log, _ := os.ReadFile(h.log); !strings.Contains(string(log), "level=ERROR") || !strings.Contains(string(log), "was deleted or replaced under herod") {
		t.Errorf("herod's log does not say at error level that the ledger was deleted:\n%s", log)
	}
	h.stop()
	h.launch(t)
	h.serving(t)
	testbed.Eventually(t, 10*time.Second, "the new herod serving", func() bool { return heroctl(t, "jobs", "one").Code == 0 })
	want("after herod's restart")
}
