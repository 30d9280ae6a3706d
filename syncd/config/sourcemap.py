"""Where each key of a merged configuration was written: file, line and column (1-based)."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncd.errors import ConfigIssue

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """A place in a config file; ``line`` and ``column`` count from 1."""

    file: str
    line: int
    column: int


@dataclass
class SourceMap:
    """Positions of key paths (a mapping key's own line; a list item's first line)."""

    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def add(self, path: KeyPath, position: Position) -> None:
        self.positions.setdefault(path, position)

    def get(self, path: KeyPath) -> Position | None:
        """The position of exactly ``path``, if it was written in a file."""
        return self.positions.get(path)

    def nearest(self, path: KeyPath) -> Position | None:
        """The position of ``path`` or of its closest ancestor written in a file."""
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return self.positions.get(())

    def issue(
        self, message: str, path: KeyPath, hint: str | None = None, *, at: KeyPath | None = None
    ) -> ConfigIssue:
        """A ``ConfigIssue`` about ``path``, placed at ``at`` (default: the path itself) or the
        closest ancestor written in the files."""
        where = self.nearest(path if at is None else at)
        return ConfigIssue(
            message,
            path=path,
            file=where.file if where else None,
            line=where.line if where else None,
            column=where.column if where else None,
            hint=hint,
        )

    def under(self, prefix: KeyPath) -> dict[KeyPath, Position]:
        """Every position at or below ``prefix``."""
        size = len(prefix)
        return {path: pos for path, pos in self.positions.items() if path[:size] == prefix}

    def children(self, prefix: KeyPath) -> dict[str | int, dict[KeyPath, Position]]:
        """Every position strictly below ``prefix``, grouped by the key right after it: one
        pass over the map, where calling :meth:`under` per child would grow with the square."""
        size = len(prefix)
        grouped: dict[str | int, dict[KeyPath, Position]] = {}
        for path, position in self.positions.items():
            if len(path) > size and path[:size] == prefix:
                grouped.setdefault(path[size], {})[path] = position
        return grouped

    def add_shifted(self, other: SourceMap, section: str, offset: int) -> None:
        """Add ``other``'s positions under list ``section``, its item indexes moved by ``offset``.

        This keeps positions right when several files' ``objectives`` lists are concatenated.
        """
        for path, position in other.under((section,)).items():
            if len(path) > 1 and isinstance(path[1], int):
                self.add((section, path[1] + offset, *path[2:]), position)
            else:
                self.add(path, position)

    def update(self, other: SourceMap) -> None:
        for path, position in other.positions.items():
            self.add(path, position)
