#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service
short_description: Start, stop, restart, reload and enable hero services run by herod
version_added: "0.1.0"
description:
  - Drives herod, the hero-systemd daemon, on the target through C(heroctl). It acts on hero services
    (hero TOML and zinit YAML configs in C(/etc/hero/services)) that herod runs as transient
    systemd units. It never edits units or configs; use M(hero.systemd.config) for those.
  - Starting a service starts what it requires first (its start closure), as C(heroctl start)
    does. Stopping a service first stops every service that requires it (the cascade), as
    C(heroctl stop) does; the result names those dependents.
  - Reloading a service (C(state=reloaded)) makes it read its configuration again without a
    restart, as C(heroctl reload) does. systemd runs the config's C(reload) command, or sends its
    C(reload_signal) to the main process only; the service keeps its main process and its run.
  - Idempotent. A service that already runs is left alone and reports C(changed=false); a
    stopped one is not stopped again. C(restarted) and C(reloaded) always act, and always report
    C(changed=true), as ansible.builtin.systemd_service's do.
  - In check mode nothing changes. The result says what would change and carries herod's own
    plan (C(heroctl start --dry-run) or C(heroctl stop --dry-run)) in C(plan); with C(--diff)
    the services' states before and after are shown.
  - Changing services needs root on the target (C(become)), or a polkit rule granting
    C(org.hero.proc1.manage-services); the module never waits for a password.
