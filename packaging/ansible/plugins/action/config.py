# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)
"""Action plugin for hero.systemd.config: reads src on the controller (as ansible.builtin.copy
finds it, in files/) and sends it to the module as content, with the format its extension says."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        src = args.pop("src", None)
        if src is not None:
            if args.get("content") is not None:
                result.update(failed=True, msg="parameters are mutually exclusive: content|src")
                return result
            try:
                path = self._find_needle("files", src)
                with open(path, "rb") as f:
                    args["content"] = to_text(f.read(), errors="surrogate_or_strict")
            except (AnsibleError, IOError, OSError, UnicodeError) as e:
                result.update(failed=True, msg="src %s: %s" % (src, to_text(e)))
                return result
            ext = os.path.splitext(src)[1]
            if not args.get("format") and ext in (".toml", ".yaml", ".yml"):
                args["format"] = "yaml" if ext in (".yaml", ".yml") else "toml"
        result.update(self._execute_module(module_name="hero.systemd.config", module_args=args,
                                           task_vars=task_vars))
        return result
