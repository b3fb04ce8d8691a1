#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: config
short_description: Place a hero service config, validated by herod's rules first, and reload herod
version_added: "0.1.0"
description:
  - Puts the config of one hero service (hero TOML C(NAME.toml) or zinit YAML C(NAME.yaml)) in
    herod's config directory on the target, or removes it, then has herod read the directory
    again (C(heroctl daemon-reload)).
  - Before anything is replaced or removed, the directory as it would be is checked on the
    target by herod's own rules, by C(heroctl validate) on a copy in a temporary directory
    (syntax, unknown keys, types, values systemd would refuse, unknown dependencies, cycles,
    conflicts).
    A refused config fails the task with herod's message (file, line, key, problem) and leaves
    the old file and herod as they were. Removing a service that others require is refused the
    same way.
  - The file is written to a temporary file in the same directory and renamed over the old one
    (atomic), owned by root with mode C(mode).
  - Running services keep running their definition until an apply. Notify a handler that runs
    M(hero.systemd.apply) (C(heroctl apply)), which restarts exactly the running services whose
    definition changed, with what requires them, and stops services whose file was removed.
  - In check mode the config is still validated (that only reads), nothing is written; the
    result carries herod's apply plan with the file in place (C(apply_plan), what a
    M(hero.systemd.apply) would restart and stop, herod planning a temporary copy of the
    directory as its own); with C(--diff) the change of the file is shown, then that plan.
  - The diffs hold no secret. The file's change shows each environment value (C(env)) as
    C("********") (its name shown), and nothing of a file whose mode keeps it from other users
    (C(0600)), on either side. The apply plan's unit diffs mask environment values as C(…), and
    a unit whose config file other users may not read has its diff replaced by a line that says
    so. C(content) is a secret (C(no_log)), which C(-vvv) and callbacks never show.
options:
  name:
    description:
      - The service name; the file is C(NAME.toml) or C(NAME.yaml) in C(config_dir).
        A file of the same name with the other extension is removed when this one is placed.
    type: str
    required: true
  content:
    description:
      - The config itself. Use C(lookup('template', ...)) for a template.
      - Mutually exclusive with C(src).
      - Never logged (C(no_log)), as a config holds its service's secrets (C(env)).
    type: str
  src:
    description:
      - A config file on the controller (looked up like ansible.builtin.copy's C(src), in the
        role's or playbook's C(files/)), read there and sent as C(content). Its extension
        (C(.toml), C(.yaml), C(.yml)) sets C(format) unless that is given.
      - Mutually exclusive with C(content).
    type: path
  format:
    description:
      - C(toml) for a hero TOML config, C(yaml) for a zinit YAML one. Defaults to the extension of
        C(src), else C(toml).
    type: str
    choices: [toml, yaml]
  state:
    description:
      - C(present) places the config, C(absent) removes every file of that service
        (C(NAME.toml), C(NAME.yaml), C(NAME.yml)).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - The file's mode. C(0600) for configs with secrets in their environment (herod runs as
        root and reads them either way).
    type: str
    choices: ["0644", "0600"]
    default: "0644"
  config_dir:
    description: herod's config directory on the target.
    type: path
    default: /etc/hero/services
  reload:
    description:
      - Run C(heroctl daemon-reload) after a change, so herod knows the service at once (a
        M(hero.systemd.service) task can start it); running services keep their definition.
        Set C(false) when a M(hero.systemd.apply) handler loads the directory anyway.
    type: bool
    default: true
requirements:
  - The hero-systemd package (herod running, heroctl on the PATH) on the target.
  - python3 on the target.
  - root on the target (C(become)) to write the config directory.
author:
  - hero-systemd developers
notes:
  - Supports check mode and diff mode.
  - Each config is validated against the directory as it is on the target, so place configs
    dependencies first (a service that requires C(db) is refused while C(db) is missing).
seealso:
  - module: hero.systemd.apply
  - module: hero.systemd.service
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: The database config, from the playbook's files/db.toml
  hero.systemd.config:
    name: db
    src: db.toml
  become: true

- name: The API, inline; applied (restarted, with what requires it) when the config changed
  hero.systemd.config:
    name: api
    content: |
      description = "API server"
      exec = ["/usr/local/bin/api", "--port", "8080"]
      [dependencies]
      requires = ["db"]
  become: true
  notify: apply hero configs

- name: A zinit service with a secret in its environment, readable by root only
  hero.systemd.config:
    name: sync
    format: yaml
    mode: "0600"
    content: "{{ lookup('template', 'sync.yaml.j2') }}"
  become: true

- name: Remove a service (refused while another service requires it)
  hero.systemd.config:
    name: old-worker
    state: absent
  become: true
"""

RETURN = r"""
path:
  description: The config file placed (or, for C(state=absent), the first one removed).
  returned: always
  type: str
  sample: /etc/hero/services/api.toml
