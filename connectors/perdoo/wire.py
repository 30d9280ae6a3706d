"""Perdoo's own names on the wire and the GraphQL documents syncd sends, in one place: a
correction is a one-line change here (the documents are built from the names below).

Perdoo's schema is published on Apollo Studio ("Perdoo-GQL") behind a login, so every name was
checked against public third-party material, found with the search tools (2026-12-05):

[A] ``Natural-Heroes/workflows`` ``mcp/perdoo/.planning/phases/01-foundation-objectives/
    introspection-output.json``: the output of introspection queries run against the live API
    with a real token (the root ``Query`` fields and their arguments, ``CommitStatus``, the
    ``UpsertObjectiveMutationPayload`` shape, Relay cursors, an HTTP 400 for an invalid query).
[B] ``Natural-Heroes/workflows`` ``mcp/perdoo/src/services/perdoo/operations/key-results.ts``
    and ``client.ts``: key-result queries written after that introspection; Bearer auth.
[C] a public provider module (TypeScript; the search tool did not name its repository) calling
    ``https://eu.perdoo.com/graphql/`` with ``upsertCommit``, ``me`` and ``currentCompany``.
[D] nango.dev/docs/api-integrations/perdoo/connect: the API token (64 hex characters, made
    under Personal Settings › API Tokens).

Field by field (V = verified in the source named, A = assumption):

- endpoint ``https://eu.perdoo.com/graphql/``: V [C], and [B] (``api-eu.perdoo.com`` there)
- ``Authorization: Bearer <token>``: V [B] [C]. (perfcopilot.com's docs say ``Token`` for a
  REST ``/api/v3``, a different API; syncd follows the GraphQL clients.)
- a bad or revoked token: A. No source shows the answer. syncd maps HTTP 401/403 and a 200
  whose ``errors`` speak of authentication or permission (as [B]'s client checks) to AuthError.
- ``mutation upsertCommit(input: UpsertCommitMutationInput!)``: V [C]
- its input fields ``keyResult``, ``id``, ``value``, ``commitDate``, ``status``,
  ``description``: V [C] (names only, not their types)
- ``status`` takes a ``CommitStatus`` name (``ON_TRACK``…): A. The enum and its five values
  (``NO_STATUS OFF_TRACK NEEDS_ATTENTION ON_TRACK ACCOMPLISHED``) are V [A]; whether the input
  field is that enum or a string of the same names is not shown anywhere.
- payload ``commit { id value commitDate status }`` and ``errors { field messages }``: V [C];
  ``errors`` is a non-null list on every upsert payload: V [A] (UpsertObjectiveMutationPayload)
- ``commitDate`` is a ``Date`` (``YYYY-MM-DD``): V [A] (``allCommits(commitDate_Gte: Date)``)
- ``allCommits(first, after, commitDate_Gte, commitDate_Lte)``, a Relay connection with
  ``pageInfo { hasNextPage endCursor }`` and ``edges { node }``: V [A]; a node's
  ``keyResult { id }``: V [C]. That it lists every commit of the company the token's user can
  see (not only the user's own), and that ``first: 100`` is accepted: A. It has no key-result
  filter (V [A]), so the day's commits are read and this KR's picked out.
- ``value`` is a Float and ``commitType`` may be left out: A ([C] sends both as optional)
- a key result by id is the root field ``result(id: UUID!)`` (there is no ``keyResult`` root
  field): V [A] [B]; its ``name``, ``currentValue``, ``startValue``, ``endValue``: V [B]
- a key result's ``lastCommit { id value commitDate }``: A (V on ``objective`` in [A], assumed
  alike on ``keyResult``)
- a missing key result: A. graphene-django answers ``data.result: null`` with an error
  ``"… matching query does not exist."``; an invalid document is HTTP 400: V [A]
- ``query { me { id email } currentCompany { id name } }``: V [A] (root fields) [C] (fields)
- rate limits: none published [A] [B]; 429 with ``Retry-After`` is handled as everywhere.
"""

from __future__ import annotations

DEFAULT_URL = "https://eu.perdoo.com/graphql/"
AUTH_SCHEME = "Bearer"

# ---- the commit mutation --------------------------------------------------------------------

