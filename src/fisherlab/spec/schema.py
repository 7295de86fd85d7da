"""Reading a study (or config) file: safe YAML, its JSON Schema, and friendly errors.

Every problem is a :class:`StudyError` naming the file, the key and what is allowed;
a file with several problems gives one StudyError listing them all (``errors``).
:mod:`fisherlab.spec.study` builds the study itself from what this module has checked.

What a hostile or careless file cannot do here:

* expand: YAML anchors and aliases (``&a``, ``*a``, ``<<: *a``) are refused before any
  value is built (:mod:`fisherlab.spec.safeyaml`; an alias bomb of 600 bytes otherwise
  becomes a tree of 10^8 nodes for the schema validator to walk);
* be large or deep: at most :data:`MAX_FILE_BYTES`, lists of :data:`MAX_ITEMS` and
  mappings of :data:`MAX_KEYS` (checked before the schema), and deep nesting is an error;
* run code: a SafeLoader (no ``!!python/...`` tags);
* hide a NaN or an infinity: JSON Schema bounds are false for NaN, so every number is
  checked finite in code (:func:`check_finite`);
* pass a float as an integer: ``10.0`` is not an integer here (JSON Schema says it is).

Numbers follow YAML 1.2 (``1e5`` and ``1.0e308`` are floats, not strings).
"""

from __future__ import annotations

import difflib
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..core.errors import StudyError
from . import safeyaml
from .safeyaml import key_path

#: the largest study or config file read (a study file is a few hundred bytes; the
#: longest lists allowed take ~60 KB)
MAX_FILE_BYTES = 128 << 10
#: most problems one message lists (the rest are counted)
MAX_LISTED = 30
#: longest list and largest mapping read anywhere in a study file, checked before the
#: schema (whose uniqueItems is quadratic in a list's length); tighter bounds per key
#: are in the schema
MAX_ITEMS, MAX_KEYS = 10_000, 1_000


class Problems:
    """Collects every problem of one file; :meth:`raise_if_any` raises them as one (the
    first :data:`MAX_LISTED` listed, the rest counted)."""

    def __init__(self, file: str | Path):
        self.file, self.items, self._seen, self.more = str(file), [], set(), 0

    def add(self, key: str, problem: str) -> None:
        if (key, problem) in self._seen:
            return
        self._seen.add((key, problem))
        if len(self.items) < MAX_LISTED:
            self.items.append((key, problem))
        else:
            self.more += 1

    def extend(self, err: StudyError) -> None:
        for k, p in err.errors:
            self.add(k, p)

    def clean(self, prefix: str) -> bool:
        """No problem at ``prefix``, inside it or at one of its parents."""
        if self.more:
            return False
        for k, _ in self.items:
            if not k or k == prefix or k.startswith((prefix + ".", prefix + "[")) \
                    or prefix.startswith((k + ".", k + "[")):
                return False
        return True

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> StudyError:
        (k, p), *more = self.items
        if self.more:
            more.append(("", f"... and {self.more} more problem(s)"))
        return StudyError(self.file, k, p, more)

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()


# --------------------------------------------------------------------------- YAML
def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (:mod:`fisherlab.spec.safeyaml`: no code, no anchors or
    aliases, no duplicate keys, bounded size and nesting); StudyError if malformed."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise StudyError(path, "", f"the file is larger than {MAX_FILE_BYTES} bytes; "
                             "a study file is a few hundred bytes")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(path, "", f"cannot read the file ({exc})") from None
    try:
        return safeyaml.load(text)
    except safeyaml.YamlProblem as exc:
        raise StudyError(path, exc.key, exc.problem) from None


# --------------------------------------------------------------------------- schema
@cache
def schema(name: str) -> dict:
    """A JSON Schema shipped with the package (the same files as workflow/schemas/)."""
    text = resources.files("fisherlab.schemas").joinpath(f"{name}.schema.yaml").read_text()
    return yaml.safe_load(text)


def _is_integer(checker, inst) -> bool:
    return isinstance(inst, int) and not isinstance(inst, bool)


#: Draft 2020-12 where an integer is an int: 10.0 is a float, not an integer
Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


