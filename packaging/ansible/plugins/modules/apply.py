#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply
short_description: Make the hero services that run match their configs (heroctl apply)
version_added: "0.1.0"
description:
  - Runs C(heroctl apply) on the target. herod reads its config directory as it is on disk and
    checks it by its own rules (a problem in any file fails the task with herod's file, line,
    key and problem, and nothing changes); then, holding every service's lock, it works out the
    plan and does exactly that. Every running service whose definition differs from the unit
    systemd runs is stopped with the running services that require it, and all of them start
    again on their new definitions, dependencies first; services no file defines any more are
    stopped; herod loads the directory (services added or changed while stopped are known from
    then on, not started). Unchanged services are not touched.
  - This is C(ansible.builtin.systemd_service)'s C(daemon_reload) and restart in one step, for
    exactly what changed. Use it as a handler that M(hero.systemd.config) tasks notify.
  - Reports C(changed) only when something was restarted or stopped. Idempotent, a second run
    finds nothing to do.
  - In check mode nothing changes (not even what herod has loaded). The result carries herod's
    plan (C(heroctl apply --dry-run)); with C(--diff) the diff is that plan, each changed
    unit's unified diff and what restarts and stops. Configs that other tasks would write in
    check mode are not on disk, so their changes are not in this plan; M(hero.systemd.config)
    reports, in check mode, the apply plan with its own file in place.
  - A service whose new definition fails to start fails the task (with what started and what
    failed); what requires it is not started, everything else keeps running, and the next apply,
    after a fix, starts what is left.
  - The diffs hold no secret, so Ansible's output and logs hold none. They mask the values of
    the services' environments (C(heroctl apply --mask-env)), and the diff of a unit whose
    config file other users may not read (C(0600)) is replaced by a line that says so, as
    M(hero.systemd.config) shows nothing of such a file. herod shows the whole diff to root
    (C(become)), and Ansible's output reaches more people than the file; C(show_env=true) shows
    the diffs as herod shows them to root.
options:
  show_env:
    description:
      - Show the diffs as herod shows them to root (C(become)), with environment values and
        the diffs of units whose config file other users may not read.
    type: bool
    default: false
  config_dir:
    description:
      - herod's config directory (its C(--config-dir)), where the modes of the files are read
        to tell which diffs to withhold. A file not found there has its diff withheld.
    type: path
    default: /etc/hero/services
  timeout:
    description:
      - How many seconds heroctl waits for the apply to finish (C(heroctl --timeout)). The apply
        goes on in herod after that; the task then fails. C(0) waits until it ends.
    type: int
    default: 300
requirements:
  - The hero-systemd package (herod running, heroctl on the PATH) on the target.
  - python3 on the target.
  - root on the target (C(become)), or a polkit rule granting C(org.hero.proc1.manage-services).
author:
  - hero-systemd developers
notes:
  - Supports check mode and diff mode.
seealso:
  - module: hero.systemd.config
  - module: hero.systemd.service
  - module: ansible.builtin.systemd_service
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Place the database's config; apply it once every config is in place
  hero.systemd.config:
    name: db
    src: db.toml
  become: true
  notify: apply hero configs

# handlers:
- name: apply hero configs
  hero.systemd.apply:
  become: true

- name: What would an apply restart now? (nothing changes)
  hero.systemd.apply:
  check_mode: true
  become: true
  register: plan

- name: Show herod's plan
  ansible.builtin.debug:
    msg: "restart {{ plan.restart }}, stop {{ plan.stop }}"
"""

RETURN = r"""
plan:
  description:
    - herod's plan, as C(heroctl apply -o json) prints it (C(--dry-run) in check mode) keys
      C(dry_run), C(changed) (each with C(service), C(unit), C(file), C(diff), C(dependents)),
      C(restart), C(stop), C(added), C(updated), C(removed), C(unchanged), C(started), C(failed).
    - Unless C(show_env), each C(diff) has its environment values masked, and the diff of a unit
      whose config file other users may not read is a line that says so.
  returned: always
  type: dict
  sample: {dry_run: false, changed: [{service: db, unit: hero-default-db.service, file: db.toml,
           diff: "--- hero-default-db.service (running)\n...", dependents: [api, web]}],
           restart: [db, api, web], stop: [], added: [], updated: [], removed: [], unchanged: 2,
           started: [db, api, web], failed: []}
restart:
  description: The services the apply restarts (or, in check mode, would), in start order.
  returned: always
  type: list
  elements: str
  sample: [db, api, web]
stop:
  description: The running services no file defines any more, which the apply stops (or would).
  returned: always
  type: list
  elements: str
  sample: [old-worker]
started:
  description: The services the apply started again. Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: [db, api, web]
failed:
  description: The services whose new definition failed to start (the task failed).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hero.systemd.plugins.module_utils.diffmask import mode_in, withheld_plan
from ansible_collections.hero.systemd.plugins.module_utils.heroctl import (
    EXIT_FAILURE,
    EXIT_OK,
    Heroctl,
    plan_text,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(timeout=dict(type="int", default=300), show_env=dict(type="bool", default=False),
                           config_dir=dict(type="path", default="/etc/hero/services")),
        supports_check_mode=True,
    )
    hero = Heroctl(module)
    args = ["apply", "--dry-run"] if module.check_mode else ["apply"]
    if not module.params["show_env"]:
        args.append("--mask-env")
    if not module.check_mode and module.params["timeout"] > 0:
        args += ["--timeout", "%ds" % module.params["timeout"]]
    # Exit 1 with a plan: the apply ran and something failed (it says what on stderr). Exit 1
    # without one: nothing ran (a config with a problem, herod not there); heroctl says why.
    plan = hero.json(args, ok=(EXIT_OK, EXIT_FAILURE))
    if not module.params["show_env"]:
        plan = withheld_plan(plan, mode_in(module.params["config_dir"]))
    result = dict(plan=plan, restart=plan.get("restart") or [], stop=plan.get("stop") or [],
                  started=plan.get("started") or [], failed=plan.get("failed") or [],
                  changed=bool(plan.get("restart") or plan.get("stop")))
    if module._diff and result["changed"]:
        result["diff"] = dict(prepared=plan_text(plan))
    rc, _, err = hero.last
    if rc != EXIT_OK:
        said = (err or "").strip() or "herod could not start %s" % ", ".join(result["failed"])
        module.fail_json(msg="heroctl %s: %s" % (" ".join(args), said), rc=rc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
