"""The persistent derivation cache: derived results on disk, read back without evaluating text.

An entry is one derived :class:`~symrecycle.core.results.Result` (or the
reason it was not derived), keyed by a SHA-256 of what decides it: the model's
content (its parameters, sequences and metrics, not its name), the quantity
requested, and the versions of symrecycle, its code, SymPy, mpmath and Python.
It is written as JSON by :mod:`symrecycle.core.treejson` (a whitelist of SymPy
node types, with a checksum), under a first line holding its HMAC-SHA256 with
the folder's key (``.key``, 32 random bytes readable by their owner only), to a
temporary file renamed into place, so a reader sees a whole entry or none. An
entry that does not read back exactly (truncated, changed, written without the
key, another format, another key) is ignored and rewritten.

Where: ``$SYMRECYCLE_CACHE_DIR``, else the user's cache directory
(``$XDG_CACHE_HOME/symrecycle``, ``~/.cache/symrecycle``; ``~/Library/Caches``
on macOS, ``%LOCALAPPDATA%`` on Windows). Off: ``SYMRECYCLE_NO_CACHE=1``,
:func:`set_enabled`, or the command line's ``--no-cache``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import hmac
import os
import platform
import re
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

try:  # POSIX; elsewhere entries are derived without waiting for another process
    import fcntl as _fcntl
except ImportError:  # pragma: no cover
    _fcntl = None

import mpmath
import sympy as sp

from ..core import treejson
from ..core.canonical import Condition
from ..core.results import EngineStopped, NoClosedForm, NotDerived, Result
from ..core.version import VERSION

__all__ = ["directory", "enabled", "set_enabled", "lookup", "save", "info", "clear", "FORMAT",
           "stored_only", "NotStored", "keep_cases", "lookup_value", "save_value", "encode", "decode"]

#: the layout of an entry; a change makes every older entry another key
FORMAT = 2
#: an entry larger than this is not read (a derived result is a few kilobytes)
MAX_BYTES = 8 * 2**20
#: quantities (the first element of a model's cache key) whose results are stored
KINDS = frozenset({"closed_form", "benefit", "limit", "sens", "elast", "breakeven", "iter"})
#: what else is stored (plain data, :func:`lookup_value`): the verdicts of claims over regions
VALUE_KINDS = frozenset({"region"})
_ERRORS = {"NotDerived": NotDerived, "NoClosedForm": NoClosedForm, "EngineStopped": EngineStopped}
_NAMED = "model {model}"
_ENTRY = re.compile(r"^[0-9a-f]{64}\.json$")
_TEMP = re.compile(r"^\.tmp-[0-9a-f]{64}-")
_LOCK = re.compile(r"^[0-9a-f]{64}\.lock$")
#: seconds a process waits for another one deriving the same entry before it derives it too
LOCK_WAIT = 600.0
_state = {"enabled": None, "cases": False}
_local = threading.local()


class NotStored(BaseException):
    """Raised under :func:`stored_only` where a result would have to be derived (a BaseException:
    no handler of the engine's or the report's takes it for a failure of the derivation)."""


@contextlib.contextmanager
def stored_only():
    """Within the block, a model reads its results from the cache and derives none: a result that
    is not stored raises :class:`NotStored` (the caller derives it elsewhere, in a worker process).

    Examples
    --------
    >>> from symrecycle.models.catalogue import kickstarting
    >>> set_enabled(False)
    >>> with stored_only():
    ...     kickstarting().limit()
    Traceback (most recent call last):
    ...
    symrecycle.models.store.NotStored: ('limit', 'benefit')
    >>> set_enabled(None)
    """
    before = getattr(_local, "only", False)
    _local.only = True
    try:
        yield
    finally:
        _local.only = before


def must_derive(key) -> None:
    """:class:`NotStored` for ``key`` inside :func:`stored_only`; nothing elsewhere."""
    if getattr(_local, "only", False):
        raise NotStored(key)


def directory() -> Path:
    """Where entries are written (the folder ``derivations`` of the cache directory)."""
    given = os.environ.get("SYMRECYCLE_CACHE_DIR", "").strip()
    if given:
        base = Path(given).expanduser()
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "symrecycle"
    elif os.name == "nt":
        local = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
        base = Path(local) / "symrecycle" / "Cache"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "symrecycle"
    return base / "derivations"


def enabled() -> bool:
    """Whether derived results are read from and written to disk.

    Examples
    --------
    >>> before = enabled()
    >>> set_enabled(False); enabled()
    False
    >>> set_enabled(before)
    """
    if _state["enabled"] is not None:
        return _state["enabled"]
    return os.environ.get("SYMRECYCLE_NO_CACHE", "").strip().lower() in ("", "0", "false", "no")


def set_enabled(on: bool | None) -> None:
    """Turn the cache on or off for this process (``None``: as the environment says)."""
    _state["enabled"] = on


def keep_cases(on: bool) -> None:
    """Whether a piecewise result is stored with its canonical cases decided (:attr:`Result.cases`), for
    a process that will show every case of what it derives (the report's worker processes); elsewhere
    cases already decided are stored, and none are decided for the store alone (that can cost more
    than the derivation)."""
    _state["cases"] = bool(on)


@functools.lru_cache(maxsize=1)
def _versions() -> tuple:
    """symrecycle's version and a hash of its code and data, SymPy's, mpmath's and Python's."""
    root = Path(__file__).resolve().parents[1]
    code = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        code.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return (FORMAT, VERSION, code.hexdigest(), sp.__version__, mpmath.__version__, platform.python_version())


def _content(model) -> tuple:
    """What decides a model's results: every field but its name, description and source."""
    def fields(obj):  # a parameter's symbol is a field too (its assumptions decide signs)
        return tuple((f.name, _plain(getattr(obj, f.name))) for f in dataclasses.fields(obj)
                     if f.name not in ("description",) and not f.name.startswith("_"))

    params = tuple(fields(p) for p in model.parameters)
    return (params, tuple(fields(s) for s in model.sequences), tuple(fields(m) for m in model.metrics),
            model.adjusted, model.start)


def _plain(x):
    """A Fraction as SymPy's Rational (the JSON format has no Fraction); anything else as it is."""
    return sp.Rational(x.numerator, x.denominator) if isinstance(x, Fraction) else x


def _key(model, key) -> str | None:
    """The entry's preimage (JSON text), or ``None`` where a part cannot be written."""
    try:
        return treejson.dumps((_versions(), _content(model), tuple(map(_plain, key))))
    except treejson.Unsupported:
        return None


def _path(preimage: str) -> Path:
    return directory() / (hashlib.sha256(preimage.encode()).hexdigest() + ".json")


def lookup(model, key):
    """The stored result of ``key`` for ``model``: a Result, a NotDerived to raise, or ``None``."""
    if not enabled() or key[0] not in KINDS:
        return None
    entry = _entry(model, key)
    try:
        return None if entry is None else _read(model, entry)
    except (KeyError, TypeError, ValueError):
        return None  # not exactly what was written: derived again


def lookup_value(model, key, check):
    """The plain data stored for ``key`` (a kind of :data:`VALUE_KINDS`), or ``None`` where there is
    none or where ``check(value)`` (the caller's test of its shape) is not true."""
    if not enabled() or key[0] not in VALUE_KINDS:
        return None
    entry = _entry(model, key)
    try:
        value = entry["value"] if entry is not None else None
        return value if value is not None and check(value) is True else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def save_value(model, key, value) -> None:
    """Store plain data ``value`` (what :mod:`symrecycle.core.treejson` writes) for ``key``; nothing if
    it cannot be."""
    if not enabled() or key[0] not in VALUE_KINDS:
        return
    preimage = _key(model, key)
    if preimage is not None:
        _put(preimage, {"key": preimage, "value": value})


def _entry(model, key):
    """The entry of ``key`` as written (a dict), or ``None`` where it is absent, unreadable, not signed
    with the folder's key or written for another key."""
    preimage = _key(model, key)
    if preimage is None:
        return None
    path = _path(preimage)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        mac, _, text = path.read_text(encoding="utf-8").partition("\n")
        secret = _secret()
        if secret is None or not hmac.compare_digest(mac, _mac(secret, text)):
            return None  # not written by this user's symrecycle (or changed since)
        entry = treejson.loads(text)
    except (OSError, UnicodeDecodeError, treejson.Corrupt, TypeError, ValueError):
        return None  # absent, unreadable or not exactly what was written: derived again
    return entry if isinstance(entry, dict) and entry.get("key") == preimage else None


def _read(model, entry):
    if "error" in entry:
        kind, message = entry["error"]
        return _ERRORS[kind](message.replace(_NAMED, f"model {model.name!r}", 1))
    r = entry["result"]
    out = Result(model=model.name, quantity=r["quantity"], expr=r["expr"], label=r["label"],
                 conditions=tuple(r["conditions"]), verified=r["verified"],
                 certificate=tuple(r["certificate"]), notes=tuple(r["notes"]), meta=dict(r["meta"]))
    if not (isinstance(out.verified, bool) and isinstance(out.expr, sp.Basic)
            and all(isinstance(x, str) for x in (out.label, out.quantity, *out.certificate, *out.notes))):
        raise ValueError("an entry of the wrong shape")
    if "cases" in r:
        out.__dict__["cases"] = _cases_in(r["cases"])  # Result.cases, as decided when it was derived
    return out


def _cases_out(result) -> tuple:
    """The canonical cases of ``result`` as the entry holds them (SymPy objects in tuples)."""
    return tuple((v, c.cubes, c.expr, c.otherwise) for v, c in result.cases)


def _cases_in(stored) -> tuple:
    """:attr:`Result.cases` from an entry, every part checked for its type (else ``ValueError``)."""
    def basics(xs):
        return isinstance(xs, tuple) and all(isinstance(x, sp.Basic) for x in xs)

    out = []
    for value, cubes, expr, otherwise in stored:
        ok = (isinstance(value, sp.Basic) and isinstance(expr, sp.Basic) and isinstance(otherwise, bool)
              and isinstance(cubes, tuple))
        for cube in cubes if ok else ():
            sets, other = cube
            ok = ok and basics(other) and isinstance(sets, tuple) and all(
                len(x) == 2 and isinstance(x[0], sp.Basic) and basics(x[1]) for x in sets)
        if not ok:
            raise ValueError("an entry's cases of the wrong shape")
        out.append((value, Condition(cubes, expr, otherwise)))
    return tuple(out)


def save(model, key, value, cause=None) -> None:
    """Store ``value`` (a Result, or the NotDerived it raised, ``cause`` what made the engine stop) for
    ``key``; nothing if it cannot be, or if the refusal came from this run's circumstances."""
    if not enabled() or key[0] not in KINDS:
        return
    preimage = _key(model, key)
    if preimage is None:
        return
    if isinstance(value, Result):
        entry = {"key": preimage, "result": _body(value)}
    elif type(value).__name__ in _ERRORS and not (_passing(value) or _passing(cause)):
        # the model's name (not in the key: a renamed copy shares the entry) where the message names it
        message = str(value).replace(f"model {model.name!r}", _NAMED, 1)
        entry = {"key": preimage, "error": (type(value).__name__, message)}
    else:
        return
    _put(preimage, entry)


def _body(value) -> dict:
    """A Result as an entry holds it (its cases where they are decided, or are to be kept)."""
    body = {"quantity": value.quantity, "expr": value.expr, "label": value.label,
            "conditions": tuple(value.conditions), "verified": value.verified,
            "certificate": tuple(value.certificate), "notes": tuple(value.notes),
            "meta": {k: _plain(v) for k, v in value.meta.items()}}
    if isinstance(value.expr, sp.Piecewise) and ("cases" in value.__dict__ or _state["cases"]):
        with contextlib.suppress(treejson.Unsupported):  # cases it cannot write: the result without
            treejson.dumps(cases := _cases_out(value))
            body["cases"] = cases  # read back with the result, not decided again
    return body


def encode(result) -> str:
    """``result`` as the derivation cache writes it (text), for another process of this run to
    :func:`decode`: a pickled SymPy object is evaluated again where it is read (the domain condition
    ``Contains(r, Interval.open(0, oo))`` of a positive r becomes ``True``), an entry is not.
    ``treejson.Unsupported`` where it holds a node the cache cannot write."""
    return treejson.dumps(_body(result))


def decode(model, text: str):
    """The Result that :func:`encode` wrote, read as a cache entry of ``model`` is read."""
    return _read(model, {"result": treejson.loads(text)})


def _put(preimage, entry) -> None:
    """Write ``entry`` signed, in place of any entry of ``preimage``; nothing where it cannot be."""
    try:
        text = treejson.dumps(entry)
    except treejson.Unsupported:
        return
    secret = _secret()
    if secret is not None:
        _write(_path(preimage), _mac(secret, text) + "\n" + text)


@contextlib.contextmanager
def deriving(model, key):
    """Hold the entry's lock (``<entry>.lock``, ``flock``) while ``key`` is derived; yields whether held.

    A process that finds the lock taken waits (up to :data:`LOCK_WAIT` s) and then reads what the
    other stored, instead of deriving the same at the same time. The derivations a result needs
    are simpler results, so locks are taken in one order and cannot wait on each other in a
    circle. Where locks are not available (no ``fcntl``, a read-only folder) nothing is held.
    """
    fd = None
    preimage = _key(model, key) if enabled() and key[0] in KINDS and _fcntl is not None else None
    if preimage is not None:
        lock = _path(preimage).with_suffix(".lock")
        with contextlib.suppress(OSError):
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    if fd is not None:
        deadline = time.monotonic() + LOCK_WAIT
        try:
            while True:
                try:
                    _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        fd = None
                        break
                    time.sleep(0.02)
        except BaseException:  # a time limit or Ctrl-C while waiting
            os.close(fd)
            raise
    try:
        yield fd is not None
    finally:
        if fd is not None:
            _fcntl.flock(fd, _fcntl.LOCK_UN)
            os.close(fd)


def _passing(exc) -> bool:
    """Whether a refusal came from this run's circumstances (the stack's depth, the memory left), not
    from the model: it is not stored."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (RecursionError, MemoryError)):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _mac(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _secret() -> bytes | None:
    """The key of this cache folder's entries (32 random bytes in ``.key``, readable by its owner only),
    made on first use; ``None`` where it can be neither read nor made (then nothing is stored).

    An entry carries the HMAC-SHA256 of its text under this key: an entry changed, or written by
    anyone without the key, is not read (the checksum inside an entry detects damage, not forgery).
    """
    path = directory() / ".key"
    try:
        secret = path.read_bytes()
        if len(secret) == 32 and _own(path):
            return secret
    except FileNotFoundError:
        pass
    except OSError:
        return None
    # a new key, written whole under a temporary name and renamed into place (a key cut short, as by a
    # process stopped while writing, is replaced; entries under another key are derived again)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
        os.replace(tmp, path)
        tmp = None
        return path.read_bytes()
    except OSError:
        return None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _own(path: Path) -> bool:
    """Whether the key is this user's and no one else's to read or write (POSIX; elsewhere: yes)."""
    if not hasattr(os, "getuid"):
        return True
    st = path.stat()
    return st.st_uid == os.getuid() and st.st_mode & 0o077 == 0


def _write(path: Path, text: str) -> None:
    """``text`` to ``path`` whole or not at all (a temporary file in the folder, renamed into place)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass  # a cache that cannot be written is a cache that is not used
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _entries():
    folder = directory()
    try:
        return [p for p in folder.iterdir() if _ENTRY.match(p.name) or _TEMP.match(p.name)
                or _LOCK.match(p.name)]
    except OSError:
        return []


def info() -> dict:
    """``{"directory", "enabled", "entries", "bytes"}`` of the cache."""
    files = [p for p in _entries() if _ENTRY.match(p.name)]
    size = 0
    for p in files:
        with contextlib.suppress(OSError):
            size += p.stat().st_size
    return {"directory": str(directory()), "enabled": enabled(), "entries": len(files), "bytes": size}


def clear() -> int:
    """Remove every entry (only files named as entries: nothing else in the folder); how many."""
    removed = 0
    for p in _entries():
        with contextlib.suppress(OSError):
            p.unlink()
            removed += _ENTRY.match(p.name) is not None
    return removed
