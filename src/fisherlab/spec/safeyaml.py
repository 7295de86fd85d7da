"""YAML for files a stranger may have written: bounded, with nothing expanded or run.

:func:`load` parses a study or config file's text:

* anchors and aliases (``&a``, ``*a``, ``<<: *a``) are refused in a first pass over the
  parser's events, before any node is composed: a 600-byte alias bomb otherwise becomes
  10^8 values for the schema validator to walk; the error names the key where it is;
* nesting of flow collections (``[[[...``) is bounded before the parser runs (PyYAML's
  pure-Python scanner is quadratic in it);
* a SafeLoader (no ``!!python/...`` tags), refusing duplicate and unhashable keys and
  integers too long to convert; LibYAML's parser when PyYAML has it (20 times faster on a
  file of many tokens), else PyYAML's own;
* numbers as YAML 1.2 writes them: ``1e5`` and ``1.0e308`` are floats (YAML 1.1, PyYAML's
  default, reads them as strings).

Every problem is a :class:`YamlProblem` with a key path (``""`` where none applies).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: deepest nesting of flow collections ([...], {...}) read: PyYAML's scanner takes time
#: quadratic in it (1000 levels: 1.3 s before the parser gives up)
MAX_FLOW_DEPTH = 100

_FAST = bool(getattr(yaml, "__with_libyaml__", False))
_Base = yaml.CSafeLoader if _FAST else yaml.SafeLoader


class YamlProblem(ValueError):
    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(problem)


#: YAML 1.2 floats: also 1e5 and 1.0e308 (YAML 1.1 needs a dot and a signed exponent)
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X)
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Loader(_Base):
    """A safe loader refusing duplicate and unhashable keys, reading YAML 1.2 floats."""

    # a copy of SafeLoader's resolvers with the float pattern replaced in place, so
    # that the order (and so the int pattern) is unchanged; SafeLoader is not touched
    yaml_implicit_resolvers = {
        ch: [(tag, _FLOAT if tag == _FLOAT_TAG else rx) for tag, rx in lst]
        for ch, lst in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts (sys.int_info)
            raise yaml.constructor.ConstructorError(
                None, None, "an integer with too many digits", node.start_mark) from None


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found a key that is a list or mapping", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def key_path(path) -> str:
    """A key path as a study file's messages name it: ``model.params.sigma[1]``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _where(mark) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _path(stack: list) -> list:
    """The key path of the node an event starts: each mapping's current key, each
    sequence's index; stops inside a key (a mapping expecting one)."""
    out = []
    for frame in stack:
        if frame[0] == "map":
            if frame[2]:  # the node is a key of this mapping
                break
            out.append(frame[1])
        else:
            out.append(frame[1])
    return out


def _advance(stack: list) -> None:
    """A node of the innermost collection is complete."""
    if stack:
        frame = stack[-1]
        if frame[0] == "map":
            frame[2] = not frame[2]
        else:
            frame[1] += 1


def refuse_anchors(text: str) -> None:
    """One pass over the parser's events: YamlProblem at the first anchor or alias."""
    stack: list = []  # ["map", key, expecting a key] or ["seq", index]
    for ev in yaml.parse(text, Loader=_Base):
        node = isinstance(ev, yaml.NodeEvent)
        if node and (isinstance(ev, yaml.AliasEvent) or ev.anchor is not None):
            what = "an alias (*" if isinstance(ev, yaml.AliasEvent) else "an anchor (&"
            raise YamlProblem(key_path(_path(stack)),
                              f"not valid YAML{_where(ev.start_mark)}: {what}{ev.anchor}) is "
                              "not allowed in a study file; write the value out")
        if isinstance(ev, yaml.ScalarEvent):
            if stack and stack[-1][0] == "map" and stack[-1][2]:
                stack[-1][1] = ev.value  # a key: the next node is its value
            _advance(stack)
        elif isinstance(ev, yaml.MappingStartEvent):
            stack.append(["map", None, True])
        elif isinstance(ev, yaml.SequenceStartEvent):
            stack.append(["seq", 0])
        elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            _advance(stack)


_FLOW = re.compile(r"""'(?:[^'\n]|'')*'|"(?:\\.|[^"\\\n])*"|(?:^|[ \t])\#[^\n]*|[\[\]{}]|\n""",
                   re.M)


def flow_depth(text: str) -> tuple[int, int]:
    """(deepest nesting of [ and { outside quotes and comments, its line): a cheap bound
    checked before the YAML scanner runs."""
    depth = deepest = 0
    line = at = 1
    for m in _FLOW.finditer(text):
        c = m.group()
        if c == "\n":
            line += 1
        elif c in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, line
                if deepest > MAX_FLOW_DEPTH:
                    break
        elif c in "]}":
            depth = max(0, depth - 1)
    return deepest, at


def load(text: str) -> Any:
    """The value of a YAML document, or YamlProblem (see the module's docstring)."""
    depth, line = flow_depth(text)
    if depth > MAX_FLOW_DEPTH:
        raise YamlProblem("", f"not valid YAML at line {line}: lists or mappings nested "
                          f"more than {MAX_FLOW_DEPTH} levels deep")
    try:
        refuse_anchors(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem("", f"not valid YAML{_where(getattr(exc, 'problem_mark', None))}: "
                          f"{problem}") from None
    except RecursionError:
        raise YamlProblem("", "not valid YAML: nested too deeply") from None
