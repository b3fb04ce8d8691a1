//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// perlService is a service file running notifyScript (see daemonkeys_test.go) with extra lines.
func perlService(pings bool, delay float64, extra string) string {
	return "exec = [\"/usr/bin/perl\", \"-e\", " + tomlQuote(notifyScript(pings, delay)) + "]\n" + extra
}

// jobsOf reads a service's jobs as JSON, newest first.
func jobsOf(t *testing.T, name string) []client.Job {
	t.Helper()
	var jobs []client.Job
	r := heroctl(t, "jobs", name, "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &jobs); err != nil {
		t.Fatalf("jobs %s -o json: %v (%s %s)", name, err, r.Stdout, r.Stderr)
	}
	return jobs
}

// With notify, heroctl start returns once the service said READY=1 (here 2 s after it began),
// not when its program was executed: what it started is ready when the start returns. Without
// notify the same program is "started" before it is ready.
func TestNotifyStartReturnsWhenReady(t *testing.T) {
	startHerodWith(t, map[string]string{
		"notifyslow.toml": perlService(false, 2, "notify = true\n"),
		"execslow.toml":   perlService(false, 2, ""),
	})
	began := time.Now()
	wantExit(t, heroctl(t, "start", "notifyslow"), 0, "start notifyslow")
	took := time.Since(began)
	if readFile("/run/hero/notifyslow/ready") == "" && !fileExists("/run/hero/notifyslow/ready") {
		t.Errorf("heroctl start notifyslow returned after %s, before the service was ready", took)
	}
	if took < 1500*time.Millisecond {
		t.Errorf("heroctl start notifyslow returned after %s; the service sends READY=1 after 2 s", took)
	}
	if st := statusOf(t, "notifyslow"); st.State != "running" {
		t.Errorf("notifyslow is %s after its start returned", st.State)
	}
	// Without notify, the start is over once the program runs: it is not ready yet.
	wantExit(t, heroctl(t, "start", "execslow"), 0, "start execslow")
	if fileExists("/run/hero/execslow/ready") {
		t.Errorf("without notify the start waited for the service's readiness")
	}
	t.Logf("heroctl start of a service ready after 2 s: %s with notify", took.Round(time.Millisecond))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// A service that stops pinging its watchdog is killed by systemd and its run recorded as failed
// with result watchdog (SIGABRT); one that pings keeps running past its watchdog.
func TestMissedWatchdogEndsTheRun(t *testing.T) {
	startHerodWith(t, map[string]string{
		"wdmiss.toml": perlService(false, 0, "notify = true\nwatchdog = \"1s\"\n"),
		"wdping.toml": perlService(true, 0, "notify = true\nwatchdog = \"1s\"\n"),
	})
	wantExit(t, heroctl(t, "start", "wdmiss", "wdping"), 0, "start wdmiss wdping")
	var last client.Job
	testbed.Eventually(t, 30*time.Second, "wdmiss's run recorded as ended by its watchdog", func() bool {
		jobs := jobsOf(t, "wdmiss")
		if len(jobs) == 0 {
			return false
		}
		last = jobs[0]
		return last.Phase == "failed"
	})
	if last.Result != "watchdog" || last.Signal != "SIGABRT" || last.ExitCode != nil {
		t.Errorf("wdmiss's run: %s/%s, signal %q, exit %v; want failed/watchdog by SIGABRT", last.Phase, last.Result, last.Signal, last.ExitCode)
	}
	if r := heroctl(t, "status", "wdmiss"); !strings.Contains(r.Stdout, "watchdog") {
		t.Errorf("status of wdmiss does not say watchdog:\n%s", r.Stdout)
	}
	// Twice its watchdog: a ping late by that would have ended it.
	testbed.Consistently(t, 2*time.Second, "wdping, which pings, running", func() bool {
		st := statusOf(t, "wdping")
		return st.State == "running" && st.LastJob != nil && st.LastJob.Phase == "running"
	})
}

// heroctl reload signals the main process (reload_signal) or runs the reload command, as a job
// of systemd's: the run, main process and job stay. A service without reload is refused, as is
// one that does not run (exit 3), one whose reload command fails, and one whose running unit
// predates its config's reload_signal until apply made it new (the diff shows it).
func TestReloadKeepsTheRun(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"rlsig.toml":  perlService(false, 0, "notify = true\nreload_signal = \"HUP\"\n"),
		"rlcmd.toml":  "exec = [\"/bin/sleep\", \"1000\"]\nreload = [\"/bin/sh\", \"-c\", \"echo by-command $$ >>$RUNTIME_DIRECTORY/reloaded\"]\n",
		"rlfail.toml": "exec = [\"/bin/sleep\", \"1000\"]\nreload = [\"/bin/false\"]\n",
		"rlnone.toml": perlService(false, 0, "notify = true\n"),
	})
	wantExit(t, heroctl(t, "start", "rlsig", "rlcmd", "rlfail", "rlnone"), 0, "start")
	first := jobsOf(t, "rlsig")
	if len(first) == 0 {
		t.Fatalf("rlsig has no job after its start")
	}
	pid, job := mainPID(t, "rlsig"), first[0].ID
	r := heroctl(t, "reload", "rlsig", "rlcmd")
	wantExit(t, r, 0, "reload rlsig rlcmd")
	wantIn(t, "reload", r.Stderr, "Reloaded rlsig (job ", "Reloaded rlcmd (job ")
	if got := readFile("/run/hero/rlsig/hup"); got != "hup "+pid {
		t.Errorf("rlsig's main process %s noted %q of SIGHUP", pid, got)
	}
	if !strings.HasPrefix(readFile("/run/hero/rlcmd/reloaded"), "by-command ") {
		t.Errorf("rlcmd's reload command did not run: %q", readFile("/run/hero/rlcmd/reloaded"))
	}
	if jobs := jobsOf(t, "rlsig"); mainPID(t, "rlsig") != pid || len(jobs) != 1 || jobs[0].ID != job || jobs[0].Phase != "running" {
		t.Errorf("after its reload rlsig has main PID %s (was %s) and jobs %+v (was %d)", mainPID(t, "rlsig"), pid, jobs, job)
	}
	r = heroctl(t, "reload", "rlnone")
	wantExit(t, r, 1, "reload of a service without reload")
	wantIn(t, "reload rlnone", r.Stderr, "neither reload (a command) nor reload_signal")
	r = heroctl(t, "reload", "rlfail")
	wantExit(t, r, 1, "reload whose command fails")
	wantIn(t, "reload rlfail", r.Stderr, "reload rlfail: systemd job failed")
	wantExit(t, heroctl(t, "stop", "rlsig"), 0, "stop rlsig")
	r = heroctl(t, "reload", "rlsig")
	wantExit(t, r, 3, "reload of a stopped service")
	wantIn(t, "reload of a stopped rlsig", r.Stderr, "rlsig is not running")

	// reload_signal added to a running service: its unit predates it, apply makes it new.
	file := filepath.Join(h.configDir, "rlnone.toml")
	if err := os.WriteFile(file, []byte(perlService(false, 0, "notify = true\nreload_signal = \"SIGHUP\"\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	r = heroctl(t, "reload", "rlnone")
	wantExit(t, r, 1, "reload of a unit older than its reload_signal")
	wantIn(t, "reload rlnone", r.Stderr, "was created before its config set reload or reload_signal", "heroctl restart rlnone")
	wantIn(t, "cat rlnone", heroctl(t, "cat", "rlnone").Stdout, "ExecReload=", "hero-exec signal SIGHUP")
	wantIn(t, "apply --dry-run", heroctl(t, "apply", "--dry-run").Stdout, "+ExecReload=", "+# ExecReload sends SIGHUP to the main process only")
	wantExit(t, heroctl(t, "apply"), 0, "apply")
	wantExit(t, heroctl(t, "reload", "rlnone"), 0, "reload rlnone after apply")
	testbed.Eventually(t, 10*time.Second, "rlnone noted its SIGHUP", func() bool { return readFile("/run/hero/rlnone/hup") != "" })
}

// env_file: a root-owned file's variables reach the program (as systemd parses the file); a
// file others may write, or in a directory others may write, is refused when herod reads the
// configs and again when a start would read it; nothing is started.
func TestEnvFileTrust(t *testing.T) {
	dir := "/etc/hero-envfile-test"
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	secret := filepath.Join(dir, "secret.env")
	if err := os.WriteFile(secret, []byte("SECRET=\"two words\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startHerodWith(t, map[string]string{
		"envf.toml": "exec = [\"/bin/sh\", \"-c\", \"echo \\\"secret=$SECRET\\\"; exec sleep 1000\"]\nenv_file = \"" + secret + "\"\n",
	})
	wantExit(t, heroctl(t, "start", "envf"), 0, "start envf")
	testbed.Eventually(t, 30*time.Second, "envf's line in the journal", func() bool {
		return strings.Contains(strings.Join(journalOutput(t, "hero-default-envf.service"), "\n"), "secret=two words")
	})
	wantExit(t, heroctl(t, "stop", "envf"), 0, "stop envf")
	// Made writable by every user: refused at the next start (the configs were read before).
	os.Chmod(secret, 0o666)
	r := heroctl(t, "start", "envf")
	wantExit(t, r, 1, "start with an env_file every user may write")
	wantIn(t, "start envf", r.Stderr, "env_file: untrusted: "+secret, "writable by its group and every user")
	if s := strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "hero-default-envf.service").Stdout); s == "active" {
		t.Errorf("envf was started with an untrusted env_file")
	}
	r = heroctl(t, "validate")
	wantExit(t, r, 1, "validate")
	wantIn(t, "validate", r.Stdout+r.Stderr, "envf.toml:2: env_file: untrusted")
	// A file in a directory every user may write: the same.
	os.Chmod(secret, 0o600)
	os.Chmod(dir, 0o777)
	wantIn(t, "validate", heroctl(t, "validate").Stdout+heroctl(t, "validate").Stderr, "envf.toml:2: env_file: untrusted: "+dir)
	os.Chmod(dir, 0o755)
	wantExit(t, heroctl(t, "validate"), 0, "validate once the file is root's again")
}