options:
  name:
    description:
      - The hero service, or a list of services (names as in C(heroctl list-units)).
      - Several names in one task start together (one start of their joint closure), and stop
        or reload one after the other, in the order given.
    type: list
    elements: str
    required: true
    aliases: [names, service]
  state:
    description:
      - C(started) starts the services (and what they require) unless they run.
      - C(stopped) stops each running service and its dependents.
      - C(restarted) always restarts (as C(heroctl restart)); a running service is stopped with
        its cascade and started again with the dependents that ran; a stopped one is started.
      - C(reloaded) always reloads a running service (as C(heroctl reload)); it reads its
        configuration again, with the same main process, and nothing else is touched. A service
        that does not run is started instead (with what it requires), as
        ansible.builtin.systemd_service starts a stopped unit on C(reloaded); one still starting
        (activating) is left to finish its start, in which it reads its configuration anyway.
      - With C(reloaded), a running service whose config sets neither C(reload) nor
        C(reload_signal) (herod's C(CanReload) is false) fails the task before any service is
        reloaded or started, in check mode too, with heroctl's refusal; restart it instead
        (C(state=restarted)). So does one whose running unit was made before its config set one
        (its unit is stale; C(state=restarted) or M(hero.systemd.apply) first), though only when
        the reload is tried, as check mode cannot tell.
      - Omitted, only C(enabled) is acted on.
    type: str
    choices: [started, stopped, restarted, reloaded]
  enabled:
    description:
      - Whether herod starts the services whenever herod starts (at boot), as
        C(heroctl enable)/C(heroctl disable). herod keeps this in its own state; the config
        files are not edited. Acted on before C(state).
    type: bool
  timeout:
    description:
      - How many seconds heroctl waits for a start, stop, restart or reload to finish (C(heroctl --timeout)).
        The operation goes on in herod after that; the task then fails. C(0) waits until it ends.
    type: int
    default: 300
requirements:
  - The hero-systemd package (herod running, heroctl on the PATH) on the target.
  - python3 on the target.
author:
  - hero-systemd developers
notes:
  - Supports check mode and diff mode.
  - A oneshot service that ran to its end is inactive, so C(state=started) runs it again (as
    ansible.builtin.systemd_service does with a oneshot unit), and so does C(state=reloaded).
seealso:
  - module: hero.systemd.config
  - module: ansible.builtin.systemd_service
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Start the web front (and the API and database it requires); start it at boot too
  hero.systemd.service:
    name: web
    state: started
    enabled: true
  become: true

- name: Start several services together
  hero.systemd.service:
    name: [web, worker]
    state: started
  become: true

- name: What would stopping the database take down? (nothing is stopped)
  hero.systemd.service:
    name: db
    state: stopped
  check_mode: true
  register: plan

- name: Show the cascade herod would run
  ansible.builtin.debug:
    msg: "stopping db would stop {{ plan.would_stop }} ({{ plan.plan[0].order }})"

- name: Stop the database and every service that requires it
  hero.systemd.service:
    name: db
    state: stopped
  become: true
  register: stopped

- name: Restart the API after a config change (its running dependents come back too)
  hero.systemd.service:
    name: api
    state: restarted
  become: true

# In a play that changes the proxy's own configuration file; its hero config sets
# reload = ["/usr/sbin/nginx", "-s", "reload"] (or reload_signal = "SIGHUP").
- name: Place the proxy's site
  ansible.builtin.template:
    src: site.conf.j2
    dest: /etc/nginx/sites-enabled/site.conf
  become: true
  notify: Reload the proxy

# handlers:
- name: Reload the proxy (the same process; started if it was not running)
  hero.systemd.service:
    name: proxy
    state: reloaded
  become: true
"""

RETURN = r"""
name:
  description: The services the task was about.
  returned: always
  type: list
  elements: str
  sample: [web]
started:
  description: Services started by this task, dependencies first (for a restart, the service
    itself; for a reload, the services that did not run, and what they require). Empty in check
    mode.
  returned: always
  type: list
  elements: str
  sample: [db, api, web]
stopped:
  description: Services of C(name) stopped by this task. Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: [db]
stopped_dependents:
  description: Services stopped because they require a stopped service (the cascade), most
    dependent first. Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: [web, worker, api]
restarted_dependents:
  description: Dependents that ran before a restart and were started again with it.
  returned: always
  type: list
  elements: str
  sample: [web, worker]
reloaded:
  description: Services this task reloaded (C(state=reloaded)), in the order given. Empty in
    check mode.
  returned: always
  type: list
  elements: str
  sample: [proxy]
enabled_changed:
  description: Services whose enablement this task changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
  sample: [web]
would_start:
  description: In check mode, the services a start, restart or reload would start (the plan's
    order, less what already runs; for a restart, the service and its running dependents; for a
    reload, what a start of the services that do not run would start).
  returned: check mode
  type: list
  elements: str
  sample: [db, api, web]
would_reload:
  description: In check mode, the running services a reload would reload, in the order given.
  returned: check mode
  type: list
  elements: str
  sample: [proxy]
would_stop:
  description: In check mode, the running services a stop or restart would stop, in herod's
    cascade order (dependents first, the named service last).
  returned: check mode
  type: list
  elements: str
  sample: [web, worker, api, db]
plan:
  description:
    - herod's dry-run plans for the change, as C(heroctl start --dry-run -o json)
      (keys C(service), C(order), C(waves), C(dependencies)) and C(heroctl stop --dry-run -o json)
      (keys C(service), C(order), C(waves), C(stopped_dependents)) print them. A plan lists every
      service of the closure or cascade, running or not.
    - Filled in check mode and in a real run alike; empty when nothing was to change.
  returned: always
  type: list
  elements: dict
  sample: [{service: web, order: [db, api, web], waves: [[db], [api], [web]], dependencies: [db, api]}]
status:
  description: systemd's ActiveState of each named service's unit after the task (in check mode,
    as it is now).
  returned: always
  type: dict
  sample: {web: active}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hero.systemd.plugins.module_utils.heroctl import (
    EXIT_NOT_ACTIVE,
    EXIT_OK,
    Heroctl,
    reloadable,
    running,
    unique,
)


def new_result(names):
    return dict(changed=False, name=names, started=[], stopped=[], stopped_dependents=[],
                restarted_dependents=[], reloaded=[], enabled_changed=[], plan=[], status={})


def apply_enabled(module, hero, names, enabled, result):
    """Enables or disables the services whose enablement differs from enabled."""
    want = "enabled" if enabled else "disabled"
    now = hero.enabled_states(names)
    todo = [n for n in names if now[n] != want]
    if not todo:
        return
    result["changed"] = True
    result["enabled_changed"] = todo
    if not module.check_mode:
        hero.check(["enable" if enabled else "disable"] + todo)


def wait_flag(timeout):
    return ["--timeout", "%ds" % timeout] if timeout > 0 else []


def start(module, hero, names, before, result):
    """Starts the services that do not run, together, after what they require."""
    start_these(module, hero, [n for n in names if not running(before[n])], result)


def start_these(module, hero, todo, result):
    """Starts todo together, after what they require (in check mode, plans it)."""
    if not todo:
        return
    plan = hero.json(["start", "--dry-run"] + todo)
    result["plan"].append(plan)
    if module.check_mode:
        states = hero.active_states(plan["order"])
        result["would_start"] = [s for s in plan["order"] if not running(states[s])]
        result["changed"] = result["changed"] or bool(result["would_start"])
        return
    done = hero.json(["start"] + todo + wait_flag(module.params["timeout"]))
    result["started"] = done.get("started") or []
    if done.get("failed"):
        module.fail_json(msg="herod could not start %s" % ", ".join(done["failed"]), **result)
    result["changed"] = result["changed"] or bool(result["started"])


def stop(module, hero, names, before, result):
    """Stops each running service with its cascade, one name after the other."""
    todo = [n for n in names if running(before[n])]
    would = []
    for name in todo:
        plan = hero.json(["stop", "--dry-run", name])
        result["plan"].append(plan)
        if module.check_mode:
            states = hero.active_states(plan["order"])
            would += [s for s in plan["order"] if running(states[s])]
            continue
        # An earlier name's cascade may have stopped this one already.
        if not running(hero.active_states([name])[name]):
            continue
        done = hero.json(["stop", name] + wait_flag(module.params["timeout"]))
        result["stopped"].append(name)
        result["stopped_dependents"] += done.get("stopped_dependents") or []
    if module.check_mode:
        result["would_stop"] = unique(would)
        result["changed"] = result["changed"] or bool(result["would_stop"])
        return
    result["stopped_dependents"] = unique(result["stopped_dependents"])
    result["changed"] = result["changed"] or bool(result["stopped"])


def restart(module, hero, names, before, result):
    """Restarts each service (a stopped one is started), as heroctl restart does."""
    result["changed"] = True
    if module.check_mode:
        result["would_stop"], result["would_start"] = [], []
        for name in names:
            verb = "stop" if running(before[name]) else "start"
            plan = hero.json([verb, "--dry-run", name])
            result["plan"].append(plan)
            states = hero.active_states(plan["order"])
            if verb == "stop":
                again = [s for s in plan["order"] if running(states[s])]
                result["would_stop"] += again
                result["would_start"] += list(reversed(again))
            else:
                result["would_start"] += [s for s in plan["order"] if not running(states[s])]
        result["would_stop"] = unique(result["would_stop"])
        result["would_start"] = unique(result["would_start"])
        return
    for name in names:
        done = hero.json(["restart", name] + wait_flag(module.params["timeout"]))
        result["started"] += done.get("started") or []
        result["restarted_dependents"] += done.get("restarted_dependents") or []


def refuse_unreloadable(module, hero, todo, result):
    """Fails the task, before anything is reloaded, if a service of todo cannot be reloaded.

    herod's CanReload says whether a config sets reload or reload_signal. In check mode the
    module says so itself; otherwise the services that cannot be reloaded come first in the
    returned order, so heroctl's own refusal (which comes at once, nothing done) fails the task."""
    can = hero.can_reload(todo)
    cannot = [n for n in todo if can.get(n) is False]
    if not cannot:
        return todo
    if module.check_mode:
        module.fail_json(msg="%s cannot be reloaded: the config sets neither reload (a command) nor "
                             "reload_signal (herod's CanReload is false); restart instead (state: restarted)"
                         % ", ".join(cannot), cannot_reload=cannot, **result)
    return cannot + [n for n in todo if n not in cannot]


def reload_or_start(module, hero, names, before, result):
    """Reloads each running service, one after the other; starts those that do not run.

    As ansible.builtin.systemd_service's reloaded: always changed, and a service that does not
    run is started (a reload has nothing to act on)."""
    todo = refuse_unreloadable(module, hero, [n for n in names if reloadable(before[n])], result)
    idle = [n for n in names if not running(before[n])]
    if module.check_mode:
        result["would_reload"] = todo
    for name in [] if module.check_mode else todo:
        args = ["reload", name] + wait_flag(module.params["timeout"])
        rc, out, err = hero.run(args)
        if rc == EXIT_NOT_ACTIVE:
            idle.append(name)  # it ended since it was asked about: start it, as a stopped one
            continue
        if rc != EXIT_OK:
            result["changed"] = result["changed"] or bool(result["reloaded"])
            hero.fail(args, rc, out, err, **result)
        result["reloaded"].append(name)
    start_these(module, hero, idle, result)
    result["changed"] = True


def state_text(states, marks=None):
    marks = marks or {}
    return "".join("%s: %s%s\n" % (name, states[name], marks.get(name, "")) for name in sorted(states))


def predicted(before, result):
    """The states check mode expects after the change, for the diff."""
    after = dict(before)
    for name in result.get("would_stop", []):
        after[name] = "inactive"
    for name in result.get("would_start", []):
        after[name] = "active"
    return after


def finish(module, hero, names, before, result):
    """Fills status (and the diff of states) after the change, or as check mode expects it."""
    involved = unique(names + result["started"] + result["stopped_dependents"] +
                      result.get("would_start", []) + result.get("would_stop", []))
    others = [n for n in involved if n not in before]
    was = dict(before)
    if module.check_mode:
        was.update(hero.active_states(others))
        after = predicted(was, result)
        result["status"] = dict((n, before[n]) for n in names)
    else:
        # What this task started did not run before; what its cascade stopped did.
        for n in others:
            was[n] = "active" if n in result["stopped_dependents"] else "inactive"
        after = hero.active_states(involved)
        result["status"] = dict((n, after[n]) for n in names)
    if module._diff and result["changed"]:
        reloads = result["reloaded"] + result.get("would_reload", [])
        marks = dict((n, " (reloaded)") for n in reloads)
        result["diff"] = dict(before=state_text(was), after=state_text(after, marks),
                              before_header="herod: states before", after_header="herod: states after")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True, aliases=["names", "service"]),
            state=dict(type="str", choices=["started", "stopped", "restarted", "reloaded"]),
            enabled=dict(type="bool"),
            timeout=dict(type="int", default=300),
        ),
        required_one_of=[["state", "enabled"]],
        supports_check_mode=True,
    )
    names = unique(module.params["name"])
    if not names:
        module.fail_json(msg="name: give at least one service")
    hero = Heroctl(module)
    result = new_result(names)
    # is-active also fails the task, with heroctl's message, for a service herod does not know.
    before = hero.active_states(names)
    if module.params["enabled"] is not None:
        apply_enabled(module, hero, names, module.params["enabled"], result)
    state = module.params["state"]
    if state == "started":
        start(module, hero, names, before, result)
    elif state == "stopped":
        stop(module, hero, names, before, result)
    elif state == "restarted":
        restart(module, hero, names, before, result)
    elif state == "reloaded":
        reload_or_start(module, hero, names, before, result)
    finish(module, hero, names, before, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