removed:
  description: Files removed (the service's other-extension file, or every file for
    C(state=absent)); in check mode, the files that would be.
  returned: always
  type: list
  elements: str
  sample: [/etc/hero/services/api.yaml]
validated:
  description: Whether the directory as it would be was checked by herod's rules and accepted
    (false when nothing was to change, and on a refusal).
  returned: always
  type: bool
  sample: true
problems:
  description: herod's problems with the directory as it would be, as
    C(heroctl validate -o json) prints them; the task failed if any.
  returned: failure
  type: list
  elements: dict
  sample: [{file: db.toml, line: 2, key: restrat, message: "unknown key or section (did you mean \"restart\"?)"}]
apply_plan:
  description:
    - In check mode, herod's apply plan of the directory with this change made, as
      C(heroctl apply --dry-run -o json) prints one (see M(hero.systemd.apply)); environment
      values masked, and the diff of a unit whose config file other users may not read
      replaced by a line that says so.
  returned: check mode, when something would change
  type: dict
  sample: {dry_run: true, restart: [db, api, web], stop: [], changed: [{service: db, dependents: [api, web]}]}
reloaded:
  description: Whether herod read its config directory again (C(heroctl daemon-reload)).
  returned: always
  type: bool
  sample: true
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.hero.systemd.plugins.module_utils.diffmask import hidden, masked, mode_in, readable_by_others, withheld_plan
from ansible_collections.hero.systemd.plugins.module_utils.heroctl import Heroctl, plan_text

EXTENSIONS = (".toml", ".yaml", ".yml")


def is_service_file(name):
    """The files herod reads from its directory (see bridge/configdir): not hidden, a config extension."""
    return not name.startswith(".") and os.path.splitext(name)[1] in EXTENSIONS


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def service_files(config_dir, name):
    """The files that hold the service name now."""
    return [os.path.join(config_dir, name + ext) for ext in EXTENSIONS
            if os.path.isfile(os.path.join(config_dir, name + ext))]


