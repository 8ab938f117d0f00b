"""``symrecycle cache info|clear`` and ``--no-cache``."""

from __future__ import annotations

import json
import os

import pytest

from symrecycle.cli.main import main
from symrecycle.io.modelfile import variant_path


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SYMRECYCLE_NO_CACHE", raising=False)
    return tmp_path / "derivations"


@pytest.fixture
def model(tmp_path):
    """A copy of a shipped model file, read anew by each command (nothing of it is in memory)."""
    path = tmp_path / "model.toml"
    path.write_text(variant_path("kickstarting").read_text())
    return str(path)


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_info_counts_what_a_command_stored_and_clear_removes_it(folder, model, capsys):
    assert _run(capsys, "cache", "info", "--format", "json")[1].strip().endswith('"entries": 0, "bytes": 0}')
    status, out, _ = _run(capsys, "derive", model, "limit")
    assert status == 0
    info = json.loads(_run(capsys, "cache", "info", "--format", "json")[1])
    assert info["directory"] == str(folder)
    assert info["enabled"] is True
    assert info["entries"] >= 1
    (folder / "keep.json").write_text("{}")  # not an entry's name: not the cache's to remove
    status, out, _ = _run(capsys, "cache", "clear")
    assert status == 0
    assert out == f"removed {info['entries']} entr{'y' if info['entries'] == 1 else 'ies'} from {folder}\n"
    assert sorted(p.name for p in folder.iterdir()) == [".key", "keep.json"]  # the entries' key stays
    assert "on; 0 entries, 0.0 KiB" in _run(capsys, "cache", "info")[1]


def test_no_cache_neither_reads_nor_writes(folder, model, capsys):
    status, out, _ = _run(capsys, "derive", model, "limit", "--no-cache")
    assert status == 0
    assert "r/(-alpha + r)" in out
    assert not folder.exists() or list(folder.iterdir()) == []
    status, again, _ = _run(capsys, "--no-cache", "derive", model, "limit")
    assert (status, again) == (0, out)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert _run(capsys, "derive", model, "limit") == (0, out, "")
    assert len(list(folder.iterdir())) >= 1  # the same command with the cache on writes it

    assert "SYMRECYCLE_NO_CACHE" not in os.environ  # as it was before the command
    assert "off" in _run(capsys, "--no-cache", "cache", "info")[1]


def test_a_bad_action_is_a_usage_error(folder, capsys):
    status, _, err = _run(capsys, "cache", "wipe")
    assert status == 2
    assert "invalid choice: 'wipe'" in err
