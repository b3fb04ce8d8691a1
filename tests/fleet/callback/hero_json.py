# -*- coding: utf-8 -*-
# A stdout callback for the fleet tests: the whole run as one JSON document on stdout, each
# task's result per host, and the recap per host. ansible-core ships no JSON callback (that is
# ansible.posix's), and the tests need nothing beyond ansible-core from Debian.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: hero_json
type: stdout
short_description: the run as one JSON document (for tests/fleet)
description: Prints plays, tasks with each host's result, and the per-host recap as JSON.
"""

import json
import sys

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "hero_json"

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        data = dict(result._result)
        data.update(extra)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = data

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True, failed=True)

    def v2_playbook_on_stats(self, stats):
        recap = dict((h, stats.summarize(h)) for h in sorted(stats.processed.keys()))
        json.dump({"plays": self.plays, "stats": recap}, sys.stdout, default=str, indent=1)
        sys.stdout.write("\n")
