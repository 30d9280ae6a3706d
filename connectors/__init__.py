"""Connectors: one sub-package per vendor, registered under the entry-point group
``syncd.connectors``."""
