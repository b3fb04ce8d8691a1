# -*- coding: utf-8 -*-
# Copyright: hero-systemd developers
# Apache License 2.0 (see LICENSE in the hero-systemd repository)
"""What a diff of a hero service config may show: a service's secrets live in its environment
(env = {...}), so --diff shows every environment value as MASK (the names stay), and nothing at
all of a file whose mode keeps it from other users on the target (0600): Ansible's output goes
to terminals, CI logs and callbacks that many more people read than the file.

Masking reads the file's syntax (TOML strings, arrays and inline tables; YAML mappings) so a
value is masked whole, however it is quoted or continued."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

MASK = '"********"'


def hidden(path, mode):
    """What a diff shows of a file whose mode keeps it from other users (mode & 0o004 == 0)."""
    return "(the content of %s is not shown: its mode %04o keeps it from other users)\n" % (path, mode & 0o7777)


def readable_by_others(mode):
    return mode & 0o004 != 0


def mode_in(config_dir):
    """A function giving the mode of a file of config_dir by its name (None when it cannot be
    read: a diff of it is then withheld)."""
    def mode_of(name):
        if not name or "/" in name:
            return None
        try:
            return os.stat(os.path.join(config_dir, name)).st_mode
        except OSError:
            return None
    return mode_of


def withheld_plan(plan, mode_of):
    """herod's apply plan (as heroctl apply -o json prints it) as Ansible's output may show it:
    the unit diff of each service whose config file other users may not read (mode_of(file) &
    0o004 == 0, or its mode unknown) replaced by a line saying so. herod shows such a diff to
    root, who runs the modules; a 0600 file's command lines and settings are as secret as its
    content, which the config module's diff never shows either."""
    if not isinstance(plan, dict):
        return plan
    shown = dict(plan)
    shown["changed"] = []
    for change in plan.get("changed") or []:
        change = dict(change)
        mode = mode_of(change.get("file", ""))
        if mode is None or not readable_by_others(mode):
            why = "the mode %04o of %s keeps it from other users" % (mode & 0o7777, change.get("file", "")) \
                if mode is not None else "the mode of %s is not known" % change.get("file", "")
            change["diff"] = "(the diff of %s is not shown: %s)\n" % (change.get("unit", ""), why)
        shown["changed"].append(change)
    return shown


def masked(text, fmt):
    """text with every environment value replaced by MASK: a hero TOML config (fmt "toml") or a
    zinit YAML one ("yaml")."""
    if fmt == "yaml":
        return _masked_yaml(text)
    return _masked_toml(text)


# --- TOML ---------------------------------------------------------------------------------

_HEADER = re.compile(r"[ \t]*\[\[?([^\]\n]*)\]\]?")


def _key_parts(key):
    """The components of a (dotted, maybe quoted) TOML key."""
    return [p.strip().strip('"').strip("'") for p in re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^.]+', key)]


def _skip_string(text, i):
    """The index after the TOML string starting at text[i] (basic, literal, multi-line)."""
    for quote in ('"""', "'''"):
        if text.startswith(quote, i):
            end = text.find(quote, i + 3)
            while quote == '"""' and end > 0 and _escaped(text, end):
                end = text.find(quote, end + 1)
            return len(text) if end < 0 else end + 3
    q = text[i]
    j = i + 1
    while j < len(text) and text[j] != "\n":
        if text[j] == "\\" and q == '"':
            j += 2
            continue
        if text[j] == q:
            return j + 1
        j += 1
    return j


