"""A user's own model: ``family: python:<module>:<object>``.

``<module>`` is imported (the working directory, normally the project root, is on the
path, so ``studies/models/my_model.py`` is ``studies.models.my_model``) and
``<object>`` must be a subclass of :class:`fisherlab.families.Family` declaring at
least ``params``, ``sample`` and ``logpdf``; whatever else it declares (``mle``,
``mom_from_moments``, ``score``, ``start``, ``fisher_information``, ...) is used, the
rest falls back to the generic numeric path. See docs/families.md for the protocol
and studies/models/zero_inflated_poisson.py for a worked example.
"""

from __future__ import annotations

from functools import cache

from ..core.registry import python_object
from .base import Family


@cache
def python_family(spec: str) -> type[Family]:
    """The family class named by ``python:<module>:<object>``; KeyError if unusable."""
    module, obj, cls = python_object(spec)
    if not (isinstance(cls, type) and issubclass(cls, Family)):
        raise KeyError(f"{module}.{obj} must be a subclass of fisherlab.families.Family")
    missing = [m for m in ("sample", "logpdf") if not cls.has(m)]
    if missing or not getattr(cls, "params", None):
        raise KeyError(f"{module}.{obj} must declare params, sample and logpdf "
                       f"(missing: {', '.join(missing) or 'params'})")
    return type(cls.__name__, (cls,), {"name": spec, "kind": "python",
                                       # unknown unless the model declares it
                                       "space": None if cls.space is Family.space else cls.space,
                                       "__module__": cls.__module__})
