"""The ``jira`` source: delivery KRs (issue counts, story points, cycle times) from Jira."""

from connectors.jira.config import JiraQuery, JiraSourceConfig
from connectors.jira.connector import JiraConnector

__all__ = ["JiraConnector", "JiraQuery", "JiraSourceConfig"]
