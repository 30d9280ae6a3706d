"""JSON for every output (``--format json``, the API, reports, exports): never NaN.

``json.dumps`` writes ``NaN`` and ``Infinity`` by default, which no JSON parser but Python's
accepts. A number that is not finite is not a measurement: it is written as ``null``, and
``allow_nan=False`` refuses anything that slips past (a float inside an object only the
``default`` hook turns into JSON). The dashboard's Flask provider is
:class:`syncd.web.jsonprovider.FiniteJSONProvider`: this module imports no Flask.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, at any depth of dicts and lists, as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``value`` with non-finite numbers written as ``null``."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
