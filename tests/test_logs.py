"""Logging is configured up front but structlog loads only when something logs (issue 12: a
command that logs nothing does not pay for structlog's imports)."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY_LOGGER = """
import sys
from syncd import logs
logs.configure(level="warning", fmt="json")
logs.register_secrets(["hunter2-secret"])
log = logs.get_logger("syncd.test")
print("structlog loaded before logging:", "structlog" in sys.modules)
log.info("hidden", detail="below the level")
log.warning("shown", token="hunter2-secret")
"""

DIRECT_IMPORT = """
import sys
from syncd import logs
logs.configure(level="info", fmt="json")
print("structlog loaded before logging:", "structlog" in sys.modules)
import structlog
structlog.get_logger("elsewhere").info("direct", n=3)
structlog.get_logger("elsewhere").debug("hidden")
"""


def run(script: str) -> tuple[str, list[dict[str, object]]]:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout, [json.loads(line) for line in done.stderr.splitlines()]


def test_a_lazy_logger_loads_structlog_on_first_use_with_the_configured_settings() -> None:
    stdout, events = run(LAZY_LOGGER)
    assert "structlog loaded before logging: False" in stdout
    assert [(e["event"], e["level"], e["token"]) for e in events] == [("shown", "warning", "***")]


def test_a_module_importing_structlog_itself_gets_the_configuration() -> None:
    stdout, events = run(DIRECT_IMPORT)
    assert "structlog loaded before logging: False" in stdout
    assert [(e["event"], e["level"], e["n"]) for e in events] == [("direct", "info", 3)]
    assert all("timestamp" in e for e in events)


def test_configure_after_structlog_is_loaded_applies_at_once() -> None:
    script = "import structlog\n" + DIRECT_IMPORT.replace("import structlog\n", "")
    stdout, events = run(script)
    assert "structlog loaded before logging: True" in stdout
    assert [(e["event"], e["n"]) for e in events] == [("direct", 3)]
