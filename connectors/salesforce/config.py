"""Settings of a ``salesforce`` source and the query model of its metrics."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.salesforce.template import ParamValue, SoqlTemplate, parse_template
from syncd.abc import QueryModel, SourceConfig, ValueKind

_SALESFORCE_HOST = re.compile(r"^(?P<domain>[a-z0-9.-]+)\.salesforce\.com$", re.IGNORECASE)
_SELECT_LIST = re.compile(r"^\s*SELECT\s+(?P<items>.*?)\s+FROM\s", re.IGNORECASE | re.DOTALL)
_AGGREGATE = re.compile(
    r"^(?P<function>[A-Za-z_]+)\s*\(.*\)\s*(?P<alias>[A-Za-z_]\w*)?$", re.DOTALL
)
_FUNCTION_KINDS = {
    "COUNT": ValueKind.COUNT,
    "COUNT_DISTINCT": ValueKind.COUNT,
    "SUM": ValueKind.SUM,
}


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class JwtAuth(_Auth):
    """OAuth 2.0 JWT bearer flow: a connected app's consumer key signs in as ``username``."""

    flow: Literal["jwt"]
    client_id: str = Field(min_length=1, description="the connected app's consumer key")
    username: str = Field(min_length=1)
    private_key: SecretStr = Field(description="PEM private key, e.g. ${file:/run/…/sf.key}")


class ClientCredentialsAuth(_Auth):
    """OAuth 2.0 client credentials flow (needs a My Domain login URL)."""

    flow: Literal["client_credentials"]
    client_id: str = Field(min_length=1)
    client_secret: SecretStr


class PasswordAuth(_Auth):
    """OAuth 2.0 username-password flow; the security token is appended to the password."""

    flow: Literal["password"]
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    username: str = Field(min_length=1)
    password: SecretStr
    security_token: SecretStr = SecretStr("")


class SessionAuth(_Auth):
    """A session (access token) obtained elsewhere; it cannot be renewed when it expires."""

    flow: Literal["session"]
    session_id: SecretStr


Auth = Annotated[
    JwtAuth | ClientCredentialsAuth | PasswordAuth | SessionAuth, Field(discriminator="flow")
]