def validate(module, hero, config_dir, name, new_file, new_bytes, then=None):
    """Checks the directory as it would be (without name's files, plus new_file if given) by
    herod's rules, in a temporary copy: the real directory is not touched. then, if given, is
    called with the copy once it passed."""
    tmp = tempfile.mkdtemp(prefix="hero-config-")
    try:
        for entry in sorted(os.listdir(config_dir)):
            path = os.path.join(config_dir, entry)
            if is_service_file(entry) and os.path.isfile(path) and os.path.splitext(entry)[0] != name:
                shutil.copyfile(path, os.path.join(tmp, entry))
        if new_file is not None:
            with open(os.path.join(tmp, new_file), "wb") as f:
                f.write(new_bytes)
        rc, out, err = hero.run(["validate", tmp, "-o", "json"])
        try:
            problems = json.loads(out) if out.strip() else []
        except ValueError:
            problems = None
        if rc == 0 and problems == []:
            if then is not None:
                then(tmp)
            return
        if not problems:
            hero.fail(["validate"], rc, out.replace(tmp, config_dir), err.replace(tmp, config_dir))
        lines = ["%s%s: %s: %s" % (p.get("file", "").replace(tmp, config_dir),
                                   ":%d" % p["line"] if p.get("line") else "",
                                   p.get("key", ""), p.get("message", "")) for p in problems]
        what = "removing %s" % name if new_file is None else new_file
        module.fail_json(msg="herod refused %s (nothing was changed): %s" % (what, "; ".join(lines)),
                         problems=problems, validated=False, path=os.path.join(config_dir, new_file or name),
                         removed=[], reloaded=False, changed=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def place(config_dir, file_name, data, mode):
    """Writes data to config_dir/file_name atomically: a temporary file in the same directory,
    root-owned with mode, synced, renamed over the old one; then the directory is synced."""
    dest = os.path.join(config_dir, file_name)
    fd, tmp = tempfile.mkstemp(dir=config_dir, prefix="." + file_name + ".", suffix=".ansible-tmp")
    try:
        os.fchmod(fd, mode)
        os.fchown(fd, 0, 0)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, dest)
    finally:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
    dfd = os.open(config_dir, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return dest


def up_to_date(path, data, mode):
    """Whether path holds data, owned by root with mode."""
    if not os.path.isfile(path):
        return False
    st = os.stat(path)
    return (st.st_mode & 0o7777) == mode and st.st_uid == 0 and st.st_gid == 0 and read_bytes(path) == data


def file_format(params):
    if params["format"]:
        return params["format"]
    if params["src"] and os.path.splitext(params["src"])[1] in (".yaml", ".yml"):
        return "yaml"
    return "toml"


def wanted_bytes(module):
    if module.params["src"] is not None:
        # Reached only without the action plugin: src is then a path on the target.
        try:
            return read_bytes(module.params["src"])
        except (IOError, OSError) as e:
            module.fail_json(msg="src %s: %s" % (module.params["src"], to_text(e)))
    return to_bytes(module.params["content"] or "", errors="surrogate_or_strict")


def text_of(paths):
    """What a diff shows of the files: each environment value masked, nothing of a file other
    users may not read."""
    out = []
    for p in paths:
        mode = os.stat(p).st_mode
        if not readable_by_others(mode):
            out.append(hidden(p, mode))
            continue
        fmt = "yaml" if os.path.splitext(p)[1] in (".yaml", ".yml") else "toml"
        out.append(masked(to_text(read_bytes(p), errors="surrogate_or_replace"), fmt))
    return "".join(out)


def apply_plan(module, hero, result, mode_of):
    """In check mode, what herod's apply would do with the directory as it would be (herod plans
    the temporary copy as if it were its own): in apply_plan, and with --diff after the file's.
    Environment values are masked, and the diff of a unit whose file has mode_of(name) hiding it
    from other users is withheld (diffmask.withheld_plan)."""
    if not module.check_mode:
        return None

    def plan(tmp):
        rc, out, err = hero.run(["apply", "--dry-run", "--mask-env", "--config-dir", tmp, "-o", "json"])
        try:
            result["apply_plan"] = withheld_plan(json.loads(out), mode_of) if rc == 0 else None
        except ValueError:
            result["apply_plan"] = None
        if result["apply_plan"] is None:
            module.warn("herod's apply plan of the change is not known: %s" % ((err or out).strip() or "rc %d" % rc))
            del result["apply_plan"]
    return plan


def add_plan_diff(module, result):
    if module._diff and result.get("apply_plan") and "diff" in result:
        result["diff"] = [result["diff"], dict(prepared="herod's apply plan with this file in place:\n" + plan_text(result["apply_plan"]))]


def reload_herod(module, hero, result):
    if module.params["reload"] and not module.check_mode:
        hero.check(["daemon-reload"])
        result["reloaded"] = True


def present(module, hero, config_dir, name, result):
    data = wanted_bytes(module)
    file_name = name + "." + file_format(module.params)
    dest = os.path.join(config_dir, file_name)
    mode = int(module.params["mode"], 8)
    others = [p for p in service_files(config_dir, name) if p != dest]
    result["path"] = dest
    if up_to_date(dest, data, mode) and not others:
        return
    in_dir = mode_in(config_dir)
    validate(module, hero, config_dir, name, file_name, data,
             then=apply_plan(module, hero, result, lambda f: mode if f == file_name else in_dir(f)))
    result["validated"] = True
    result["changed"] = True
    result["removed"] = others
    if module._diff:
        # The new side is added by the action plugin, on the controller (content is no_log:
        # what the module returns has it replaced by asterisks).
        result["diff"] = dict(before_header=" + ".join(service_files(config_dir, name)) or dest,
                              after_header=dest, before=text_of(service_files(config_dir, name)))
    if module.check_mode:
        return
    place(config_dir, file_name, data, mode)
    for path in others:
        os.unlink(path)
    reload_herod(module, hero, result)


def absent(module, hero, config_dir, name, result):
    files = service_files(config_dir, name)
    result["path"] = files[0] if files else os.path.join(config_dir, name + ".toml")
    if not files:
        return
    validate(module, hero, config_dir, name, None, None, then=apply_plan(module, hero, result, mode_in(config_dir)))
    result["validated"] = True
    result["changed"] = True
    result["removed"] = files
    if module._diff:
        result["diff"] = dict(before_header=" + ".join(files), after_header="(absent)",
                              before=text_of(files), after="")
    if module.check_mode:
        return
    for path in files:
        os.unlink(path)
    reload_herod(module, hero, result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            content=dict(type="str", no_log=True),
            src=dict(type="path"),
            format=dict(type="str", choices=["toml", "yaml"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="str", choices=["0644", "0600"], default="0644"),
            config_dir=dict(type="path", default="/etc/hero/services"),
            reload=dict(type="bool", default=True),
        ),
        mutually_exclusive=[["content", "src"]],
        required_if=[["state", "present", ["content", "src"], True]],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not name or "/" in name or name.startswith("."):
        module.fail_json(msg="name: %r is not a service name (no '/', not hidden)" % name)
    config_dir = module.params["config_dir"]
    if not os.path.isdir(config_dir):
        module.fail_json(msg="config_dir %s: no such directory (is hero-systemd installed?)" % config_dir)
    hero = Heroctl(module)
    result = dict(changed=False, path="", removed=[], validated=False, reloaded=False)
    if module.params["state"] == "present":
        present(module, hero, config_dir, name, result)
    else:
        absent(module, hero, config_dir, name, result)
    add_plan_diff(module, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
