"""The official client, built once per access token, with its own retries turned off.

urllib3's retry in ``hubspot-api-client`` never retries a POST search and would retry a GET
silently, so syncd disables it and retries every call itself through
:func:`syncd.retry.call_upstream`, where each attempt is counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hubspot import HubSpot
from hubspot.crm.objects import SearchApi
from hubspot.crm.pipelines import PipelinesApi
from hubspot.oauth import TokensApi
from urllib3.util.retry import Retry


def _no_retry() -> Retry:
    return Retry(total=False)


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
    client = HubSpot(access_token=access_token, host=endpoint, retry=_no_retry())
    return Apis(search=client.crm.objects.search_api, pipelines=client.crm.pipelines.pipelines_api)


def build_tokens_api(endpoint: str) -> TokensApi:
    """The OAuth token API (``POST /oauth/v1/token``), which needs no access token."""
    return HubSpot(host=endpoint, retry=_no_retry()).oauth.tokens_api


class Pacer:
    """Spaces calls at least ``1 / rate`` seconds apart (HubSpot: 5 searches a second)."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call may go out."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            if self._next > now:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval
