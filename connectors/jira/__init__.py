"""The ``jira`` source: delivery KRs (issue counts, story points, cycle times) from Jira."""

from connectors.jira.config import JiraQuery, JiraSourceConfig
from connectors.jira.connector import JiraConnector
from syncd.registry import require

# The client is imported on the first call; a missing one is still reported when the config loads.
require("jira")

__all__ = ["JiraConnector", "JiraQuery", "JiraSourceConfig"]
