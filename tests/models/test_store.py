"""The derivation cache on disk: read back exactly, or ignored and derived again; never evaluated."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading

import pytest
import sympy as sp

from symrecycle.core import treejson
from symrecycle.core.results import NotDerived
from symrecycle.io.modelfile import loads_model
from symrecycle.models import catalogue, store

SMALL = """
name = "small"
[parameters]
r = "(1, oo)"
alpha = "[0, 1]"
[sequences.C]
initial = "1"
next = "r*C[n-1]"
[sequences.A]
initial = "1"
next = "C[n] + alpha*A[n-1]"
[metric]
benefit = "A[n]/C[n]"
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SYMRECYCLE_NO_CACHE", raising=False)
    store.set_enabled(None)
    return tmp_path / "derivations"


def _entries(folder):
    return sorted(folder.glob("*.json")) if folder.exists() else []


def _fresh():
    """The model anew: nothing in memory, so that only the disk can answer."""
    return loads_model(SMALL)


def _no_engine(monkeypatch):
    """Any derivation from here on fails the test: a result must come from the disk."""
    def refuse(*_a, **_k):
        raise AssertionError("derived again: the cache was not read")

    monkeypatch.setattr(type(_fresh()), "solve", refuse)


def test_a_result_reads_back_equal_with_its_certificate(cache, monkeypatch):
    first = _fresh().limit()
    assert first.verified
    assert len(_entries(cache)) >= 1
    _no_engine(monkeypatch)
    again = _fresh().limit()
    assert again.expr == first.expr
    assert sp.srepr(again.expr) == sp.srepr(first.expr)
    assert again.conditions == first.conditions
    assert (again.verified, again.certificate, again.notes) == (True, first.certificate, first.notes)


def test_a_result_with_cases_reads_back_with_them_decided(cache, monkeypatch):
    text = SMALL.replace('r = "(1, oo)"', 'r = "(0, oo)"')  # alpha < r or not: a limit in two cases
    # by default no case is decided for the store alone
    loads_model(text).limit()
    assert _entries(cache)
    assert not any('"cases"' in _body(p) for p in _entries(cache))
    store.clear()
    monkeypatch.setitem(store._state, "cases", False)
    store.keep_cases(True)  # as the report's worker processes do
    first = loads_model(text).limit()
    assert isinstance(first.expr, sp.Piecewise)
    expected = [(v, c.text(), c.latex(), c.otherwise) for v, c in first.cases]
    assert [t for _, t, _, _ in expected] == ["alpha < r", "alpha >= r"]
    _no_engine(monkeypatch)
    monkeypatch.setattr("symrecycle.core.canonical.case_conditions",
                        lambda *a, **k: pytest.fail("the cases were decided again, not read"))
    again = loads_model(text).limit()
    assert [(v, c.text(), c.latex(), c.otherwise) for v, c in again.cases] == expected
    assert [c.expr for _, c in again.cases] == [c.expr for _, c in first.cases]
    # signed with the folder's key but with cases of the wrong shape: refused, derived again
    monkeypatch.undo()
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(cache.parent))
    key = (cache / ".key").read_bytes()
    forged = False
    for path in _entries(cache):
        doc = json.loads(_body(path))
        if '"cases"' in json.dumps(doc["data"]):
            doc["data"]["result"]["cases"] = ["not", "cases"]
            path.write_text(_reseal(doc, key))
            forged = True
    assert forged
    third = loads_model(text).limit()
    assert [(v, c.text(), c.latex(), c.otherwise) for v, c in third.cases] == expected


def test_the_key_is_the_content_not_the_name(cache, monkeypatch):
    _fresh().limit()
    _no_engine(monkeypatch)
    renamed = loads_model(SMALL.replace('name = "small"', 'name = "other"'))
    res = renamed.limit()
    assert res.model == "other"
    assert res.verified
    # another domain is another model: derived, not read (the engine is refused here)
    with pytest.raises(AssertionError, match="derived again"):
        loads_model(SMALL.replace('alpha = "[0, 1]"', 'alpha = "[0, 2]"')).limit()