class SalesforceSourceConfig(SourceConfig):
    """A Salesforce org, reached through simple-salesforce over the REST API."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["salesforce"]
    auth: Auth
    login_url: str = Field(
        "https://login.salesforce.com",
        description="where to log in: https://login.salesforce.com, https://test.salesforce.com, "
        "your My Domain URL, or a proxy/sandbox endpoint",
    )
    domain: str | None = Field(
        None,
        description="the login domain as Salesforce names it (login, test, acme.my); derived "
        "from login_url when that is a salesforce.com host, else 'login'",
    )
    instance_url: str | None = Field(
        None, description="the org's URL; required for the session flow, else from the login"
    )
    api_version: str = Field("59.0", pattern=r"^\d{2,3}\.\d$")
    ca_bundle: Path | None = Field(
        None, description="PEM file of CAs to trust (a TLS-intercepting proxy, the sandbox)"
    )
    timeout_seconds: float = Field(30.0, gt=0)
    batch_size: int = Field(2000, ge=200, le=2000, description="records per query page")
    max_api_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="stop querying once this share of the org's daily API allocation is used",
    )
    pause_seconds: float = Field(
        3600.0, gt=0, description="how long REQUEST_LIMIT_EXCEEDED pauses the source"
    )

    @field_validator("login_url", "instance_url")
    @classmethod
    def _https_url(cls, url: str | None) -> str | None:
        if url is None:
            return url
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{url!r} must be an https:// URL (simple-salesforce speaks https)")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"{url!r}: give the scheme and host only, no path")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _flow_needs(self) -> SalesforceSourceConfig:
        if isinstance(self.auth, SessionAuth) and self.instance_url is None:
            raise ValueError("the session flow needs 'instance_url'")
        if isinstance(self.auth, ClientCredentialsAuth) and self.login_domain in ("login", "test"):
            raise ValueError(
                "the client_credentials flow needs your My Domain login URL "
                "(https://<name>.my.salesforce.com) or 'domain: <name>.my'"
            )
        return self

    @property
    def login_domain(self) -> str:
        """The domain simple-salesforce logs in at (``https://<domain>.salesforce.com``)."""
        if self.domain is not None:
            return self.domain
        match = _SALESFORCE_HOST.match(urlsplit(self.login_url).hostname or "")
        return match.group("domain") if match else "login"

    @property
    def login_is_redirected(self) -> bool:
        """True when login_url is not the salesforce.com host of ``login_domain``."""
        return self.login_url.lower() != f"https://{self.login_domain}.salesforce.com".lower()


class SalesforceQuery(QueryModel):
    """One SOQL query reduced to one number.

    - ``SELECT COUNT() FROM …``: the number of matching records (``totalSize``);
    - an aggregate without GROUP BY (``SELECT SUM(Amount) FROM …``): its single value; name the
      column with ``value`` (alias or ``expr0``, ``expr1`` …) when the row has several;
    - anything returning several rows (GROUP BY, or plain fields): every page is read
      (``nextRecordsUrl``) and ``reduce`` folds ``value`` over the rows (``count`` counts them).

    ``{window_start}``/``{window_end}`` render the whole days the planner decided (the first
    day, and the day after the last), ``{…:datetime}`` the window's instants, ``{name}`` a key
    of ``params`` as a quoted literal; a query without window placeholders reads the present
    state, so it is never asked for a past slot. ``if_null`` is the value of an aggregate over no
    rows (SUM of nothing is null in SOQL); without it that is an error.
    """

    soql: str = Field(min_length=1)
    value: str | None = Field(None, description="the result column: field, alias or exprN")
    reduce: Literal["sum", "avg", "min", "max", "count"] | None = None
    if_null: float | None = None
    params: dict[str, ParamValue] = Field(default_factory=dict)

    @field_validator("soql")
    @classmethod
    def _looks_like_select(cls, soql: str) -> str:
        if not re.match(r"^\s*SELECT\s", soql, re.IGNORECASE):
            raise ValueError("a SOQL query starts with SELECT")
        return soql

    @field_validator("params")
    @classmethod
    def _param_names(cls, params: dict[str, ParamValue]) -> dict[str, ParamValue]:
        for name in params:
            if name in ("window_start", "window_end") or not name.isidentifier():
                raise ValueError(f"{name!r} cannot be a param name (window names are reserved)")
        return params

    @model_validator(mode="after")
    def _valid_template(self) -> SalesforceQuery:
        self.template()
        if self.reduce not in (None, "count") and self.value is None:
            raise ValueError(f"reduce: {self.reduce} needs 'value' (the column to fold)")
        return self

    def template(self) -> SoqlTemplate:
        """The parsed template (raises ``ValueError`` when it is invalid)."""
        return parse_template(self.soql, self.params)

    @property
    def counts_records(self) -> bool:
        """``SELECT COUNT() FROM …``: the answer is the record count, not a row value."""
        return bool(re.match(r"^\s*SELECT\s+COUNT\s*\(\s*\)\s+FROM\s", self.soql, re.IGNORECASE))

    @property
    def kind(self) -> ValueKind:
        """What the answer is: a count (``COUNT()``, ``COUNT(Id)``, ``reduce: count``), a sum
        (``SUM``), else a free number (``AVG``/``MIN``/``MAX``, a plain field, ``reduce: avg``).
        ``reduce: sum`` keeps its column's kind; ``min``/``max`` keep a count's."""
        if self.counts_records or self.reduce == "count":
            return ValueKind.COUNT
        column = self._column_kind()
        if self.reduce in (None, "sum"):
            return column
        if self.reduce in ("min", "max") and column is ValueKind.COUNT:
            return column
        return ValueKind.NUMBER

    def _column_kind(self) -> ValueKind:
        """The kind of the value column, read from the SELECT list (aggregates are named by
        their alias, else ``expr0``, ``expr1`` … in order)."""
        match = _SELECT_LIST.match(self.soql)
        if match is None:
            return ValueKind.NUMBER
        kinds: dict[str, ValueKind] = {}
        unnamed = 0
        for item in _split_top_level(match.group("items")):
            aggregate = _AGGREGATE.match(item)
            if aggregate is None:
                field = item.split()
                kinds[(field[-1] if field else item).lower()] = ValueKind.NUMBER
                continue
            kind = _FUNCTION_KINDS.get(aggregate.group("function").upper(), ValueKind.NUMBER)
            alias = aggregate.group("alias")
            if alias is None:
                alias, unnamed = f"expr{unnamed}", unnamed + 1
            kinds[alias.lower()] = kind
        if self.value is not None:
            return kinds.get(self.value.lower(), ValueKind.NUMBER)
        return next(iter(kinds.values())) if len(kinds) == 1 else ValueKind.NUMBER


def _split_top_level(items: str) -> list[str]:
    """A SELECT list split at its top-level commas (not those inside parentheses)."""
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in items:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]
