"""Whether a listener is reachable beyond this host, and what to say when that is unsafe.

The daemon's listener (``/metrics``, the dashboard, the API) and ``syncd serve`` refuse a
non-loopback address without a bearer token, unless the operator states that a trusted proxy
in front authenticates (``daemon.listen_insecure: true`` / ``syncd serve --insecure``).
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name, brackets allowed) is this host only.

    Names other than ``localhost`` count as reachable: what they resolve to may change.
    """
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def exposed_without_token(listen: str, *, serves: str, token_option: str, opt_out: str) -> str:
    """The one-line refusal for ``listen`` served to the network without a token."""
    return (
        f"{listen} is reachable beyond this host and no {token_option} is set: anyone who "
        f"reaches it reads {serves}; set {token_option}, listen on 127.0.0.1, or set "
        f"{opt_out} behind a trusted proxy that authenticates"
    )
