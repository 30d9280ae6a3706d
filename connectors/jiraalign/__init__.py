"""The ``jiraalign`` sink: measured KR values land in Jira Align key results' value history."""

from connectors.jiraalign.config import JiraAlignSinkConfig, JiraAlignTarget
from connectors.jiraalign.sink import JiraAlignSink

__all__ = ["JiraAlignSink", "JiraAlignSinkConfig", "JiraAlignTarget"]
