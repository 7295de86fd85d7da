"""A study's ``measures:``: each item a measure's name or a mapping with its arguments
and MCSE method, resolved to a :class:`~fisherlab.stats.plugins.MeasureSpec` when the
file is read, so that an unknown name, a bad argument or a method the measure cannot
use stops the run before any job::

    measures:
      - median_bias
      - {name: trimmed_bias, trim: 0.2}
      - {name: rejection_rate, alpha: 0.05}
      - {name: "python:studies.models.my_measures:hodges_lehmann", mcse: bootstrap}
"""

from __future__ import annotations

from ..stats.plugins import MeasureSpec, resolve
from ..stats.plugins.compute import default_method, method_problem


def check_measures(items: list, problems) -> tuple[MeasureSpec, ...] | None:
    """The study's measures (the schema accepted their shape); every problem to
    ``problems`` under its key, and None when there was one."""
    before = len(problems.items)
    out, seen = [], set()
    for i, item in enumerate(items):
        key = f"measures[{i}]"
        item = {"name": item} if isinstance(item, str) else dict(item)
        name = item.pop("name")
        method = item.pop("mcse", None)
        try:
            m = resolve(name)
        except KeyError as exc:
            problems.add(f"{key}.name", str(exc.args[0]))
            continue
        bad = m.check(item)
        if bad:
            problems.add(key, bad)
            continue
        method = method or default_method(m)
        bad = method_problem(m, method)
        if bad:
            problems.add(f"{key}.mcse", bad)
            continue
        if name in seen:  # claims and measures.csv name a measure by its name
            problems.add(f"{key}.name", f"{name} is listed twice; list each measure once")
            continue
        seen.add(name)
        args = {**m.args, **item}
        out.append(MeasureSpec(name, m.text(args), args, m, method))
    return None if len(problems.items) > before else tuple(out)
