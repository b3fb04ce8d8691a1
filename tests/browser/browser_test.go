//go:build browser

package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	tb "github.com/hero-systemd/hero-systemd/tests/testbed"
)

// The page's address under a cockpit-ws: the package "hero" served by the local session.
const pagePath = "/cockpit/@localhost/hero/index.html"

// A condition on the page must hold within this long: the machine is shared, so it is generous.
const waitLimit = 90 * time.Second

// green is the colour of "running" in hero.css (--ok), as the browser computes it.
const green = "rgb(62, 134, 53)"

// openBrowser starts a cockpit-ws whose session runs as user, and a headless chromium of its
// own, with the page loaded at hash (e.g. "#/service/db") and herod's services listed.
func openBrowser(t *testing.T, user, hash string) context.Context {
	t.Helper()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer scancel()
	base, unit, err := startCockpit(sctx, user)
	if unit != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = inside(ctx, "systemctl", "stop", unit)
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()), chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", chromiumPath(), err)
	}
	navigate(t, ctx, base+pagePath+hash, "")
	return ctx
}

// pageShown holds once the page shows herod's services (the overview) or a service.
const pageShown = `document.body.dataset.ready === "yes" && (document.querySelectorAll("#services tbody tr").length > 0 || location.hash.startsWith("#/service/") && document.getElementById("service-name") !== null)`

// navigate opens url and waits until ready holds (pageShown when empty).
func navigate(t *testing.T, ctx context.Context, url, ready string) {
	t.Helper()
	nctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	if err := chromedp.Do(nctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if ready == "" {
		ready = pageShown
	}
	waitFor(t, ctx, "the page at "+url, ready)
}

// eval evaluates js in the page and decodes its value into T.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	ectx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	v, err := chromedp.Run(ectx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds; on timeout it fails with the page's text
// and a screenshot.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	var err error
	if tb.Until(waitLimit, 250*time.Millisecond, func() bool {
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var ok bool
		ok, err = chromedp.Run(ectx, chromedp.Evaluate[bool]("Boolean("+js+")"))
		return err == nil && ok
	}) {
		return
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
	shot := screenshot(t, ctx, "failed-"+strings.ReplaceAll(t.Name(), "/", "-"))
	t.Fatalf("the page never showed %s within %s (last error: %v); screenshot %s; its text:\n%s", what, waitLimit, err, shot, text)
}

// screenshot saves the whole page as NAME.png in the artifacts folder and returns its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(bed.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
	t.Logf("screenshot %s", path)
	return path
}

