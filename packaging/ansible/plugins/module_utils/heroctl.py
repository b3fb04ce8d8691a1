# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)
"""Shared by the hero.systemd modules: heroctl on the target, its JSON, its exit codes.

The modules never talk to systemd or edit units themselves: every change goes through heroctl
(and so through herod's D-Bus API, its polkit checks and its ledger)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# heroctl's exit codes, as systemctl's (see heroctl --help).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_NOT_ACTIVE = 3
EXIT_NO_SUCH_SERVICE = 4

# ActiveStates in which a service has processes or is about to: it counts as started.
RUNNING_STATES = ("active", "activating", "reloading")

# ActiveStates in which heroctl reload reloads a service: it runs (a service still starting is
# refused as not running: it reads its configuration as it starts).
RELOADABLE_STATES = ("active", "reloading")


class Heroctl(object):
    """Runs heroctl on the target for one module invocation."""

    def __init__(self, module):
        self.module = module
        self.last = (EXIT_OK, "", "")  # the last run's (rc, stdout, stderr)
        self.path = module.get_bin_path("heroctl", required=False)
        if self.path is None:
            module.fail_json(msg="heroctl is not on the target's PATH: install the hero-systemd package there")

    def run(self, args):
        """Runs heroctl with args and returns (rc, stdout, stderr); never asks for a password."""
        cmd = [self.path, "--no-ask-password"] + list(args)
        self.last = self.module.run_command(cmd, environ_update={"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        return self.last

    def fail(self, args, rc, out, err, **extra):
        """Fails the task with heroctl's own words."""
        said = (err or "").strip() or (out or "").strip() or "no output"
        self.module.fail_json(msg="heroctl %s: %s" % (" ".join(args), said), rc=rc,
                              stdout=out, stderr=err, cmd=["heroctl"] + list(args), **extra)

    def check(self, args, ok=(EXIT_OK,)):
        """Runs heroctl and fails the task unless its exit code is in ok; returns (rc, out, err)."""
        rc, out, err = self.run(args)
        if rc not in ok:
            self.fail(args, rc, out, err)
        return rc, out, err

    def json(self, args, ok=(EXIT_OK,)):
        """Runs heroctl args -o json and returns the decoded answer (fails the task otherwise)."""
        full = list(args) + ["-o", "json"]
        rc, out, err = self.run(full)
        value = None
        try:
            value = json.loads(out) if out.strip() else None
        except ValueError:
            value = None
        if rc not in ok:
            self.fail(full, rc, out, err, result=value)
        if value is None:
            self.fail(full, rc, out, err)
        return value

    def _lines(self, verb, names, ok):
        rc, out, err = self.run([verb] + list(names))
        if rc == EXIT_NO_SUCH_SERVICE or rc not in ok:
            self.fail([verb] + list(names), rc, out, err)
        lines = out.splitlines()
        if len(lines) != len(names):
            self.fail([verb] + list(names), rc, out, err)
        return dict(zip(names, [line.strip() for line in lines]))

    def active_states(self, names):
        """Maps each service to systemd's ActiveState of its unit (active, inactive, failed, ...)."""
        if not names:
            return {}
        return self._lines("is-active", names, (EXIT_OK, EXIT_NOT_ACTIVE))

    def can_reload(self, names):
        """Maps each service to herod's CanReload: whether its config sets reload or reload_signal.

        Empty when herod does not say (a herod older than the property)."""
        if not names:
            return {}
        rc, out, err = self.check(["show", "--property", "CanReload", "--value"] + list(names))
        values = [line.strip() for line in out.splitlines() if line.strip()]
        if len(values) != len(names):
            return {}
        return dict(zip(names, [v == "true" for v in values]))

    def enabled_states(self, names):
        """Maps each service to "enabled" or "disabled" (whether herod starts it when it starts)."""
        if not names:
            return {}
        return self._lines("is-enabled", names, (EXIT_OK, EXIT_FAILURE))


def running(state):
    """Whether an ActiveState counts as started."""
    return state in RUNNING_STATES


def reloadable(state):
    """Whether heroctl reload reloads a service in this ActiveState."""
    return state in RELOADABLE_STATES


def unique(items):
    """items without repeats, in first-seen order."""
    seen = set()
    kept = []
    for item in items:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


def plan_text(plan):
    """herod's apply plan as heroctl prints it: each change with its unified diff, then the lists."""
    lines = []
    for change in plan.get("changed") or []:
        head = "%s changed" % change["service"]
        if change.get("dependents"):
            head += "; restarts with it: %s" % ", ".join(change["dependents"])
        lines.append(head + "\n" + change.get("diff", ""))
    for label, key in (("restart", "restart"), ("stop", "stop"), ("added (not started)", "added"),
                       ("changed, not running", "updated"), ("removed", "removed")):
        if plan.get(key) or key in ("restart", "stop"):
            lines.append("%s: %s\n" % (label, " ".join(plan.get(key) or []) or "(none)"))
    lines.append("unchanged: %d running service(s)\n" % plan.get("unchanged", 0))
    return "".join(lines)
