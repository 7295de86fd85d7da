"""Reading a study (or config) file: safe YAML, its JSON Schema, and friendly errors.

Every problem is a :class:`StudyError` naming the file, the key and what is allowed.
:mod:`fisherlab.study` builds the study itself from what this module has checked.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class StudyError(ValueError):
    """An invalid study (or config) file: the message names the file, key and what is allowed."""

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        where = f"{self.file}: " + (f"key '{key}': " if key else "")
        super().__init__(where + problem)


# --------------------------------------------------------------------------- YAML
class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no code, no duplicate keys); StudyError if malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(path, "", f"cannot read the file ({exc})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyError(path, "", f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise StudyError(path, "", "not valid YAML: nested too deeply") from None


@cache
def schema(name: str) -> dict:
    """A JSON Schema shipped with the package (the same files as workflow/schemas/)."""
    text = resources.files("fisherlab.schemas").joinpath(f"{name}.schema.yaml").read_text()
    return yaml.safe_load(text)


def key_path(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def show_value(value: Any) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (RecursionError, ValueError):  # nested too deeply to show
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def check_schema(doc: Any, name: str, file: str | Path) -> None:
    """Validate ``doc`` against the named schema, raising a StudyError for the first problem."""
    sch = schema(name)
    validator = jsonschema.Draft202012Validator(sch)
    try:
        errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path),
                                                                    list(map(str, e.path))))
    except RecursionError:
        raise StudyError(file, "", "the file is nested too deeply") from None
    if errors:
        raise friendly_error(errors[0], sch, file)


def friendly_error(err: jsonschema.ValidationError, sch: dict, file) -> StudyError:
    key = key_path(err.absolute_path)
    v, inst = err.validator, err.instance
    if v == "type" and not err.absolute_path:
        return StudyError(file, "", "must be a mapping of keys (description, model, ...), "
                          f"got {type(inst).__name__}")
    if v == "required":
        missing = [k for k in err.validator_value if not isinstance(inst, dict) or k not in inst]
        return StudyError(file, _join(key, missing[0]),
                          f"is missing; required keys here: {', '.join(err.validator_value)}")
    if v == "additionalProperties" and err.validator_value is False:
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(inst) - set(allowed), key=str)[0]
        near = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return StudyError(file, _join(key, extra),
                          f"is not a known key; {hint}allowed: {', '.join(allowed)}")
    if v in ("oneOf", "anyOf"):
        return StudyError(file, key, f"{show_value(inst)} is not allowed here; expected "
                          f"{_describe(err.schema)}")
    val, got = err.validator_value, show_value(inst)
    desc = {
        "type": lambda: f"must be {_article(val)}, got {got}",
        "minimum": lambda: f"must be >= {val}, got {got}",
        "maximum": lambda: f"must be <= {val}, got {got}",
        "exclusiveMinimum": lambda: f"must be > {val}, got {got}",
        "exclusiveMaximum": lambda: f"must be < {val}, got {got}",
        "minItems": lambda: f"must have at least {val} item(s)",
        "maxItems": lambda: f"must have at most {val} item(s)",
        "uniqueItems": lambda: f"must not repeat a value, got {got}",
        "minLength": lambda: "must not be empty",
        "minProperties": lambda: f"must have at least {val} key(s)",
        "maxProperties": lambda: f"must have exactly {val} key (a one-key mapping)",
        "multipleOf": lambda: f"must be a multiple of {val}, got {got}",
        "enum": lambda: f"must be one of {', '.join(map(str, val))}, got {got}",
    }
    return StudyError(file, key, desc[v]() if v in desc else err.message)


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
    opts = sub.get("oneOf") or sub.get("anyOf") or []
    parts = []
    for o in opts:
        if o.get("type") == "array":
            parts.append(f"a list of {_article(o.get('items', {}).get('type', 'value'))}s"
                         .replace("a list of a ", "a list of ").replace("an ", ""))
        elif o.get("type") == "object":
            parts.append("a one-key mapping {name: {options}}")
        else:
            parts.append(_article(o.get("type", "value")))
    return " or ".join(parts) or "a valid value"
