"""What the CLI says about measurements the store refused and set aside (dead letters)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from syncd.store import DeadLetter


def summary_line(count: int) -> str:
    """The line ``syncd status`` adds when measurements are set aside."""
    noun = "measurement" if count == 1 else "measurements"
    return f"{count} {noun} set aside; see `syncd dead-letters`"


def dead_letters_json(letters: Sequence[DeadLetter], total: int) -> dict[str, Any]:
    """The ``syncd dead-letters --format json`` document."""
    return {
        "total": total,
        "dead_letters": [
            {
                "key_result": letter.key_result_id,
                "reason": letter.reason,
                "attempts": letter.attempts,
                "first_seen": letter.first_seen.isoformat(),
                "last_seen": letter.last_seen.isoformat(),
                "item": json.loads(letter.item),
            }
            for letter in letters
        ],
    }


def print_dead_letters(letters: Sequence[DeadLetter], total: int, console: Console) -> None:
    """Three lines per dead letter (what, its window, why), most recently refused first."""
    if not total:
        console.print("No measurements set aside.")
        return
    for letter in letters:
        item = json.loads(letter.item)
        console.print(
            f"[red]✗[/] {letter.key_result_id}  value {item.get('value')}  refused "
            f"{letter.attempts}×, last {letter.last_seen:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )
        console.print(
            f"    window {item.get('window_start')} → {item.get('window_end')}", highlight=False
        )
        console.print(f"    {letter.reason}", highlight=False)
    shown = len(letters)
    tail = f" (showing the {shown} most recent)" if shown < total else ""
    console.print(f"{summary_line(total).split(';')[0]}{tail}", highlight=False)
