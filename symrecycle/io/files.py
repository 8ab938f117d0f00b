"""One way to write an output file: complete or not at all, and never over a file someone else put there.

Every output is written to a temporary name beside its target (created with
the user's umask, so every output gets the same mode) and moved into place
when complete; on any failure the temporary file is removed. A folder that
holds :data:`MARKER` is an output folder: the marker lists the files
symrecycle wrote there, and only those are replaced (unless the folder was
accepted with ``force``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
import uuid
from pathlib import Path

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows: the marker is updated under the thread lock only
    _fcntl = None

__all__ = [
    "MARKER", "atomic", "check_replaceable", "write_file", "write_bytes", "write_text", "mark_folder",
    "force_folder"
]


#: the file that marks a directory as written by symrecycle (and lists what it wrote there)
MARKER = ".symrecycle-output"
_HEADER = ("This directory is written by symrecycle (reproduce / derivations).\n"
           "Files it wrote here (a re-run replaces these only):\n")
#: output folders accepted with ``force``: their other files may be replaced too
_FORCED: set = set()
#: one marker update at a time in this process (reproduce writes from two threads); between processes
#: (reproduce's workers write into its folder too), an exclusive ``flock`` on the folder, :func:`_held`
_LOCK = threading.RLock()


@contextlib.contextmanager
def atomic(path, replace: bool = True):
    """A binary file handle whose contents appear at ``path`` when the block ends without error.

    ``replace=False``: a file that exists at the moment of the move is kept
    (``FileExistsError``; the move is a hard link, which cannot replace).
    ``replace=True``: ``path`` may be replaced only where it is a regular file
    (or a link to one) and, in an output folder, one symrecycle wrote and
    nobody changed since.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> with atomic(d / "out.txt") as fh:
    ...     _ = fh.write(b"done")
    >>> (d / "out.txt").read_bytes(), [f.name for f in d.iterdir()]  # no temporary file left
    (b'done', ['out.txt'])
    >>> shutil.rmtree(d)
    """
    path = Path(path)
    if replace:
        check_replaceable(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        if replace:
            os.replace(tmp, path)
        else:
            _link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if path.name != MARKER:
        _record(path)


def _link(tmp: Path, path: Path):
    try:
        os.link(tmp, path)  # fails on an existing name: nothing is replaced
    except FileExistsError:
        raise FileExistsError(f"{path}: a file of that name appeared while the output was written; "
                              "it is kept") from None
    except OSError:  # a file system without hard links: the caller's check before is the guard
        if os.path.lexists(path):
            raise FileExistsError(f"{path}: the file exists and is kept") from None
        os.replace(tmp, path)


def write_file(path, write, replace: bool = True) -> Path:
    """Write through ``write(fh)`` (a binary file handle) with :func:`atomic`; returns the path.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> write_file(d / "a.bin", lambda fh: fh.write(b"abc")).read_bytes()
    b'abc'
    >>> shutil.rmtree(d)
    """
    with atomic(path, replace) as fh:
        write(fh)
    return Path(path)


def write_bytes(path, data: bytes, replace: bool = True) -> Path:
    """:func:`write_file` of ``data``.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> write_bytes(d / "a.bin", b"abc").read_bytes()
    b'abc'
    >>> write_bytes(d / "a.bin", b"new", replace=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: ...a.bin: a file of that name appeared while the output was written; it is kept
    >>> (d / "a.bin").read_bytes()
    b'abc'
    >>> shutil.rmtree(d)
    """
    return write_file(path, lambda fh: fh.write(data), replace)


def write_text(path, text: str, replace: bool = True) -> Path:
    """:func:`write_file` of ``text`` in UTF-8.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> p = write_text(d / "t.txt", "π")
    >>> p.read_text(encoding="utf-8"), p.stat().st_size  # two bytes in UTF-8
    ('π', 2)
    >>> shutil.rmtree(d)
    """
    return write_bytes(path, text.encode("utf-8"), replace)


def mark_folder(folder) -> None:
    """Make ``folder`` an output folder (its marker, with no files listed yet), if it is not one.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> mark_folder(d)
    >>> _ = write_text(d / "x.txt", "1")
    >>> lines = (d / MARKER).read_text(encoding="utf-8").splitlines()
    >>> lines[0], lines[2].endswith("  x.txt")  # the files written since are listed
    ('This directory is written by symrecycle (reproduce / derivations).', True)
    >>> shutil.rmtree(d)
    """
    marker = Path(folder) / MARKER
    if not marker.exists():
        write_text(marker, _HEADER)


def force_folder(folder) -> None:
    """Let this process replace any file of the output folder ``folder`` (the user passed ``--force``).

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> mark_folder(d)
    >>> _ = (d / "notes.txt").write_text("mine")  # not written by symrecycle: kept, unless forced
    >>> force_folder(d)
    >>> write_text(d / "notes.txt", "replaced").read_text()
    'replaced'
    >>> shutil.rmtree(d)
    """
    _FORCED.add(Path(folder).resolve())


def _written(folder: Path):
    """``{name: sha256}`` of the files in ``folder``'s marker; None where it lists none (an old marker)."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "Files it wrote here" not in text:
        return None
    out = {}
    for ln in text.split("\n")[2:]:
        digest, _, name = ln.partition("  ")
        if name:
            out[name] = digest
    return out


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_replaceable(path):
    """Raise where :func:`atomic` would not replace ``path``.

    ``IsADirectoryError`` for what is not a regular file (or a link to one);
    ``FileExistsError`` for a file of an output folder that symrecycle did not
    write there, or that changed since.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> mark_folder(d)
    >>> check_replaceable(d / "new.txt")  # nothing there yet: nothing raised
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> check_replaceable(d / "notes.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: ...notes.txt: this file was not written by symrecycle and is kept; move it away, ...
    >>> shutil.rmtree(d)
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:  # a dangling link: replaced by the file
        return
    if not stat.S_ISREG(mode):
        raise IsADirectoryError(f"{path}: is not a regular file (a directory, a pipe, a device or a link to "
                                "one); only regular files are replaced")
    folder = path.parent
    if path.name == MARKER or not (folder / MARKER).exists() or folder.resolve() in _FORCED:
        return
    listed = _written(folder)
    if listed is None:
        return
    if path.name not in listed:
        raise FileExistsError(f"{path}: this file was not written by symrecycle and is kept; move it "
                              "away, or force writing into the directory (--force)")
    if listed[path.name] != _digest(path):
        raise FileExistsError(f"{path}: this file changed since symrecycle wrote it and is kept; move it "
                              "away, or force writing into the directory (--force)")


def _record(path: Path):
    """List ``path`` (with its digest) in its folder's marker, where the folder is an output folder."""
    folder = path.parent
    with _held(folder):
        listed = _written(folder) if (folder / MARKER).exists() else None
        if listed is None:
            return
        listed[path.name] = _digest(path)
        write_text(folder / MARKER, _HEADER + "".join(f"{listed[n]}  {n}\n" for n in sorted(listed)))


@contextlib.contextmanager
def _held(folder: Path):
    """The marker of ``folder`` read and written by one thread of one process at a time: the thread lock,
    and an exclusive ``flock`` on the folder itself (read, updated and written back by two processes at
    once, the marker kept only one's new entry, and a re-run then refused the other file as not ours).
    Where the folder cannot be locked (no ``flock`` on the platform or the file system), the thread lock
    alone."""
    with _LOCK:
        fd = None
        if _fcntl is not None:
            try:
                fd = os.open(folder, os.O_RDONLY)
                _fcntl.flock(fd, _fcntl.LOCK_EX)
            except OSError:
                if fd is not None:
                    os.close(fd)
                fd = None
        try:
            yield
        finally:
            if fd is not None:
                os.close(fd)  # and with it the lock
