"""The command line, run as ``python -m symrecycle`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "symrecycle", *args],
        capture_output=True, text=True, timeout=300, cwd=cwd, check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    # run away from the checkout: the installed package must be what is found
    return tmp_path_factory.mktemp("cli")


def test_models(workdir):
    out = run("models", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert "kickstarting:" in out.stdout
    assert "augmentation:" in out.stdout
    assert "parameter alpha in [0, 1]" in out.stdout
    assert "parameter beta in [0, 1]" in out.stdout
    assert "metric real = " in out.stdout


def test_derive_limit_json(workdir):
    out = run("derive", "kickstarting", "limit", "--format", "json", cwd=workdir)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"model", "quantity", "expression", "text", "latex", "conditions", "verified"} <= set(d)
    assert d["model"] == "kickstarting"
    assert d["quantity"] == "limit"
    assert d["verified"] is True
    assert isinstance(d["conditions"], list)
    # the expression is srepr: rebuild it and check it by hand, L = r/(r - alpha) for alpha < r
    expr = sp.sympify(d["expression"])
    syms = {s.name: s for s in expr.free_symbols}
    assert expr.subs({syms["r"]: 2, syms["alpha"]: sp.Rational(1, 2)}) == sp.Rational(4, 3)
    assert expr.subs({syms["r"]: sp.Rational(1, 2), syms["alpha"]: 1}) == sp.oo
    assert "\\frac" in d["latex"]
    assert "alpha" in d["text"]


def test_derive_latex(workdir):
    out = run("derive", "kickstarting", "limit", "--format", "latex", cwd=workdir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("\\lim_{n \\to \\infty}")
    assert "\\frac{r}" in lines[0]
    assert "\\infty" in lines[0]


def test_derive_sensitivity_at_n_text(workdir):
    out = run("derive", "kickstarting", "sensitivity", "--wrt", "alpha", "--at-n", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("kickstarting sensitivity: ")
    assert "n*(n - 1)/(2*r)" in out.stdout  # the degenerate branch alpha = r
    assert "verified: True" in out.stdout


def test_summary_one_model(workdir):
    out = run("summary", "--model", "kickstarting", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("== kickstarting ==")
    assert "augmentation" not in out.stdout
    for q in ("closed-form", "benefit", "limit", "iterations-to", "sensitivity", "elasticity", "breakeven"):
        assert f"kickstarting {q}: " in out.stdout, q
    assert "r/(-alpha + r)" in out.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("derive", "nosuchmodel", "limit"),
        ("summary", "--model", "nosuchmodel"),
        ("derive", "nosuchmodel", "limit", "--format", "json"),
    ],
)
def test_unknown_model_is_a_user_error(workdir, args):
    out = run(*args, cwd=workdir)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "nosuchmodel" in lines[0]
    assert "kickstarting" in lines[0]  # says what is known
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("derive", "kickstarting", "nosuchquantity"), "nosuchquantity"),
        (("derive", "kickstarting", "sensitivity"), "wrt"),
        (("derive", "kickstarting", "sensitivity", "--wrt", "beta"), "beta"),
        (("derive", "kickstarting", "limit", "--format", "pdf"), "pdf"),
    ],
)
def test_other_user_errors(workdir, args, word):
    out = run(*args, cwd=workdir)
    assert out.returncode == 2
    assert word in out.stderr
    assert "Traceback" not in out.stderr
