/*
 * Hero services: hero-systemd's Cockpit page. Plain JavaScript over cockpit.js (no build step).
 *
 * Everything comes from herod's D-Bus API (org.hero.Proc1, system bus): the service and job
 * objects through the ObjectManager at /org/hero/Proc1, kept current by PropertiesChanged,
 * InterfacesAdded and InterfacesRemoved (nothing is polled); plans from StopPlan and StartPlan;
 * an operation's progress from OperationProgress and OperationFinished. herod decides who may
 * act (root, or whom polkit authorizes) and who may read output (root, adm, systemd-journal):
 * the page shows its refusals with their reason. Acting needs Cockpit's administrative access,
 * as on Cockpit's other pages.
 */
"use strict";

(function () {
    const BUS_NAME = "org.hero.Proc1";
    const MANAGER_PATH = "/org/hero/Proc1";
    const MANAGER = "org.hero.Proc1.Manager";
    const SERVICE = "org.hero.Proc1.Service";
    const JOB = "org.hero.Proc1.Job";
    const SVG_NS = "http://www.w3.org/2000/svg";
    // Failed and bad-config first (they need someone), then what is blocked, then the rest.
    const STATE_RANK = { "failed": 0, "bad-config": 0, "blocked": 1 };

    let client = null;
    let services = null; // proxies of org.hero.Proc1.Service, keyed by object path
    let jobs = null; // proxies of org.hero.Proc1.Job
    let admin = null; // cockpit.permission({ admin: true })
    // Services herod lists (ListServices) but publishes no object for: a service whose file has
    // problems and that never had a good definition. Read again whenever the set of objects
    // changes or herod announces a state.
    let objectless = [];
    let renderQueued = false;
    let shownUnitFor = null;
    // Operation signals arrive before the method's reply may: kept by id until someone asks.
    const operationEvents = new Map();
    const operationWatchers = new Map();

    function $(id) { return document.getElementById(id); }

    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "text") e.textContent = v;
            else if (k === "onclick") e.addEventListener("click", v);
            else e.setAttribute(k, v);
        }
        for (const c of children) if (c !== null && c !== undefined) e.append(c);
        return e;
    }

    function svg(tag, attrs) {
        const e = document.createElementNS(SVG_NS, tag);
        for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
        return e;
    }

    function time(us) {
        if (!us) return "";
        return new Date(us / 1000).toLocaleString();
    }

    function stateBadge(state) {
        return el("span", { "class": "state state-" + state, "data-state": state, text: state });
    }

    function serviceList() {
        if (!services) return [];
        const list = Object.values(services).filter(p => p.valid && p.Service);
        const named = new Set(list.map(p => p.Service));
        return list.concat(objectless.filter(st => !named.has(st.Service)));
    }

    // One ListServices at a time: a burst of changes while one is out makes one more, not many.
    let listing = false;
    let listAgain = false;
    function readObjectless() {
        if (listing) { listAgain = true; return }
        listing = true;
        client.call(MANAGER_PATH, MANAGER, "ListServices", [])
                .then(([all]) => {
                    const plain = all.map(st => Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.v])));
                    const named = new Set(Object.values(services || {}).map(p => p.Service));
                    objectless = plain.filter(st => !named.has(st.Service));
                    queueRender();
                })
                .catch(ex => console.warn("ListServices:", explain(ex)))
                .finally(() => {
                    listing = false;
                    if (listAgain) { listAgain = false; readObjectless() }
                });
    }

    function byName(name) {
        return serviceList().find(p => p.Service === name) || null;
    }

    function jobsOf(name) {
        if (!jobs) return [];
        return Object.values(jobs).filter(j => j.valid && j.Service === name)
                .sort((a, b) => b.Id - a.Id);
    }

    function requiredBy(name) {
        return serviceList().filter(p => (p.Requires || []).includes(name)).map(p => p.Service).sort();
    }

    function lastRun(p) {
        if (!p.JobId) return "no run";
        const parts = [p.JobPhase || ""];
        if (p.Result && p.Result !== "success") parts.push(p.Result);
        if (p.ExitCode >= 0 && p.EndedAt) parts.push("exit " + p.ExitCode);
        if (p.Signal) parts.push(p.Signal);
        const when = p.EndedAt || p.StartedAt;
        if (when) parts.push(time(when));
        return parts.filter(Boolean).join(", ");
    }

    // A D-Bus error's reason as a person needs it: what was refused and what to do.
    function explain(ex) {
        const name = (ex && ex.name) || "";
        const message = (ex && (ex.message || ex.problem)) || String(ex);
        const reasons = {
            "org.hero.Proc1.Error.AccessDenied": "herod refused: changing services needs root or polkit's authorization for org.hero.proc1.manage-services.",
            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired": "polkit would ask for a password (org.hero.proc1.manage-services): turn on administrative access.",
            "org.freedesktop.DBus.Error.AccessDenied": "The system bus refused the call (herod's bus policy).",
            "org.hero.Proc1.Error.InvalidConfig": "The service's config has problems (bad-config): fix its file and reload.",
            "org.hero.Proc1.Error.ConflictBlocked": "A service it would start conflicts with one that runs.",
            "org.hero.Proc1.Error.NoSuchService": "herod does not define this service.",
            "org.hero.Proc1.Error.NotReloadable": "Not reloaded, nothing was done:",
            "org.hero.Proc1.Error.NotRunning": "Not reloaded, nothing was done: a reload needs a running service (start it instead).",
        };
        const reason = reasons[name];
        return (reason ? reason + " " : "") + message + (name ? " (" + name + ")" : "");
    }

    function showBanner(text) {
        const b = $("banner");
        b.textContent = text;
        b.hidden = !text;
    }

    function queueRender() {
        if (renderQueued) return;
        renderQueued = true;
        window.setTimeout(() => { renderQueued = false; render() }, 0);
    }

    function currentService() {
        const path = cockpit.location.path;
        return path.length >= 2 && path[0] === "service" ? path[1] : null;
    }

    function render() {
        const name = currentService();
        $("overview-page").hidden = name !== null;
        $("service-page").hidden = name === null;
        $("crumb-service").textContent = name ? " › " + name : "";
        renderAccess();
        if (name === null) {
            renderOverview();
        } else {
            renderService(name);
        }
        renderPlanBadges();
        document.body.setAttribute("data-ready", services ? "yes" : "no");
    }

    function renderAccess() {
        const a = $("access");
        if (!admin || admin.allowed === null) {
            a.textContent = "";
        } else if (admin.allowed) {
            a.textContent = "Administrative access";
            a.className = "access access-admin";
        } else {
            a.textContent = "Limited access: viewing only";
            a.className = "access access-limited";
        }
    }

    /* The overview: every service, failed and bad-config first, and the graph. */

    // unhealthy: its liveness checks fail while it runs (its unit's StatusText, set by the checks).
    function unhealthy(p) {
        return (p.ActiveState === "active" || p.ActiveState === "activating" || p.ActiveState === "reloading") &&
            (p.Health || "").startsWith("unhealthy");
    }

    function renderOverview() {
        const list = serviceList().sort((a, b) => {
            const ra = STATE_RANK[a.State] ?? 2;
            const rb = STATE_RANK[b.State] ?? 2;
            return ra - rb || a.Service.localeCompare(b.Service);
        });
        const body = $("services").tBodies[0];
        body.replaceChildren(...list.map(p => {
            const problems = (p.Problems || []).concat(p.BlockedBy ? ["blocked by " + p.BlockedBy] : [],
                                                       (p.WaitingFor || []).length ? ["waiting for " + p.WaitingFor.join(", ")] : [],
                                                       p.Waiting ? [p.Waiting] : [], unhealthy(p) ? [p.Health] : []);
            return el("tr", { "data-service": p.Service, "data-state": p.State },
                      el("td", {}, el("a", { href: "#/service/" + encodeURIComponent(p.Service), text: p.Service }),
                         p.Description ? el("div", { "class": "description", text: p.Description }) : null),
                      el("td", {}, stateBadge(p.State), unhealthy(p) ? el("span", { "class": "unhealthy", text: " unhealthy" }) : null),
                      el("td", { text: p.Context }),
                      el("td", { "class": "last-run", text: lastRun(p) }),
                      el("td", { "class": "restarts", text: String(p.Restarts || 0) }),
                      el("td", { "class": "problems" }, ...problems.map(t => el("div", { text: t }))));
        }));
        $("no-services").hidden = list.length > 0 || !services;
        renderGraph(list);
    }

    // layers places each service one layer after the deepest service it requires (a cycle,
    // which herod reports as bad-config, is cut where it closes).
    function layers(list) {
        const known = new Map(list.map(p => [p.Service, p]));
        const layer = new Map();
        const visiting = new Set();
        function depth(name) {
            if (layer.has(name)) return layer.get(name);
            if (visiting.has(name) || !known.has(name)) return -1;
            visiting.add(name);
            let d = 0;
            for (const r of known.get(name).Requires || []) d = Math.max(d, depth(r) + 1);
            visiting.delete(name);
            layer.set(name, d);
            return d;
        }
        list.forEach(p => depth(p.Service));
        return layer;
    }

    function renderGraph(list) {
        const box = $("graph");
        if (list.length === 0) { box.replaceChildren(); return }
        const layer = layers(list);
        const columns = [];
        for (const p of [...list].sort((a, b) => a.Service.localeCompare(b.Service))) {
            const l = layer.get(p.Service);
            (columns[l] = columns[l] || []).push(p);
        }
        const W = 150; const H = 44; const GX = 70; const GY = 22; const PAD = 16;
        const pos = new Map();
        const rows = Math.max(...columns.map(c => (c || []).length));
        columns.forEach((col, x) => (col || []).forEach((p, y) => {
            // Centre short columns against the tallest one.
            const offset = (rows - col.length) * (H + GY) / 2;
            pos.set(p.Service, { x: PAD + x * (W + GX), y: PAD + offset + y * (H + GY) });
        }));
        // Room on the right for the arcs between services of one column.
        const width = PAD * 2 + columns.length * W + (columns.length - 1) * GX + GX / 2;
        const height = PAD * 2 + rows * H + (rows - 1) * GY;
        const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "dependency graph" });
        const defs = svg("defs");
        const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
        marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrowhead" }));
        defs.append(marker);
        root.append(defs);
        const edges = [];
        for (const p of list) {
            for (const r of p.Requires || []) edges.push([p.Service, r, "requires"]);
            for (const a of p.After || []) edges.push([p.Service, a, "after"]);
            for (const c of p.Conflicts || []) if (p.Service < c) edges.push([p.Service, c, "conflicts"]);
        }
        for (const [from, to, kind] of edges) {
            const a = pos.get(from); const b = pos.get(to);
            if (!a || !b) continue;
            // An edge points from the dependent to what it needs (as heroctl graph draws it).
            const backwards = b.x < a.x;
            const x1 = backwards ? a.x : a.x + W; const x2 = backwards ? b.x + W : b.x;
            const sameColumn = a.x === b.x;
            const d = sameColumn
                ? `M ${a.x + W} ${a.y + H / 2} C ${a.x + W + GX / 2} ${a.y + H / 2}, ${b.x + W + GX / 2} ${b.y + H / 2}, ${b.x + W} ${b.y + H / 2}`
                : `M ${x1} ${a.y + H / 2} C ${(x1 + x2) / 2} ${a.y + H / 2}, ${(x1 + x2) / 2} ${b.y + H / 2}, ${x2} ${b.y + H / 2}`;
            root.append(svg("path", { d, "class": "edge edge-" + kind, "data-from": from, "data-to": to, "data-kind": kind, "marker-end": kind === "conflicts" ? "" : "url(#arrow)" }));
        }
        for (const p of list) {
            const { x, y } = pos.get(p.Service);
            const link = svg("a", { href: "#/service/" + encodeURIComponent(p.Service), "class": "node", "data-service": p.Service, "data-state": p.State });
            link.append(svg("rect", { x, y, width: W, height: H, rx: 6, "class": "node-box state-fill-" + p.State }));
            const label = svg("text", { x: x + W / 2, y: y + 18, "text-anchor": "middle", "class": "node-name" });
            label.textContent = p.Service;
            const state = svg("text", { x: x + W / 2, y: y + 34, "text-anchor": "middle", "class": "node-state" });
            state.textContent = p.State;
            link.append(label, state);
            root.append(link);
        }
        box.replaceChildren(root);
    }

    /* A service's page: its head and actions, relations, runs, output and unit. */

    function renderService(name) {
        const p = byName(name);
        const head = $("service-head");
        if (!p) {
            head.replaceChildren(el("h2", { text: name }), el("p", { "class": "refused", text: services ? "herod does not define this service." : "Loading…" }));
            return;
        }
        const canAct = admin && admin.allowed === true;
        const why = "Administrative access is needed to start, stop, restart or reload services.";
        const button = (label, verb) => el("button", {
            id: "action-" + verb, text: label, "data-verb": verb,
            title: canAct ? label + " " + name + ": the plan is shown first" : why,
            onclick: () => openPlan(name, verb),
        });
        const actions = [button("Start", "start"), button("Stop", "stop"), button("Restart", "restart")];
        // Reload only where the config sets reload or reload_signal (as Cockpit's own services
        // page offers it where systemd's CanReload says so), and only while the service runs.
        if (p.CanReload) {
            const reload = button("Reload", "reload");
            reload.title = canAct ? `Reload ${name}: it reads its configuration again, without a restart` : why;
            if (canAct && !reloadable(p)) {
                reload.disabled = true;
                reload.title = `${name} does not run: a reload needs a running service (start it instead)`;
            }
            actions.push(reload);
        }
        if (!canAct) actions.forEach(b => { b.disabled = true });
        head.replaceChildren(...[
            el("div", { "class": "head-line" }, el("h2", { id: "service-name", text: name }), stateBadge(p.State),
               el("div", { "class": "actions" }, ...actions)),
            el("p", { "class": "description", text: p.Description || "" }),
            el("p", { "class": "facts", text: `Unit ${p.Unit} · context ${p.Context} · systemd ${p.LoadState}, ${p.ActiveState}/${p.SubState}` +
                      (p.MainPID ? ` · main PID ${p.MainPID}` : "") + ` · restarts ${p.Restarts || 0} · ${p.Enabled || ""}` +
                      (p.Stale ? " · stale: the config changed since its unit was made (restart applies it)" : "") }),
            canAct ? null : el("p", { "class": "hint", id: "limited-hint", text: why }),
            p.Waiting ? el("p", { "class": "waiting", text: p.Waiting }) : null,
            p.Health ? el("p", { "class": unhealthy(p) ? "refused unhealthy" : "health", text: "health: " + p.Health }) : null,
            ...(p.Problems || []).map(t => el("p", { "class": "refused problem", text: t }))].filter(Boolean));
        renderRelations(p);
        renderRuns(name);
        if (shownUnitFor !== name) {
            shownUnitFor = name;
            loadUnitText(name);
            $("output").hidden = true;
        }
    }

    function serviceLinks(names) {
        if (!names || names.length === 0) return [el("span", { "class": "none", text: "none" })];
        return names.map(n => el("a", { href: "#/service/" + encodeURIComponent(n), "class": "rel", "data-service": n, text: n }));
    }

    function renderRelations(p) {
        const rows = [["Requires", p.Requires, "requires"], ["Required by", requiredBy(p.Service), "required-by"],
                      ["After", p.After, "after"], ["Conflicts", p.Conflicts, "conflicts"]];
        $("relations").replaceChildren(...rows.flatMap(([label, names, key]) => [
            el("dt", { text: label }), el("dd", { id: "rel-" + key }, ...serviceLinks(names))]));
    }

    function renderRuns(name) {
        const list = jobsOf(name);
        $("runs").tBodies[0].replaceChildren(...list.map(j => el("tr", { "data-job": String(j.Id), "data-phase": j.Phase },
            el("td", { text: String(j.Id) }),
            el("td", {}, el("span", { "class": "phase phase-" + j.Phase, text: j.Phase })),
            el("td", { text: j.Result || "" }),
            el("td", { text: j.ExitCode >= 0 ? String(j.ExitCode) : "" }),
            el("td", { text: j.Signal || "" }),
            el("td", { text: time(j.StartedAt) }),
            el("td", { text: time(j.EndedAt) }),
            el("td", { text: String(j.Restarts || 0) }),
            el("td", {}, el("button", { "class": "link", "data-output": String(j.Id), text: "Output", onclick: () => showOutput(name, j.Id) })))));
        $("no-runs").hidden = list.length > 0;
    }

    function loadUnitText(name) {
        const pre = $("unit-text");
        pre.textContent = "…";
        client.call(MANAGER_PATH, MANAGER, "UnitText", [name])
                .then(([text]) => { if (shownUnitFor === name) pre.textContent = text })
                .catch(ex => { if (shownUnitFor === name) pre.textContent = explain(ex) });
    }

    // showOutput asks herod for a run's output: root and the groups adm and systemd-journal may
    // read it (the bus policy and herod both check), others are told so, as heroctl tells them.
    function showOutput(name, id) {
        const box = $("output");
        box.hidden = false;
        $("output-title").textContent = `Output of ${name}, job ${id}`;
        $("output-text").textContent = "…";
        $("output-text").hidden = false;
        $("output-refused").hidden = true;
        box.setAttribute("data-job", String(id));
        box.setAttribute("data-outcome", "loading");
        client.call(MANAGER_PATH, MANAGER, "JobOutput", [name, id])
                .then(([, output]) => {
                    const bytes = cockpit.base64_decode(output, Uint8Array);
                    const text = new TextDecoder().decode(bytes);
                    $("output-text").textContent = text || "(no output)";
                    box.setAttribute("data-outcome", "shown");
                })
                .catch(ex => {
                    $("output-text").hidden = true;
                    const refused = $("output-refused");
                    refused.hidden = false;
                    const denied = /AccessDenied/.test(ex.name || "");
                    // The bus's own message (its policy's rule) stays in the tooltip.
                    refused.textContent = denied
                        ? "Refused: a run's output is shown to root and members of the groups adm and systemd-journal only (as the journal, and as heroctl). (" + ex.name + ")"
                        : explain(ex);
                    refused.title = (ex && ex.message) || "";
                    box.setAttribute("data-outcome", denied ? "refused" : "error");
                });
    }

    /* Acting: the plan first (herod's dry run), then the operation and its progress. */

    // A reload has no plan of herod's: it touches no other service (reloadPlan says so).
    const VERBS = {
        start: { title: "Start", plan: "StartPlan", method: "Start", args: [true] },
        stop: { title: "Stop", plan: "StopPlan", method: "Stop", args: [false] },
        restart: { title: "Restart", plan: "StopPlan", method: "Restart", args: [] },
        reload: { title: "Reload", plan: null, method: "ReloadService", args: [] },
    };

    function running(n) {
        const p = byName(n);
        return !!p && ["running", "activating"].includes(p.State);
    }

    // reloadable: herod reloads a unit that runs or reloads already, not one still starting
    // (bridge/state.Reloadable).
    function reloadable(p) {
        return ["active", "reloading"].includes(p.ActiveState);
    }

    // reloadPlan is the dialog's account of a reload: what it does, and that the service keeps
    // its process.
    function reloadPlan(name) {
        const p = byName(name);
        const pid = p && p.MainPID ? ` (main PID ${p.MainPID})` : "";
        $("dialog-body").replaceChildren(el("p", { id: "plan-lead",
            text: `Reloading ${name} makes it read its configuration again: systemd runs its reload command, or sends its reload signal to its main process. ` +
                  `It keeps running${pid}, with the same run; no other service is touched.` }));
        $("dialog").setAttribute("data-phase", "planned");
        $("dialog-confirm").disabled = false;
        $("dialog-confirm").onclick = () => act(name, "reload");
    }

    // planText is the dialog's account of herod's plan. A stop (and the stop of a restart) lists
    // only what runs, in its stop order, and names the rest as heroctl does: "Not running, left
    // as they are".
    function planText(verb, name, plan) {
        const order = plan[0] || [];
        if (verb === "start") {
            const pulled = order.filter(n => n !== name && !running(n));
            return {
                lead: pulled.length
                    ? `Starting ${name} first starts what it requires that does not run yet: ${pulled.join(", ")}.`
                    : `Starting ${name} starts no other service: everything it requires runs already.`,
                order,
                idle: [],
                kind: "start",
            };
        }
        const dependents = plan[2] || [];
        const taken = dependents.filter(running);
        const stops = order.filter(running);
        const idle = order.filter(n => !running(n));
        const lead = verb === "stop"
            ? (stops.length === 0
                ? `Stopping ${name} stops nothing: none of its ${order.length} service(s) runs.`
                : taken.length
                    ? `Stopping ${name} first stops the running services that require it: ${taken.join(", ")}.`
                    : `Stopping ${name} stops no other service: nothing that requires it runs.`)
            : (taken.length
                ? `Restarting ${name} stops the running services that require it (${taken.join(", ")}), then starts ${name} and them again.`
                : `Restarting ${name} touches no other service: nothing that requires it runs.`);
        return { lead, order: stops, idle, kind: "stop" };
    }

    // renderPlanBadges keeps the states in an open dialog's plan current (they change as the
    // operation goes on, and after it).
    function renderPlanBadges() {
        if ($("dialog-backdrop").hidden) return;
        for (const li of $("dialog-body").querySelectorAll("li[data-service]")) {
            const p = byName(li.getAttribute("data-service"));
            const state = p ? p.State : "unknown";
            const badge = li.querySelector(".state");
            if (badge && badge.getAttribute("data-state") !== state) badge.replaceWith(stateBadge(state));
        }
    }

    function openPlan(name, verb) {
        const v = VERBS[verb];
        $("dialog-title").textContent = `${v.title} ${name}`;
        $("dialog").setAttribute("data-verb", verb);
        $("dialog").setAttribute("data-phase", "planning");
        $("dialog-body").replaceChildren(el("p", { text: "Asking herod for the plan…" }));
        $("dialog-progress").replaceChildren();
        $("dialog-error").hidden = true;
        const confirm = $("dialog-confirm");
        confirm.textContent = v.title;
        confirm.disabled = true;
        confirm.hidden = false;
        $("dialog-cancel").textContent = "Cancel";
        $("dialog").setAttribute("data-for", cockpit.location.href);
        $("dialog-backdrop").hidden = false;
        const p = byName(name);
        if (p && p.State === "bad-config" && verb !== "stop" && verb !== "reload") {
            // herod refuses to start it (InvalidConfig) and has no plan for it (StartPlan says
            // NoSuchService): say why here, from herod's own account of the problems. (A reload
            // has no plan: herod decides, and says why when it refuses.)
            fail(`${name} is bad-config: fix its file, then reload (heroctl daemon-reload). ` + (p.Problems || []).join("; "));
            return;
        }
        if (!v.plan) {
            reloadPlan(name);
            return;
        }
        client.call(MANAGER_PATH, MANAGER, v.plan, [name])
                .then(plan => {
                    const t = planText(verb, name, plan);
                    const steps = el("ol", { id: "plan-order", "class": "plan" }, ...t.order.map(n => {
                        const p = byName(n);
                        return el("li", { "data-service": n }, el("span", { text: n }), " ", stateBadge(p ? p.State : "unknown"));
                    }));
                    $("dialog-body").replaceChildren(...[el("p", { id: "plan-lead", text: t.lead }),
                        t.order.length ? el("p", { "class": "hint", text: t.kind === "start" ? "Start order:" : "Stop order (most dependent first):" }) : null,
                        t.order.length ? steps : null,
                        t.idle.length ? el("p", { id: "plan-idle", "class": "hint", text: `Not running, left as they are: ${t.idle.join(", ")}.` }) : null,
                    ].filter(Boolean));
                    $("dialog").setAttribute("data-phase", "planned");
                    confirm.disabled = false;
                    confirm.onclick = () => act(name, verb);
                })
                .catch(ex => fail(explain(ex)));
    }

    function fail(text) {
        const e = $("dialog-error");
        e.textContent = text;
        e.hidden = false;
        $("dialog").setAttribute("data-phase", "refused");
        $("dialog-confirm").hidden = true;
        $("dialog-cancel").textContent = "Close";
    }

    function closeDialog() {
        $("dialog-backdrop").hidden = true;
        $("dialog-confirm").onclick = null;
        $("dialog").removeAttribute("data-for");
    }

    // A route change (another service, the overview, the browser's back) closes the dialog: it
    // is about the page it was opened on. An operation under way goes on in herod.
    function routeChanged() {
        const open = $("dialog").getAttribute("data-for");
        if (open !== null && open !== cockpit.location.href) closeDialog();
        queueRender();
    }

    function act(name, verb) {
        const v = VERBS[verb];
        $("dialog-confirm").disabled = true;
        $("dialog").setAttribute("data-phase", "acting");
        $("dialog-cancel").textContent = "Close";
        client.call(MANAGER_PATH, MANAGER, v.method, [name, ...v.args])
                .then(reply => {
                    const op = reply[0];
                    const list = reply[1] || [];
                    if (!op) {
                        progressLine(verb === "start" ? `${name} runs already: nothing to do.` : `Nothing to ${verb}: nothing runs.`);
                        done();
                        return;
                    }
                    progressLine(`Operation ${op}: ${(verb === "reload" ? [name] : list).join(", ") || "nothing"}`);
                    watchOperation(op, (kind, args) => {
                        if (kind === "progress") {
                            const [, service, event, job, detail] = args;
                            progressLine(`${service}: ${event}` + (job ? ` (job ${job})` : "") + (detail ? ` — ${detail}` : ""), event);
                        } else {
                            const [, error, message] = args;
                            if (!error) {
                                done();
                                return;
                            }
                            // The signal carries what every user may read (a failed start
                            // without the service's last lines); herod tells this caller the
                            // whole error, as far as it may read it.
                            client.call(MANAGER_PATH, MANAGER, "OperationStatus", [op], { type: "t" })
                                    .then(([state, name, text]) => fail(explain(state === "finished" && name === error
                                        ? { name, message: text } : { name: error, message })))
                                    .catch(() => fail(explain({ name: error, message })));
                        }
                    });
                })
                .catch(ex => fail(explain(ex)));
    }

    function done() {
        $("dialog").setAttribute("data-phase", "done");
        progressLine("Done.");
        $("dialog-confirm").hidden = true;
    }

    function progressLine(text, event) {
        $("dialog-progress").append(el("li", { "class": event ? "event-" + event : "", text }));
    }

    function watchOperation(op, callback) {
        const key = String(op);
        operationWatchers.set(key, callback);
        for (const [kind, args] of operationEvents.get(key) || []) callback(kind, args);
        operationEvents.delete(key);
    }

    function operationSignal(kind, args) {
        const key = String(args[0]);
        const watcher = operationWatchers.get(key);
        if (watcher) {
            watcher(kind, args);
            if (kind === "finished") operationWatchers.delete(key);
            return;
        }
        if (!operationEvents.has(key)) operationEvents.set(key, []);
        operationEvents.get(key).push([kind, args]);
        // Others' operations are not kept beyond a few.
        if (operationEvents.size > 50) operationEvents.delete(operationEvents.keys().next().value);
    }

    /* Start: one bus connection, the proxies, the signals. */

    function init() {
        $("dialog-cancel").addEventListener("click", closeDialog);
        cockpit.addEventListener("locationchanged", routeChanged);
        admin = cockpit.permission({ admin: true });
        admin.addEventListener("changed", queueRender);

        client = cockpit.dbus(BUS_NAME, { bus: "system", superuser: "try" });
        client.addEventListener("close", (event, options) => {
            showBanner("Lost the connection to herod (org.hero.Proc1): " + cockpit.message(options) + ". Reload the page once herod runs.");
        });
        // One watch of the manager's subtree: the bridge reads it through the ObjectManager and
        // follows InterfacesAdded, InterfacesRemoved and PropertiesChanged.
        client.watch({ path_namespace: MANAGER_PATH });
        services = client.proxies(SERVICE, MANAGER_PATH + "/service");
        jobs = client.proxies(JOB, MANAGER_PATH + "/job");
        for (const collection of [services, jobs]) {
            for (const event of ["added", "changed", "removed"]) collection.addEventListener(event, queueRender);
        }
        services.addEventListener("added", readObjectless);
        services.addEventListener("removed", readObjectless);
        client.subscribe({ interface: MANAGER, path: MANAGER_PATH, member: "ServiceStateChanged" }, readObjectless);
        client.subscribe({ interface: MANAGER, path: MANAGER_PATH, member: "OperationProgress" },
                         (path, iface, signal, args) => operationSignal("progress", args));
        client.subscribe({ interface: MANAGER, path: MANAGER_PATH, member: "OperationFinished" },
                         (path, iface, signal, args) => operationSignal("finished", args));
        Promise.all([services.wait(), jobs.wait()])
                .then(() => { showBanner(""); readObjectless(); queueRender() })
                .catch(ex => showBanner("herod (org.hero.Proc1) does not answer: " + explain(ex)));
        // Until the first answer: say so rather than show an empty list.
        client.call(MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", [])
                .catch(ex => showBanner("herod (org.hero.Proc1) does not answer on the system bus: " + explain(ex) +
                                        ". Is hero-systemd installed and herod running (systemctl status herod)?"));
        queueRender();
    }

    document.addEventListener("DOMContentLoaded", init);
}());