def _escaped(text, j):
    n = 0
    while j - n - 1 >= 0 and text[j - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _skip_value(text, i):
    """The index after the TOML value starting at text[i]."""
    if i >= len(text):
        return i
    c = text[i]
    if c in "\"'":
        return _skip_string(text, i)
    if c in "[{":
        close = "]" if c == "[" else "}"
        j = i + 1
        while j < len(text):
            d = text[j]
            if d in "\"'":
                j = _skip_string(text, j)
                continue
            if d in "[{":
                j = _skip_value(text, j)
                continue
            if d == "#":
                while j < len(text) and text[j] != "\n":
                    j += 1
                continue
            j += 1
            if d == close:
                return j
        return j
    j = i
    while j < len(text) and text[j] not in ",}]\n#":
        j += 1
    while j > i and text[j - 1] in " \t":
        j -= 1
    return j


def _skip_blank(text, i, newlines=False):
    while i < len(text) and (text[i] in " \t" or newlines and text[i] in "\r\n"):
        i += 1
    return i


def _key_end(text, i):
    """The index of the '=' of the key starting at text[i], or -1."""
    j = i
    while j < len(text) and text[j] not in "=\n":
        if text[j] in "\"'":
            j = _skip_string(text, j)
            continue
        j += 1
    return j if j < len(text) and text[j] == "=" else -1


def _masked_inline(text, i, out):
    """Copies the inline table at text[i] ('{') to out with each value masked; returns the
    index after it."""
    out.append("{")
    j = i + 1
    while j < len(text):
        k = _skip_blank(text, j, newlines=True)
        out.append(text[j:k])
        j = k
        if j >= len(text):
            break
        if text[j] == "}":
            out.append("}")
            return j + 1
        if text[j] == ",":
            out.append(",")
            j += 1
            continue
        eq = _key_end(text, j)
        if eq < 0:  # not a key: copied as it is up to the end of the line
            end = text.find("\n", j)
            end = len(text) if end < 0 else end
            out.append(text[j:end])
            return end
        v = _skip_blank(text, eq + 1)
        out.append(text[j:v] + MASK)
        j = _skip_value(text, v)
    return j


def _masked_toml(text):
    out = []
    env_table = False
    i = 0
    while i < len(text):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end + 1
        line = text[i:end]
        stripped = line.strip()
        header = _HEADER.match(line)
        if header and stripped.startswith("["):
            parts = _key_parts(header.group(1))
            env_table = bool(parts) and parts[-1] == "env"
            out.append(line)
            i = end
            continue
        eq = _key_end(text, i) if stripped and not stripped.startswith("#") else -1
        if eq < 0 or eq >= end:
            out.append(line)
            i = end
            continue
        parts = _key_parts(text[i:eq].strip())
        v = _skip_blank(text, eq + 1)
        if env_table or parts and parts[-1] == "env" and v < len(text) and text[v] == "{":
            out.append(text[i:v])
            if not env_table:
                i = _masked_inline(text, v, out)
            else:
                out.append(MASK)
                i = _skip_value(text, v)
            continue
        if len(parts) > 1 and parts[-2] == "env":  # env.NAME = value
            out.append(text[i:v] + MASK)
            i = _skip_value(text, v)
            continue
        out.append(line)
        i = end
    return "".join(out)


# --- YAML ---------------------------------------------------------------------------------

_YAML_KEY = re.compile(r"^(\s*)(-\s+)?(\"[^\"]*\"|'[^']*'|[^:#\s][^:#]*?)\s*:(\s+|$)(.*)$")


def _masked_flow(value):
    """A YAML flow mapping {A: x, B: "y"} with its values masked (names kept)."""
    names = re.findall(r"[{,]\s*(\"[^\"]*\"|'[^']*'|[^:,{}\s]+)\s*:", value)
    return "{" + ", ".join("%s: %s" % (n, MASK) for n in names) + "}"


def _masked_yaml(text):
    out = []
    env_indent = None  # the indentation of the env: key whose block is being masked
    entry_indent = None  # that of the block's entries (deeper lines continue a value)
    for line in text.splitlines(True):
        nl = "\n" if line.endswith("\n") else ""
        body = line[:-1] if nl else line
        indent = len(body) - len(body.lstrip(" "))
        if env_indent is not None:
            if not body.strip() or body.lstrip().startswith("#"):
                out.append(line)
                continue
            if indent > env_indent:
                if entry_indent is None:
                    entry_indent = indent
                m = _YAML_KEY.match(body)
                if m and indent == entry_indent:
                    out.append(m.group(1) + (m.group(2) or "") + m.group(3) + ": " + MASK + nl)
                else:  # a value's continuation (a block scalar, a wrapped string)
                    out.append(" " * indent + MASK + nl)
                continue
            env_indent = entry_indent = None
        m = _YAML_KEY.match(body)
        if m and m.group(3).strip("\"'") == "env":
            rest = m.group(5).strip()
            head = body[:len(body) - len(m.group(5))]
            if rest.startswith("{"):
                out.append(head + _masked_flow(rest) + nl)
            elif rest and not rest.startswith("#"):
                out.append(head + MASK + nl)
            else:
                out.append(line)
                env_indent = indent + len(m.group(2) or "")
            continue
        out.append(line)
    return "".join(out)
