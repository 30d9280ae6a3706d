"""Flask's JSON (``jsonify``, API responses) with non-finite numbers as ``null``.

Apart from :mod:`syncd.jsonout` so that ``--format json`` of a CLI command does not import Flask.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from syncd.jsonout import finite


class FiniteJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider (``jsonify``, API responses) with non-finite numbers as ``null``."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(finite(obj), **kwargs)
