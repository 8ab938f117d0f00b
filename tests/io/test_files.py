"""Output folders written by several processes at once, as ``reproduce`` and its workers write one."""

from __future__ import annotations

import subprocess
import sys

from symrecycle.io.files import MARKER, check_replaceable, mark_folder

#: each process writes this many files, all at once with the others
FILES = 40
PROCESSES = 4

WRITER = """
import sys
from pathlib import Path
from symrecycle.io.files import write_text
folder, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    write_text(folder / f"{tag}-{i}.txt", f"{tag} {i}\\n")
"""


def _listed(folder):
    lines = (folder / MARKER).read_text(encoding="utf-8").splitlines()[2:]
    return sorted(line.partition("  ")[2] for line in lines)


def test_every_file_written_by_processes_at_once_is_listed_and_replaceable(tmp_path):
    mark_folder(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"p{k}", str(FILES)])
             for k in range(PROCESSES)]
    assert [p.wait(timeout=120) for p in procs] == [0] * PROCESSES
    written = sorted(f"p{k}-{i}.txt" for k in range(PROCESSES) for i in range(FILES))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != MARKER) == written
    assert _listed(tmp_path) == written  # none lost to another process's update of the marker
    for name in written:  # so a re-run may replace each of them
        check_replaceable(tmp_path / name)
