"""The official client, built once per access token, with its own retries turned off.

urllib3's retry in ``hubspot-api-client`` never retries a POST search and would retry a GET
silently; the runner (``syncd.collect``) retries whole fetches instead, counting each attempt.
Calls ask for the raw response (``_preload_content=False``) so the connector reads the body
itself: numbers keep their upstream text and an HTML or cut body is named as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# The client loads when the first one is built, not with the config (`syncd status` stays fast).
if TYPE_CHECKING:
    from hubspot import HubSpot
    from hubspot.crm.objects import SearchApi
    from hubspot.crm.pipelines import PipelinesApi
    from hubspot.oauth import TokensApi


def _client(**options: str) -> HubSpot:
    """``HubSpot(**options)`` with urllib3's retries off."""
    from hubspot import HubSpot
    from urllib3.util.retry import Retry

    return HubSpot(retry=Retry(total=False), **options)


@dataclass
class Apis:
    """The client APIs syncd calls, sharing one access token."""

    search: SearchApi
    pipelines: PipelinesApi

    def close(self) -> None:
        for api in (self.search, self.pipelines):
            api.api_client.rest_client.pool_manager.clear()
            api.api_client.close()


def build_apis(endpoint: str, access_token: str) -> Apis:
    """The search and pipelines APIs of ``HubSpot(access_token=…, host=endpoint)``."""
    client = _client(access_token=access_token, host=endpoint)
    return Apis(search=client.crm.objects.search_api, pipelines=client.crm.pipelines.pipelines_api)


def build_tokens_api(endpoint: str) -> TokensApi:
    """The OAuth token API (``POST /oauth/v1/token``), which needs no access token."""
    return _client(host=endpoint).oauth.tokens_api