UPSERT_COMMIT = "upsertCommit"
UPSERT_INPUT_TYPE = "UpsertCommitMutationInput"
IN_KEY_RESULT = "keyResult"
IN_ID = "id"
"""Given, the commit with this id is updated; absent, a commit is added."""
IN_VALUE = "value"
IN_COMMIT_DATE = "commitDate"
IN_STATUS = "status"
IN_DESCRIPTION = "description"

PAYLOAD_COMMIT = "commit"
PAYLOAD_ERRORS = "errors"
ERROR_FIELD = "field"
ERROR_MESSAGES = "messages"

# ---- commits and key results ----------------------------------------------------------------

COMMIT_ID = "id"
COMMIT_VALUE = "value"
COMMIT_DATE = "commitDate"
COMMIT_STATUS = "status"
COMMIT_KEY_RESULT = "keyResult"

COMMITS = "allCommits"
COMMITS_FROM = "commitDate_Gte"
COMMITS_UNTIL = "commitDate_Lte"
PAGE_SIZE = 100
"""Relay page size syncd asks for (graphene's usual maximum)."""

KEY_RESULT = "result"
KR_ID = "id"
KR_NAME = "name"
KR_CURRENT = "currentValue"
KR_START = "startValue"
KR_TARGET = "endValue"
KR_LAST_COMMIT = "lastCommit"

ME = "me"
ME_EMAIL = "email"
COMPANY = "currentCompany"
COMPANY_NAME = "name"

# ---- the status enum ------------------------------------------------------------------------

NO_STATUS = "NO_STATUS"
STATUSES = {
    "on_track": "ON_TRACK",
    "at_risk": "NEEDS_ATTENTION",
    "off_track": "OFF_TRACK",
    "achieved": "ACCOMPLISHED",
    "not_started": NO_STATUS,
    "stale": NO_STATUS,
}
"""syncd's status (``syncd.status``) → Perdoo's ``CommitStatus``. The names are V [A]; the
pairing is syncd's reading of both vocabularies (at risk = "needs attention"; a stale or
not-started KR says nothing about its course: no status)."""

AUTH_PHRASES = (
    "authenticat",
    "unauthori",
    "credentials",
    "permission",
    "token",
    "not logged in",
)
"""Words of a GraphQL error that mean the token cannot be used (an auth failure)."""

THROTTLE_PHRASES = ("throttl", "rate limit", "too many requests")

# ---- the documents --------------------------------------------------------------------------

UPSERT_COMMIT_OPERATION = "SyncdUpsertCommit"
UPSERT_COMMIT_DOCUMENT = f"""
mutation {UPSERT_COMMIT_OPERATION}($input: {UPSERT_INPUT_TYPE}!) {{
  {UPSERT_COMMIT}(input: $input) {{
    {PAYLOAD_COMMIT} {{ {COMMIT_ID} {COMMIT_VALUE} {COMMIT_DATE} {COMMIT_STATUS} }}
    {PAYLOAD_ERRORS} {{ {ERROR_FIELD} {ERROR_MESSAGES} }}
  }}
}}
"""

COMMITS_OF_DAY_OPERATION = "SyncdCommitsOfDay"
COMMITS_OF_DAY_DOCUMENT = f"""
query {COMMITS_OF_DAY_OPERATION}($day: Date!, $first: Int!, $after: String) {{
  {COMMITS}({COMMITS_FROM}: $day, {COMMITS_UNTIL}: $day, first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{
      node {{ {COMMIT_ID} {COMMIT_VALUE} {COMMIT_DATE} {COMMIT_KEY_RESULT} {{ {KR_ID} }} }}
    }}
  }}
}}
"""

KEY_RESULT_OPERATION = "SyncdKeyResult"
KEY_RESULT_DOCUMENT = f"""
query {KEY_RESULT_OPERATION}($id: UUID!) {{
  {KEY_RESULT}(id: $id) {{
    {KR_ID} {KR_NAME} {KR_CURRENT} {KR_START} {KR_TARGET}
    {KR_LAST_COMMIT} {{ {COMMIT_ID} {COMMIT_VALUE} {COMMIT_DATE} }}
  }}
}}
"""

WHO_AM_I_OPERATION = "SyncdWhoAmI"
WHO_AM_I_DOCUMENT = f"""
query {WHO_AM_I_OPERATION} {{
  {ME} {{ id {ME_EMAIL} }}
  {COMPANY} {{ id {COMPANY_NAME} }}
}}
"""
