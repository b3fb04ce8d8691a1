//go:build browser

package browser

import (
	"context"
	"strings"
	"testing"
	"time"
)

// reloadServices are services of TestReloadButton: rl's reload command adds a line to a file
// in its runtime directory (each reload counted, the directory going with its run); late had
// no reload when it started, and gains one in its file afterwards (its running unit predates it).
var reloadServices = map[string]string{
	"rl.toml":   "exec = [\"/bin/sleep\", \"infinity\"]\nreload = [\"/bin/sh\", \"-c\", \"echo reloaded >>$RUNTIME_DIRECTORY/reloads\"]\n",
	"late.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n",
}

// shell runs a shell script as root in the container; it fails the test if the script fails.
func shell(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := inside(ctx, "sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mainPIDOf is the main PID herod reports for a service (0 when it does not run).
func mainPIDOf(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(heroctl(t, "show", "-p", "MainPID", "--value", name))
}

// TestReloadButton: a running service whose config sets reload has a Reload button; confirmed,
// its reload command runs (once), its main PID stays, and the dialog follows herod's operation
// to "Done."; a service without reload has no Reload button; one that does not run has it
// disabled with the reason; a reload herod refuses (the running unit predates the config's
// reload_signal) is explained by its D-Bus error, and nothing is reloaded.
func TestReloadButton(t *testing.T) {
	for file, text := range reloadServices {
		shell(t, "cat >/etc/hero/services/"+file+" <<'EOF'\n"+text+"EOF")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = inside(ctx, "sh", "-c", "heroctl -q stop rl late; rm -f /etc/hero/services/rl.toml /etc/hero/services/late.toml; heroctl -q daemon-reload")
	})
	heroctl(t, "-q", "daemon-reload")
	heroctl(t, "start", "rl", "late")
	pid := mainPIDOf(t, "rl")
	if pid == "" || pid == "0" {
		t.Fatalf("rl runs without a main PID (%q)", pid)
	}

	ctx := openBrowser(t, "root", "#/service/rl")
	waitFor(t, ctx, "rl's page with Reload enabled", `document.getElementById("action-reload") && !document.getElementById("action-reload").disabled`)
	eval[bool](t, ctx, `document.getElementById("action-reload").click(), true`)
	waitFor(t, ctx, "the reload dialog", `document.getElementById("dialog").dataset.phase === "planned"`)
	lead := eval[string](t, ctx, `document.getElementById("plan-lead").textContent`)
	if !strings.Contains(lead, "keeps running (main PID "+pid+")") || !strings.Contains(lead, "no other service is touched") {
		t.Errorf("the reload dialog does not say rl keeps its process %s and touches nothing else: %q", pid, lead)
	}
	screenshot(t, ctx, "reload-plan")
	if n := shell(t, "cat /run/hero/rl/reloads 2>/dev/null | wc -l"); strings.TrimSpace(n) != "0" {
		t.Fatalf("showing the reload dialog reloaded rl (%s times): it must only show it", strings.TrimSpace(n))
	}
	eval[bool](t, ctx, `document.getElementById("dialog-confirm").click(), true`)
	waitFor(t, ctx, "the reload finished", `document.getElementById("dialog").dataset.phase === "done"`)
	if progress := eval[string](t, ctx, `document.getElementById("dialog-progress").innerText`); !strings.Contains(progress, "rl: reloaded (job ") {
		t.Errorf("the progress lacks rl's reload (from OperationProgress):\n%s", progress)
	}
	screenshot(t, ctx, "reload-done")
	if n := strings.TrimSpace(shell(t, "cat /run/hero/rl/reloads 2>/dev/null | wc -l")); n != "1" {
		t.Errorf("rl's reload command ran %s times after one confirmed reload, want 1", n)
	}
	if now := mainPIDOf(t, "rl"); now != pid {
		t.Errorf("rl's main PID is %s after the reload, was %s: it was restarted", now, pid)
	}
	waitFor(t, ctx, "rl running with its main PID on its page",
		`document.querySelector("#service-head .state").dataset.state === "running" && document.querySelector("#service-head .facts").textContent.includes("main PID `+pid+`")`)

	// No Reload where the config sets no reload; disabled, with the reason, where it does not run.
	eval[bool](t, ctx, `location.hash = "#/service/db", true`)
	waitFor(t, ctx, "db's page without Reload", `document.getElementById("service-name").textContent === "db" && document.getElementById("action-start") !== null && document.getElementById("action-reload") === null`)
	heroctl(t, "stop", "rl")
	eval[bool](t, ctx, `location.hash = "#/service/rl", true`)
	waitFor(t, ctx, "rl's Reload disabled while it does not run",
		`document.getElementById("service-name").textContent === "rl" && document.getElementById("action-reload") && document.getElementById("action-reload").disabled && document.getElementById("action-reload").title.includes("does not run")`)

	// late gains a reload_signal while its unit (without ExecReload=) runs: herod refuses.
	shell(t, `printf 'exec = ["/bin/sleep", "infinity"]\nreload_signal = "SIGHUP"\n' >/etc/hero/services/late.toml`)
	heroctl(t, "-q", "daemon-reload")
	latePID := mainPIDOf(t, "late")
	eval[bool](t, ctx, `location.hash = "#/service/late", true`)
	waitFor(t, ctx, "late's page with Reload enabled", `document.getElementById("service-name").textContent === "late" && document.getElementById("action-reload") && !document.getElementById("action-reload").disabled`)
	eval[bool](t, ctx, `document.getElementById("action-reload").click(), true`)
	waitFor(t, ctx, "the reload dialog", `document.getElementById("dialog").dataset.phase === "planned"`)
	eval[bool](t, ctx, `document.getElementById("dialog-confirm").click(), true`)
	waitFor(t, ctx, "the refusal", `document.getElementById("dialog").dataset.phase === "refused"`)
	refusal := eval[string](t, ctx, `document.getElementById("dialog-error").textContent`)
	for _, want := range []string{"Not reloaded, nothing was done", "org.hero.Proc1.Error.NotReloadable", "restart it", "was created before its config set reload or reload_signal"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal lacks %q: %q", want, refusal)
		}
	}
	screenshot(t, ctx, "reload-refused")
	if now := mainPIDOf(t, "late"); now != latePID || !isActive(t, "late") {
		t.Errorf("late after the refused reload: main PID %s (was %s), active %v", now, latePID, isActive(t, "late"))
	}
}
