"""Test helpers for connector authors (needs pytest): the conformance kit."""

from syncd.testing.conformance import ConnectorConformance

__all__ = ["ConnectorConformance"]