def test_a_damaged_entry_is_derived_again_and_rewritten(cache):
    first = _fresh().limit()
    for damage in (lambda t: t[: len(t) // 2], lambda t: t.replace("true", "false", 1), lambda t: "{}",
                   lambda t: "\x00\xff"):
        for path in _entries(cache):
            path.write_text(damage(path.read_text()))
        again = _fresh().limit()
        assert again.expr == first.expr
        assert again.verified
        assert all(json.loads(_body(p))["format"] == 1 for p in _entries(cache))


def _body(path):
    """An entry's JSON text (below the line of its HMAC)."""
    return path.read_text().partition("\n")[2]


def _reseal(doc, key=None):
    """``doc`` with its checksum made valid again, under the HMAC of ``key`` (else a wrong one)."""
    data = json.dumps(doc["data"], separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    doc["sha256"] = hashlib.sha256(data.encode()).hexdigest()
    text = json.dumps(doc)
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest() if key else "0" * 64
    return mac + "\n" + text


def test_an_entry_changed_without_the_key_is_not_read(cache):
    first = _fresh().limit()
    paths = _entries(cache)
    originals = [p.read_text() for p in paths]
    key = (cache / ".key").read_bytes()
    assert len(key) == 32
    assert (cache / ".key").stat().st_mode & 0o077 == 0  # its owner's only
    # a certificate line changed and the checksum made valid: without the key, the HMAC gives it away
    for path, text in zip(paths, originals):
        doc = json.loads(text.partition("\n")[2])
        doc["data"] = json.loads(json.dumps(doc["data"]).replace("checked", "CHANGED"))
        path.write_text(_reseal(doc))
    assert any("CHANGED" in p.read_text() for p in paths)
    again = _fresh().limit()
    assert "CHANGED" not in " ".join(again.certificate)
    assert again.certificate == first.certificate
    assert [p.read_text() for p in paths] == originals  # derived again and rewritten
    # the same change signed with the folder's key is read as it is: the HMAC is what decides
    for path, text in zip(paths, originals):
        doc = json.loads(text.partition("\n")[2])
        doc["data"] = json.loads(json.dumps(doc["data"]).replace("checked", "CHANGED"))
        path.write_text(_reseal(doc, key))
    assert any("CHANGED" in line for line in _fresh().limit().certificate)


def test_a_forged_entry_is_not_trusted_even_signed(cache, monkeypatch):
    _fresh().limit()
    called = []
    monkeypatch.setattr("os.system", lambda *a: called.append(a))
    paths = _entries(cache)
    originals = [p.read_text() for p in paths]
    key = (cache / ".key").read_bytes()
    for t in originals:  # resealed unchanged: read back the same (the check of the helper itself)
        assert treejson.loads(_reseal(json.loads(t.partition("\n")[2]), key).partition("\n")[2]) == \
            treejson.loads(t.partition("\n")[2])
    # signed with the key (as by someone who has it): a verified flag that is not a boolean, a node
    # type that is not SymPy's, the result of another key; each is still refused
    forgeries = [
        ("1", lambda d: json.loads(json.dumps(d).replace('"verified": true', '"verified": 1'))),
        ("os.system", lambda d: {**d, "result": ["os.system", "echo planted"]}),
        ("another", lambda d: {**d, "key": "another"}),
    ]
    for mark, forge in forgeries:
        for path, text in zip(paths, originals):
            doc = json.loads(text.partition("\n")[2])
            doc["data"] = forge(doc["data"])
            path.write_text(_reseal(doc, key))
        assert any(mark in p.read_text() for p in paths)
        _fresh().limit()  # read, refused, derived again and rewritten
        assert [p.read_text() for p in paths] == originals
    assert called == []


def test_a_refusal_is_stored_with_its_reason_and_the_model_named(cache, monkeypatch):
    text = SMALL.replace('next = "r*C[n-1]"', 'next = "r*C[n-1] + C[n-1]**2"')
    with pytest.raises(NotDerived) as first:
        loads_model(text).limit()
    _no_engine(monkeypatch)
    with pytest.raises(NotDerived) as again:
        loads_model(text.replace('"small"', '"mine"')).limit()
    assert str(again.value) == str(first.value).replace("'small'", "'mine'")


def test_off_writes_and_reads_nothing(cache, monkeypatch):
    monkeypatch.setenv("SYMRECYCLE_NO_CACHE", "1")
    assert not store.enabled()
    _fresh().limit()
    assert _entries(cache) == []
    monkeypatch.delenv("SYMRECYCLE_NO_CACHE")
    store.set_enabled(False)
    try:
        _fresh().limit()
        assert _entries(cache) == []
    finally:
        store.set_enabled(None)


def test_concurrent_writers_leave_whole_entries_and_no_temporary_files(cache):
    m = catalogue.kickstarting()
    res = m.limit()
    key = ("limit", "benefit")
    threads = [threading.Thread(target=store.save, args=(m, key, res)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.name for p in cache.iterdir() if p.name.startswith(".tmp")] == []
    assert store.lookup(catalogue.kickstarting(), key).expr == res.expr


def test_clear_removes_entries_and_nothing_else(cache):
    _fresh().limit()
    mine = cache / "notes.txt"
    mine.write_text("a user's file")
    info = store.info()
    assert info["entries"] == len(_entries(cache)) > 0
    assert info["bytes"] > 0
    assert store.clear() == info["entries"]
    assert _entries(cache) == []
    assert mine.read_text() == "a user's file"


def test_an_unwritable_cache_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(blocker))  # a file where the folder should be
    assert _fresh().limit().verified


def test_an_entry_of_another_version_is_not_read(cache, monkeypatch):
    first = _fresh().limit()
    before = store._versions()
    store._versions.cache_clear()
    monkeypatch.setattr(store, "VERSION", "0.0.0-other")  # as if another release had written the cache
    try:
        assert store._versions() != before
        assert store.lookup(_fresh(), ("limit", "benefit")) is None
        assert _fresh().limit().expr == first.expr  # derived again, and stored under the new key
        assert store.lookup(_fresh(), ("limit", "benefit")) is not None
    finally:
        store._versions.cache_clear()


FILL = """
import sys
from symrecycle.io.modelfile import loads_model
m = loads_model(sys.stdin.read())
print(m.limit().verified, m.benefit().verified)
"""


def test_two_processes_filling_the_cache_at_once_leave_it_whole(cache):
    env = {**os.environ, "SYMRECYCLE_CACHE_DIR": str(cache.parent)}
    procs = [subprocess.Popen([sys.executable, "-c", FILL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(SMALL, timeout=300)[0] for p in procs]
    assert outs == ["True True\n", "True True\n"]
    assert [p.name for p in cache.iterdir() if p.name.startswith(".tmp")] == []
    entries = _entries(cache)
    assert len(entries) >= 2
    assert all(isinstance(treejson.loads(_body(p)), dict) for p in entries)
    res = _fresh().limit()
    assert res.verified


WAIT = """
import sys
from symrecycle.io.modelfile import loads_model
m = loads_model(sys.stdin.read())
print(m.limit().notes[-1])
"""


@pytest.mark.skipif(store._fcntl is None, reason="no flock on this platform: entries are not locked")
def test_a_process_waits_for_the_one_deriving_the_same_entry_and_reads_it(cache):
    """While this process holds the limit's lock, another asking for the limit waits, then reads what this
    one stored (a note planted here shows it read, not derived)."""
    m = _fresh()
    key = ("limit", "benefit")
    env = {**os.environ, "SYMRECYCLE_CACHE_DIR": str(cache.parent)}
    with store.deriving(m, key) as held:
        assert held
        proc = subprocess.Popen([sys.executable, "-c", WAIT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=env)
        proc.stdin.write(SMALL)
        proc.stdin.close()
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=3)  # it waits on the lock (deriving would take under a second)
        store.set_enabled(False)  # derived here without the cache (its lock is this test's)
        res = _fresh().limit()
        store.set_enabled(None)
        store.save(m, key, dataclasses.replace(res, notes=(*res.notes, "planted by the test")))
    with proc.stdout:
        out = proc.stdout.read()
    assert proc.wait(timeout=60) == 0
    assert out.strip() == "planted by the test"


def test_a_refusal_caused_by_the_stack_depth_is_not_stored(cache, monkeypatch):
    """A RecursionError depends on where the derivation ran, not on the model: derived again next time."""
    def deep(*_a, **_k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(type(_fresh()), "_make_recurrence", deep)
    with pytest.raises(NotDerived, match="RecursionError"):
        _fresh().limit()
    assert _entries(cache) == []
    monkeypatch.undo()
    store.set_enabled(None)
    assert _fresh().limit().verified


def test_a_key_cut_short_is_made_anew_and_the_cache_works_again(cache):
    first = _fresh().limit()
    (cache / ".key").write_bytes(b"")  # as left by a process stopped between creating and writing it
    for p in _entries(cache):
        p.unlink()
    assert _fresh().limit().expr == first.expr
    assert len((cache / ".key").read_bytes()) == 32
    assert len(_entries(cache)) >= 1


def test_only_the_model_s_own_name_is_replaced_in_a_stored_refusal(cache):
    # the model is named as its metric is: the metric's name in the message stays
    text = SMALL.replace('name = "small"', 'name = "benefit"').replace(
        'next = "r*C[n-1]"', 'next = "r*C[n-1] + C[n-1]**2"')
    with pytest.raises(NotDerived) as first:
        loads_model(text).limit()
    with pytest.raises(NotDerived) as again:
        loads_model(text.replace('name = "benefit"', 'name = "other"')).limit()
    want = str(first.value).replace("model 'benefit'", "model 'other'", 1)
    assert str(again.value) == want


def test_a_fractional_domain_is_cached(cache):
    frac = SMALL.replace('alpha = "[0, 1]"', 'alpha = "[0, 1/2]"')
    loads_model(frac).limit()
    assert len(_entries(cache)) >= 1
