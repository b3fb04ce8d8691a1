# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)
"""Action plugin for hero.systemd.config: reads src on the controller (as ansible.builtin.copy
finds it, in files/) and sends it to the module as content, with the format its extension says;
with --diff it adds the new side of the diff (the module's content is no_log: what it returns
has it masked), environment values masked, nothing of a file others may not read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.hero.systemd.plugins.module_utils.diffmask import hidden, masked


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
        diff = result.get("diff")
        if isinstance(diff, list) and diff:  # in check mode: the file's diff, then the apply plan
            diff = diff[0]
        if isinstance(diff, dict) and "after_header" in diff and "after" not in diff and args.get("state", "present") == "present":
            mode = int(args.get("mode") or "0644", 8)
            if mode & 0o004 == 0:
                diff["after"] = hidden(diff.get("after_header", ""), mode)
            else:
                diff["after"] = masked(to_text(args.get("content") or ""), args.get("format") or "toml")
        return result
