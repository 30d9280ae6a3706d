"""Store URLs, drivers and unmigrated stores: how the SQL store fails. SQL-only
(``sql_store_url``)."""

import re
from uuid import uuid4

import pytest

from syncd.errors import StoreError
from syncd.store import Store

from .helpers import item


def test_unreachable_server_names_url_without_password():
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql+psycopg://u:s3cr3t@127.0.0.1:1/x")
    message = str(caught.value)
    assert "s3cr3t" not in message
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in message
    assert "Connection refused" in message
    assert "is PostgreSQL running? check `store:` in your config" in message


@pytest.mark.postgres
def test_unknown_database_names_url_without_password(postgres_admin):
    name = f"syncd_missing_{uuid4().hex[:8]}"
    url = postgres_admin.url.set(password="s3cr3t", database=name)
    with pytest.raises(StoreError) as caught:
        Store.open(url.render_as_string(hide_password=False))
    message = str(caught.value)
    assert "s3cr3t" not in message
    assert f":***@{url.host}:{url.port}/{name}" in message
    assert f'database "{name}" does not exist' in message
    assert "createdb" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "cannot parse the store URL"),
        ("postgresql+psycopg://u:s3cr3t@host:notaport/db", "cannot parse the store URL"),
        ("mysql://u:s3cr3t@db/syncd", "unsupported database 'mysql'"),
        (
            "postgresql+nodriver://u:s3cr3t@db/syncd",
            "driver 'postgresql+nodriver' is not available",
        ),
    ],
)
def test_bad_urls(url, expected):
    with pytest.raises(StoreError, match=re.escape(expected)) as caught:
        Store.open(url)
    assert "s3cr3t" not in str(caught.value)
    assert "hint:" in str(caught.value)


def test_sqlite_path_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create the SQLite file's directory"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'syncd.db'}")


def test_a_failing_store_raises_while_a_refused_item_does_not(sql_store_url):
    with Store.open(sql_store_url, upgrade=False) as unmigrated:
        with pytest.raises(StoreError, match="recording measurements failed") as caught:
            unmigrated.record_measurements([item("no-such-kr", 1.0, 1)])
        assert "the store is not migrated" in str(caught.value)
        unmigrated.upgrade()
        result = unmigrated.record_measurements([item("no-such-kr", 1.0, 1)])
    assert result.inserted == 0
    assert [r.reason for r in result.refused] == [
        "key result 'no-such-kr' is not defined in the store"
    ]


def test_using_an_unmigrated_store_says_so(sql_store_url):
    with (
        Store.open(sql_store_url, upgrade=False) as store,
        pytest.raises(StoreError, match="reading runs failed") as caught,
    ):
        store.runs()
    assert "the store is not migrated" in str(caught.value)