// heroctl runs heroctl as root in the container; it fails the test unless wantOK says otherwise.
func heroctl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := inside(ctx, append([]string{"heroctl"}, args...)...)
	if err != nil {
		t.Fatalf("heroctl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// isActive asks systemd in the container (not the page) whether a service's unit is active.
func isActive(t *testing.T, service string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := inside(ctx, "heroctl", "is-active", "-q", service)
	return err == nil
}

func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rowState is a service's state as the overview's table shows it.
func rowState(name string) string {
	return fmt.Sprintf(`(document.querySelector('#services tr[data-service=%s]') || {dataset: {}}).dataset.state`, q(name))
}

// TestOverviewIsLive: the overview lists the example stack, and a service started with heroctl
// turns green in the table and the graph without a reload.
func TestOverviewIsLive(t *testing.T) {
	if isActive(t, "web") {
		heroctl(t, "stop", "api")
	}
	ctx := openBrowser(t, "root", "")
	names := eval[[]string](t, ctx, `[...document.querySelectorAll("#services tbody tr")].map(r => r.dataset.service).sort()`)
	want := []string{"api", "cleanup", "db", "mailer", "web", "worker"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("the overview lists %v, want the examples %v", names, want)
	}
	if s := eval[string](t, ctx, rowState("web")); s == "running" {
		t.Fatalf("web shows running before anything started it")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#graph svg .node").length`); n != len(want) {
		t.Fatalf("the graph draws %d services, want %d", n, len(want))
	}
	// web requires api (solid) and is ordered after worker (dashed).
	requires := eval[string](t, ctx, `getComputedStyle(document.querySelector('#graph path[data-from="web"][data-to="api"][data-kind="requires"]')).strokeDasharray`)
	after := eval[string](t, ctx, `getComputedStyle(document.querySelector('#graph path[data-from="web"][data-to="worker"][data-kind="after"]')).strokeDasharray`)
	if requires != "none" || after == "none" {
		t.Errorf("requires edge dash %q (want none: solid), after edge dash %q (want dashed)", requires, after)
	}
	screenshot(t, ctx, "overview")
	// A mark that a reload would wipe.
	eval[bool](t, ctx, `window.heroNoReload = true`)

	heroctl(t, "start", "web")
	waitFor(t, ctx, "web running in the table", rowState("web")+` === "running"`)
	waitFor(t, ctx, "web's node green in the graph",
		`getComputedStyle(document.querySelector('#graph .node[data-service="web"] rect')).fill === `+q(green))
	waitFor(t, ctx, "db running (started first, as web requires api requires db)", rowState("db")+` === "running"`)
	if !eval[bool](t, ctx, `window.heroNoReload === true`) {
		t.Fatalf("the page reloaded: live updates must come without a reload")
	}
	badge := eval[string](t, ctx, `getComputedStyle(document.querySelector('#services tr[data-service="web"] .state')).backgroundColor`)
	if badge != green {
		t.Errorf("web's state badge is %s, want green %s", badge, green)
	}
	screenshot(t, ctx, "overview-web-running")
}

// TestStopShowsCascadeFirst: the stop dialog shows the cascade (herod's StopPlan) as heroctl
// does: the running services in their stop order, the others named as left as they are; it
// stops nothing until it is confirmed; then the cascade happens with herod's progress shown, and
// the plan's states follow.
func TestStopShowsCascadeFirst(t *testing.T) {
	heroctl(t, "start", "web")
	if isActive(t, "worker") || isActive(t, "mailer") {
		heroctl(t, "stop", "worker")
		heroctl(t, "stop", "mailer")
	}
	ctx := openBrowser(t, "root", "#/service/db")
	waitFor(t, ctx, "db's page with Stop enabled", `document.getElementById("action-stop") && !document.getElementById("action-stop").disabled`)
	screenshot(t, ctx, "service-db")
	eval[bool](t, ctx, `document.getElementById("action-stop").click(), true`)
	waitFor(t, ctx, "the stop plan", `document.getElementById("dialog").dataset.phase === "planned"`)
	order := eval[[]string](t, ctx, `[...document.querySelectorAll("#plan-order li")].map(li => li.dataset.service)`)
	if strings.Join(order, " ") != "web api db" {
		t.Errorf("the plan's stop order is %v: want the running services, most dependent first: web api db", order)
	}
	idle := eval[string](t, ctx, `(document.getElementById("plan-idle") || {}).textContent || ""`)
	if !strings.HasPrefix(idle, "Not running, left as they are: ") || !strings.Contains(idle, "worker") || !strings.Contains(idle, "mailer") {
		t.Errorf("the plan does not name the dependents that do not run as left as they are: %q", idle)
	}
	lead := eval[string](t, ctx, `document.getElementById("plan-lead").textContent`)
	if !strings.Contains(lead, "web") || strings.Contains(lead, "worker") {
		t.Errorf("the plan's summary does not say which running dependents it stops: %q", lead)
	}
	screenshot(t, ctx, "stop-plan")
	if !isActive(t, "web") || !isActive(t, "db") {
		t.Fatalf("showing the plan stopped something: it must only show it")
	}
	eval[bool](t, ctx, `document.getElementById("dialog-confirm").click(), true`)
	waitFor(t, ctx, "the stop finished", `document.getElementById("dialog").dataset.phase === "done"`)
	progress := eval[string](t, ctx, `document.getElementById("dialog-progress").innerText`)
	for _, step := range []string{"web: stopped", "api: stopped", "db: stopped"} {
		if !strings.Contains(progress, step) {
			t.Errorf("the progress lacks %q (from OperationProgress):\n%s", step, progress)
		}
	}
	waitFor(t, ctx, "the plan's states stopped after Done",
		`[...document.querySelectorAll("#plan-order li .state")].every(b => !["running", "activating"].includes(b.dataset.state))`)
	screenshot(t, ctx, "stop-done")
	for _, s := range []string{"web", "api", "db"} {
		if isActive(t, s) {
			t.Errorf("%s still runs after the confirmed stop", s)
		}
	}
}

// TestStartShowsClosureFirst: the start dialog shows what a start pulls in (herod's StartPlan),
// the start follows when confirmed, the plan's states follow it, and leaving the page closes
// the dialog.
func TestStartShowsClosureFirst(t *testing.T) {
	heroctl(t, "stop", "db")
	ctx := openBrowser(t, "root", "#/service/web")
	waitFor(t, ctx, "web's page with Start enabled", `document.getElementById("action-start") && !document.getElementById("action-start").disabled`)
	eval[bool](t, ctx, `document.getElementById("action-start").click(), true`)
	waitFor(t, ctx, "the start plan", `document.getElementById("dialog").dataset.phase === "planned"`)
	order := eval[[]string](t, ctx, `[...document.querySelectorAll("#plan-order li")].map(li => li.dataset.service)`)
	if strings.Join(order, " ") != "db api web" {
		t.Errorf("the start plan of web is %v, want db api web (its requires closure, dependencies first)", order)
	}
	lead := eval[string](t, ctx, `document.getElementById("plan-lead").textContent`)
	if !strings.Contains(lead, "db, api") {
		t.Errorf("the plan's summary does not name what the start pulls in: %q", lead)
	}
	screenshot(t, ctx, "start-plan")
	if isActive(t, "db") {
		t.Fatalf("showing the plan started something: it must only show it")
	}
	eval[bool](t, ctx, `document.getElementById("dialog-confirm").click(), true`)
	waitFor(t, ctx, "the start finished", `document.getElementById("dialog").dataset.phase === "done"`)
	for _, s := range []string{"db", "api", "web"} {
		if !isActive(t, s) {
			t.Errorf("%s does not run after the confirmed start", s)
		}
	}
	waitFor(t, ctx, "web running on its page", `document.querySelector("#service-head .state").dataset.state === "running"`)
	waitFor(t, ctx, "the plan's states running after Done",
		`[...document.querySelectorAll("#plan-order li .state")].every(b => b.dataset.state === "running")`)
	screenshot(t, ctx, "start-done")
	// Another route (here the page of db) closes the dialog.
	eval[bool](t, ctx, `location.hash = "#/service/db", true`)
	waitFor(t, ctx, "the dialog closed on the route change",
		`document.getElementById("dialog-backdrop").hidden && document.getElementById("service-name").textContent === "db"`)
}

// TestCrashOutput: a crashed run's output is shown to an administrator and refused, with the
// reason, to a plain user, whose page offers no action.
func TestCrashOutput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// mailer crashes on start (exit 3): heroctl says so with a non-zero status.
	_, _ = inside(ctx, "heroctl", "start", "mailer")
	admin := openBrowser(t, "root", "#/service/mailer")
	waitFor(t, admin, "mailer's failed run with exit 3",
		`[...document.querySelectorAll("#runs tbody tr")].some(r => r.dataset.phase === "failed" && r.children[3].textContent === "3")`)
	eval[bool](t, admin, `document.querySelector('#runs tbody tr[data-phase="failed"] button[data-output]').click(), true`)
	waitFor(t, admin, "the run's output", `document.getElementById("output").dataset.outcome === "shown"`)
	out := eval[string](t, admin, `document.getElementById("output-text").textContent`)
	if !strings.Contains(out, "mailer: fatal: no route to SMTP relay") {
		t.Errorf("the output shown to root lacks the crash message:\n%s", out)
	}
	if unit := eval[string](t, admin, `document.getElementById("unit-text").textContent`); !strings.Contains(unit, "[Service]") {
		t.Errorf("the unit text is not shown: %q", unit)
	}
	if rel := eval[string](t, admin, `document.getElementById("rel-requires").textContent`); !strings.Contains(rel, "api") {
		t.Errorf("mailer's page does not say it requires api: %q", rel)
	}
	screenshot(t, admin, "service-mailer-admin")

	user := openBrowser(t, plainUser, "#/service/mailer")
	waitFor(t, user, "mailer's failed run", `document.querySelector('#runs tbody tr[data-phase="failed"] button[data-output]') !== null`)
	eval[bool](t, user, `document.querySelector('#runs tbody tr[data-phase="failed"] button[data-output]').click(), true`)
	waitFor(t, user, "the refusal", `document.getElementById("output").dataset.outcome === "refused"`)
	refusal := eval[string](t, user, `document.getElementById("output-refused").textContent`)
	if !strings.Contains(refusal, "adm and systemd-journal") {
		t.Errorf("the refusal does not say who may read output: %q", refusal)
	}
	if shown := eval[string](t, user, `document.getElementById("output-text").hidden ? "" : document.getElementById("output-text").textContent`); strings.Contains(shown, "fatal") {
		t.Errorf("a plain user was shown the output: %q", shown)
	}
	waitFor(t, user, "the limited access note", `document.getElementById("access").textContent.includes("Limited")`)
	if !eval[bool](t, user, `["start", "stop", "restart"].every(v => document.getElementById("action-" + v).disabled)`) {
		t.Errorf("a plain user may press start, stop or restart: only administrative access may act")
	}
	screenshot(t, user, "service-mailer-plain-user")
}

// TestCockpitMenu: Cockpit's own shell lists the page as "Hero services" (from manifest.json)
// and shows it in its frame.
func TestCockpitMenu(t *testing.T) {
	ctx := openBrowser(t, "root", "")
	base := eval[string](t, ctx, `location.origin`)
	navigate(t, ctx, base+"/hero", `[...document.querySelectorAll("nav a, nav li")].some(e => e.textContent.trim() === "Hero services")`)
	waitFor(t, ctx, "the page in Cockpit's frame", `[...document.querySelectorAll("iframe")].some(f => {
		try { return f.contentDocument && f.contentDocument.querySelectorAll("#services tbody tr").length === 6 } catch (e) { return false }
	})`)
	screenshot(t, ctx, "cockpit-shell")
}

// TestBadConfigFirstAndRefused: a service whose file has problems is listed first with them,
// and starting it is refused with the reason before anything happens.
func TestBadConfigFirstAndRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := inside(ctx, "sh", "-c", `printf 'exec = ["/bin/true"]\nrestart = "sometimes"\n' >/etc/hero/services/broken.toml`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = inside(ctx, "rm", "-f", "/etc/hero/services/broken.toml")
		_, _ = inside(ctx, "heroctl", "-q", "daemon-reload")
	})
	// A reload with a broken file says so (non-zero) and loads the rest.
	_, _ = inside(ctx, "heroctl", "-q", "daemon-reload")
	page := openBrowser(t, "root", "")
	waitFor(t, page, "broken listed first as bad-config",
		`document.querySelector("#services tbody tr").dataset.service === "broken" && document.querySelector("#services tbody tr").dataset.state === "bad-config"`)
	problems := eval[string](t, page, `document.querySelector('#services tr[data-service="broken"] .problems').textContent`)
	if !strings.Contains(problems, "restart") {
		t.Errorf("broken's problems do not name the bad key: %q", problems)
	}
	screenshot(t, page, "overview-bad-config")
	navigate(t, page, eval[string](t, page, `location.href.split("#")[0]`)+"#/service/broken", "")
	waitFor(t, page, "broken's page", `document.getElementById("action-start") && !document.getElementById("action-start").disabled`)
	eval[bool](t, page, `document.getElementById("action-start").click(), true`)
	waitFor(t, page, "the refusal", `document.getElementById("dialog").dataset.phase === "refused"`)
	refusal := eval[string](t, page, `document.getElementById("dialog-error").textContent`)
	if !strings.Contains(refusal, "bad-config") {
		t.Errorf("the refusal does not say the config is bad: %q", refusal)
	}
	screenshot(t, page, "start-refused-bad-config")
	if isActive(t, "broken") {
		t.Errorf("broken runs after a refused start")
	}
}
