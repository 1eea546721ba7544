"""Failed logins, counted per (name, source address) and per source address,
kept in SQLite beside the index so that a restart forgets nothing.

* ``MAX_FAILURES`` failures of one name from one address within ``WINDOW_S``
  lock that pair for ``LOCK_S``: there even the right password is refused.
  The same name from any other address still logs in, so knowing an agent's
  name is not enough to lock the agent out.
* ``ADDRESS_FAILURES`` failures from one address within ``WINDOW_S``,
  whatever the names, block that address's logins for ``LOCK_S``, so one
  address cannot go through many names either. (IPv6 counts by /64.)

Attempts refused because of a lock test no password and are not counted, so
a lock ends ``LOCK_S`` after it began whatever the guesser does meanwhile.
Times are wall-clock seconds (they must mean the same after a restart).
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

MAX_FAILURES = 5  # per (name, address)
ADDRESS_FAILURES = 20  # per address
WINDOW_S = 600.0
LOCK_S = 600.0
NAME_KEPT = 128  # longer names are counted by their first characters (no account name is that long)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures (scope, key, at);
CREATE TABLE IF NOT EXISTS locks (scope TEXT NOT NULL, key TEXT NOT NULL, until REAL NOT NULL, PRIMARY KEY (scope, key));
"""


@dataclass(frozen=True)
class Standing:
    """Where a (name, address) stands now."""

    pair_locked_s: float = 0.0  # seconds left on the pair's lock
    address_blocked_s: float = 0.0  # seconds left on the address's block
    pair_left: int = MAX_FAILURES  # failures left before the pair locks
    address_left: int = ADDRESS_FAILURES  # failures left before the address is blocked

    @property
    def refused(self) -> bool:
        return self.pair_locked_s > 0 or self.address_blocked_s > 0


class LoginGuard:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.path, self._clock = Path(path), clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(_SCHEMA)

    def standing(self, name: str, address: str) -> Standing:
        with closing(self._connect()) as db:
            return self._standing(db, _pair(name, address), address, self._clock())

    def failed(self, name: str, address: str) -> Standing:
        """Count a wrong password (unless a lock already refused the attempt);
        lock the pair or block the address when it reaches its limit."""
        pair, now = _pair(name, address), self._clock()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                before = self._standing(db, pair, address, now)
                if not before.refused:
                    db.execute("DELETE FROM failures WHERE at <= ?", (now - WINDOW_S,))
                    db.execute("DELETE FROM locks WHERE until <= ?", (now,))
                    db.executemany("INSERT INTO failures VALUES (?, ?, ?)", [("pair", pair, now), ("address", address, now)])
                    for scope, key, limit in (("pair", pair, MAX_FAILURES), ("address", address, ADDRESS_FAILURES)):
                        if _count(db, scope, key, now) >= limit:
                            db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?, ?)", (scope, key, now + LOCK_S))
                            db.execute("DELETE FROM failures WHERE scope = ? AND key = ?", (scope, key))
                after = self._standing(db, pair, address, now)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return after

    def succeeded(self, name: str, address: str) -> None:
        """A right password clears that pair's failures (not the address's:
        one good account must not buy more guesses at others)."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM failures WHERE scope = 'pair' AND key = ?", (_pair(name, address),))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    @staticmethod
    def _standing(db: sqlite3.Connection, pair: str, address: str, now: float) -> Standing:
        def left(scope: str, key: str) -> float:
            row = db.execute("SELECT until FROM locks WHERE scope = ? AND key = ?", (scope, key)).fetchone()
            return max(0.0, row[0] - now) if row else 0.0

        return Standing(left("pair", pair), left("address", address),
                        MAX_FAILURES - _count(db, "pair", pair, now),
                        ADDRESS_FAILURES - _count(db, "address", address, now))


def _count(db: sqlite3.Connection, scope: str, key: str, now: float) -> int:
    return db.execute("SELECT COUNT(*) FROM failures WHERE scope = ? AND key = ? AND at > ?",
                      (scope, key, now - WINDOW_S)).fetchone()[0]


def _pair(name: str, address: str) -> str:
    return json.dumps([name[:NAME_KEPT], address], ensure_ascii=False)
