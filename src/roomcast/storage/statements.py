"""SQLAlchemy Core statements run on the database driver itself: sqlite3, or asyncpg.

The group commit's statements (`storage.commit`) are compiled by SQLAlchemy for the database's
dialect once per shape, and their parameters and rows converted by the column types' own
processors, so both databases read and write the same values through one definition. What
this skips is SQLAlchemy's execution machinery (contexts, events, result objects), measured
at two to three times the cost of the statements themselves on the commit path (on SQLite in
session 4; on PostgreSQL about 1.4 ms of CPU per batch of a few messages, mostly that).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Executable, Insert, Uuid
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None
SQLITE = sqlite.dialect(paramstyle="qmark")
# numeric_dollar ($1, $2 ...), as asyncpg takes them (the dialect's constructor is untyped).
ASYNCPG: Dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


class _Compiled:
    def __init__(self, statement: Executable, keys: Sequence[str], dialect: Dialect) -> None:
        if not isinstance(statement, ClauseElement):
            raise TypeError(f"not a Core statement: {statement!r}")
        column_keys = list(keys) if isinstance(statement, Insert) else None
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        self._compiled = compiled
        self.sql = compiled.string
        self._names = list(compiled.positiontup or ())
        self._binds: dict[str, Processor] = {
            name: _bind_processor(bind.type, dialect) for name, bind in compiled.binds.items()
        }
        self._constants = {name: bind.value for name, bind in compiled.binds.items()}
        # Per positional value: its parameter, its processor, and the value bound in the statement.
        self._order = [(name, self._binds[name], self._constants[name]) for name in self._names]
        self._expanding = sorted(name for name, bind in compiled.binds.items() if bind.expanding)
        # Per length of each IN list: the expanded SQL and where each positional value comes from.
        self._expansions: dict[tuple[int, ...], tuple[str, list[tuple[Processor, _Slot]]]] = {}
        columns = getattr(statement, "selected_columns", None)
        self.columns: list[tuple[str, Processor]] | None = (
            [(column.key, _result_processor(column.type, dialect)) for column in columns]
            if columns is not None
            else None
        )

    def values(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL for `params` (IN lists expanded) and its positional values, converted."""
        if self._expanding:
            lengths = tuple(len(params[name]) for name in self._expanding)
            expansion = self._expansions.get(lengths)
            if expansion is None:
                expansion = self._expansions[lengths] = self._expand(params)
            sql, slots = expansion
            return sql, [_convert(process, slot.take(params)) for process, slot in slots]
        values = []
        for name, process, constant in self._order:
            value = params.get(name, constant)
            values.append(value if process is None or value is None else process(value))
        return self.sql, values

    def _expand(self, params: Mapping[str, Any]) -> tuple[str, list[tuple[Processor, _Slot]]]:
        """Expand once with a marker in place of every value, to learn where each value goes."""
        marked = dict(params)
        for name in self._expanding:
            marked[name] = [
                tuple(_Slot(name, i, j) for j in range(len(item))) if isinstance(item, tuple) else _Slot(name, i)
                for i, item in enumerate(params[name])
            ]
        state = self._compiled.construct_expanded_state(marked, escape_names=False)
        slots = []
        for name, value in zip(state.positiontup or [], state.positional_parameters, strict=True):
            if isinstance(value, _Slot):
                slot = value
            elif name in params:
                slot = _Slot(name)
            else:  # bound in the statement itself (a LIMIT)
                slot = _Slot(name, constant=value)
            slots.append((state.processors.get(name) or self._binds.get(name), slot))
        return state.statement, slots

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        assert self.columns is not None
        columns = self.columns
        return [
            {
                key: value if process is None or value is None else process(value)
                for (key, process), value in zip(columns, row, strict=True)
            }
            for row in fetched
        ]


class _Slot:
    """Where one positional value comes from: a parameter, an item of its list, a part of that."""

    __slots__ = ("constant", "index", "name", "part")

    def __init__(self, name: str, index: int | None = None, part: int | None = None, constant: object = None) -> None:
        self.name, self.index, self.part, self.constant = name, index, part, constant

    def take(self, params: Mapping[str, Any]) -> Any:
        if self.name not in params:
            return self.constant
        value = params[self.name]
        if self.index is not None:
            value = value[self.index]
            if self.part is not None:
                value = value[self.part]
        return value


def _bind_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Processor:
    """The column type's own bind processor, but for UUIDs as text the same conversion without
    its three Python calls (a batch binds eight per message)."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is not None and isinstance(column_type, Uuid) and column_type.as_uuid:
        probe = uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF)
        if process(probe) == _uuid_hex(probe):  # SQLAlchemy's own form (32 hex digits) as checked
            return _uuid_hex
    return _last_remembered(process)


def _uuid_hex(value: uuid.UUID) -> str:
    return format(value.int, "032x")


def _last_remembered(process: Processor) -> Processor:
    """`process` answering again for the value it was just given: the rows of a batch share
    its timestamp, and consecutive rows often their room."""
    if process is None:
        return None
    last: list[Any] = [_NOTHING, None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered


_NOTHING = object()
_IDS_REMEMBERED = 4096


def _result_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Processor:
    """The column type's own result processor; for UUIDs, remembering the ids it has parsed
    (the same rooms and users come back batch after batch)."""
    process = column_type.dialect_impl(dialect).result_processor(dialect, None)
    if process is None or not isinstance(column_type, Uuid):
        return process
    parsed: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        found = parsed.get(value)
        if found is None:
            if len(parsed) >= _IDS_REMEMBERED:
                parsed.clear()
            found = parsed[value] = process(value)
        return found

    return remembered


def _convert(process: Processor, value: Any) -> Any:
    return process(value) if process is not None else value


class _Statements:
    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[tuple[int, tuple[str, ...]], _Compiled] = {}

    def _compile(self, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
        # Statements are module constants: their identity and the parameter names are the shape.
        key = (id(statement), keys)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(statement, keys, self._dialect)
        return compiled


class SqliteStatements(_Statements):
    """Runs Core statements on one sqlite3 connection; a list of parameters is an executemany."""

    def __init__(self) -> None:
        super().__init__(SQLITE)

    def run(self, db: sqlite3.Connection, statement: Executable, params: Any) -> list[dict[str, Any]]:
        many = isinstance(params, list)
        first: Mapping[str, Any] = params[0] if many else params
        compiled = self._compile(statement, tuple(first))
        if many:
            # Nothing expands in a statement run for many rows: one SQL text for all.
            db.executemany(compiled.sql, [compiled.values(row)[1] for row in params])
            return []
        sql, values = compiled.values(params)
        cursor = db.execute(sql, values)
        return compiled.rows(cursor.fetchall()) if compiled.columns is not None else []


class AsyncpgStatements(_Statements):
    """Runs Core statements on an asyncpg connection (asyncpg prepares and caches each SQL text);
    a list of parameters is an executemany, which asyncpg sends in one round trip."""

    def __init__(self) -> None:
        super().__init__(ASYNCPG)

    async def run(self, conn: Any, statement: Executable, params: Any) -> list[dict[str, Any]]:
        many = isinstance(params, list)
        first: Mapping[str, Any] = params[0] if many else params
        compiled = self._compile(statement, tuple(first))
        if many:
            await conn.executemany(compiled.sql, [compiled.values(row)[1] for row in params])
            return []
        sql, values = compiled.values(params)
        if compiled.columns is None:
            await conn.execute(sql, *values)
            return []
        return compiled.rows(await conn.fetch(sql, *values))