def show_value(value: Any) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (RecursionError, ValueError):  # nested too deeply to show
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def schema_errors(doc: Any, sch: dict, file) -> list[StudyError]:
    """Every problem of ``doc`` against the schema ``sch``, one per key."""
    try:
        errors = sorted(Validator(sch).iter_errors(doc),
                        key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    except RecursionError:
        return [StudyError(file, "", "the file is nested too deeply")]
    out, seen = [], set()
    for err in errors:
        path = tuple(map(str, err.absolute_path))
        if path in seen and err.validator not in ("required", "additionalProperties"):
            continue
        seen.add(path)
        out.extend(friendly_errors(err, sch, file))
    return out


def check_schema(doc: Any, name: str, file: str | Path,
                 problems: Problems | None = None) -> None:
    """Validate ``doc`` against the named schema: every problem goes to ``problems``, or
    is raised as one StudyError when none is given."""
    own = problems is None
    problems = Problems(file) if own else problems
    for err in schema_errors(doc, schema(name), file):
        problems.extend(err)
    if own:
        problems.raise_if_any()


def check_finite(doc: Any, file: str | Path, problems: Problems, _path=()) -> None:
    """Every number in ``doc`` is finite: NaN passes every JSON Schema bound (comparisons
    with NaN are false), infinity passes every open-ended one, and an integer beyond the
    float range overflows wherever it becomes a float."""
    stack = [(_path, doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, float) and not math.isfinite(node):
            _add_once(problems, key_path(path), f"must be a finite number, got "
                      f"{show_value(node)}")
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > 1e308:
            _add_once(problems, key_path(path), "must be a finite number; this integer "
                      f"(about 10^{int(node.bit_length() * math.log10(2))}) is beyond any float")


def _add_once(problems: Problems, key: str, problem: str) -> None:
    """Add a problem unless the key has one already (a schema error says enough)."""
    if not problems.has(key):
        problems.add(key, problem)


def check_size(doc: Any, file: str | Path, problems: Problems,
               caps: dict[str, int] | None = None) -> bool:
    """Whether every list and mapping in ``doc`` is within :data:`MAX_ITEMS` and
    :data:`MAX_KEYS` (and a key's own cap in ``caps``): checked before the schema, which
    is quadratic in a list's length where its items must be unique."""
    caps = caps or {}
    ok = True
    stack = [((), doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if len(node) > MAX_KEYS:
                problems.add(key_path(path), f"has {len(node)} keys; at most {MAX_KEYS}")
                ok = False
                continue
            stack.extend(((*path, str(k)), v) for k, v in node.items())
        elif isinstance(node, list):
            key = key_path(path)
            cap = caps.get(key, MAX_ITEMS)
            if len(node) > cap:
                problems.add(key, f"must have at most {cap} item(s), got {len(node)}")
                ok = False
                continue
            stack.extend(((*path, i), v) for i, v in enumerate(node))
    return ok


def friendly_error(err: jsonschema.ValidationError, sch: dict, file) -> StudyError:
    """The first problem of one schema error (see :func:`friendly_errors`)."""
    return friendly_errors(err, sch, file)[0]


def friendly_errors(err: jsonschema.ValidationError, sch: dict, file) -> list[StudyError]:
    key = key_path(err.absolute_path)
    v, inst = err.validator, err.instance
    if v == "type" and not err.absolute_path:
        return [StudyError(file, "", "must be a mapping of keys (description, model, ...), "
                           f"got {type(inst).__name__}")]
    if v == "required":
        missing = [k for k in err.validator_value if not isinstance(inst, dict) or k not in inst]
        return [StudyError(file, _join(key, m), "is missing; required keys here: "
                           f"{', '.join(err.validator_value)}") for m in missing]
    if v == "additionalProperties" and err.validator_value is False:
        allowed = sorted(err.schema.get("properties", {}))
        out = []
        for extra in sorted(set(inst) - set(allowed), key=str):
            near = difflib.get_close_matches(str(extra), allowed, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            out.append(StudyError(file, _join(key, extra),
                                  f"is not a known key; {hint}allowed: {', '.join(allowed)}"))
        return out
    if v in ("oneOf", "anyOf"):
        return [StudyError(file, key, f"{show_value(inst)} is not allowed here; expected "
                           f"{_describe(err.schema)}")]
    val, got = err.validator_value, show_value(inst)
    whole = (v == "type" and "integer" in (val if isinstance(val, list) else [val])
             and isinstance(inst, float) and inst.is_integer())
    desc = {
        "type": lambda: f"must be {_article(val)}, got {got}" + (
            f" (write {int(inst)}, without a decimal point)" if whole else ""),
        "minimum": lambda: f"must be >= {val}, got {got}",
        "maximum": lambda: f"must be <= {val}, got {got}",
        "exclusiveMinimum": lambda: f"must be > {val}, got {got}",
        "exclusiveMaximum": lambda: f"must be < {val}, got {got}",
        "minItems": lambda: f"must have at least {val} item(s)",
        "maxItems": lambda: f"must have at most {val} item(s)",
        "uniqueItems": lambda: f"must not repeat a value, got {got}",
        "minLength": lambda: "must not be empty",
        "maxLength": lambda: f"must have at most {val} characters",
        "minProperties": lambda: f"must have at least {val} key(s)",
        "maxProperties": lambda: f"must have exactly {val} key (a one-key mapping)",
        "multipleOf": lambda: f"must be a multiple of {val}, got {got}",
        "enum": lambda: f"must be one of {', '.join(map(str, val))}, got {got}",
    }
    return [StudyError(file, key, desc[v]() if v in desc else err.message)]


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _article(t) -> str:
    names = {"integer": "an integer", "number": "a number", "string": "a string",
             "array": "a list", "object": "a mapping", "boolean": "true or false",
             "null": "empty"}
    if isinstance(t, list):
        return " or ".join(names.get(x, x) for x in t)
    return names.get(t, t)


def _describe(sub: dict) -> str:
    """What a oneOf/anyOf allows; an alternative's ``title`` says it in words."""
    opts = sub.get("oneOf") or sub.get("anyOf") or []
    parts = []
    for o in opts:
        if o.get("title"):
            parts.append(o["title"])
        elif o.get("type") == "array":
            parts.append(f"a list of {_article(o.get('items', {}).get('type', 'value'))}s"
                         .replace("a list of a ", "a list of ").replace("an ", ""))
        else:
            parts.append(_article(o.get("type", "value")))
    return " or ".join(parts) or "a valid value"