// Bad daemon keys are each a problem naming file, line and key, and their service starts
// nothing.
func TestBadDaemonKeysStartNothing(t *testing.T) {
	startHerodWith(t, map[string]string{
		"badcap.toml":     "exec = \"/bin/true\"\ncapabilities = [\"CAP_NET_BINDSERVICE\"]\n",
		"badenv.toml":     "exec = \"/bin/true\"\nenv_file = \"secrets.env\"\n",
		"badmissing.toml": "exec = \"/bin/true\"\nenv_file = \"/etc/hero-no-such.env\"\n",
		"badbox.toml":     "exec = \"/bin/true\"\nsandbox = \"paranoid\"\n",
		"badnotify.toml":  "exec = \"/bin/true\"\noneshot = true\nnotify = true\n",
	})
	r := heroctl(t, "validate")
	wantExit(t, r, 1, "validate")
	wantIn(t, "validate", r.Stdout+r.Stderr,
		`badcap.toml:2: capabilities: unknown capability "CAP_NET_BINDSERVICE" (did you mean CAP_NET_BIND_SERVICE?)`,
		`badenv.toml:2: env_file: path "secrets.env" is not absolute`,
		`badmissing.toml:2: env_file: /etc/hero-no-such.env does not exist`,
		`badbox.toml:2: sandbox: unknown preset "paranoid": the presets are "strict"`,
		`badnotify.toml:3: notify: a oneshot service is up when it exited 0`)
	for _, name := range []string{"badcap", "badenv", "badmissing", "badbox", "badnotify"} {
		r := heroctl(t, "start", name)
		wantExit(t, r, 1, "start "+name)
		wantIn(t, "start "+name, r.Stderr, name+" is bad-config")
		if s := strings.TrimSpace(testbed.Run(t, "systemctl", "show", "-p", "LoadState", "--value", "hero-default-"+name+".service").Stdout); s == "loaded" {
			t.Errorf("%s's unit was created", name)
		}
	}
}
