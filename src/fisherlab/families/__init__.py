"""The families: one module per family, registered by name (:mod:`.registry`); every
module of this package is imported here, so a new family is its module alone.

>>> from fisherlab.families import get_family
>>> get_family("normal").estimands()
('mu', 'sigma', 'sigma2')
"""

from __future__ import annotations

from ..core.registry import import_submodules
from .base import Derived, Family, Param, Point
from .registry import family_names, get_family, register

import_submodules(__name__, __path__)

__all__ = ["Derived", "Family", "Param", "Point", "family_names", "get_family", "register"]
