"""The API and the command line are equal: each API quantity and option has its command-line form.

Each pair is run both ways and compared; misspelled names get a "did you mean" in the API's errors
and on the command line.
"""

from __future__ import annotations

import io
import json
from fractions import Fraction

import pytest

import symrecycle as sr
from symrecycle.cli.main import main


def run(*argv):
    """``(status, stdout, stderr)`` of the command line, in this process."""
    out, err = io.StringIO(), io.StringIO()
    from contextlib import redirect_stderr, redirect_stdout

    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def kick():
    return sr.get_model("kickstarting")


def derived_json(*argv):
    status, out, err = run("derive", *argv, "--format", "json")
    assert status == 0, err
    return json.loads(out)


# -- breakevens and sensitivities of the limit ------------------------------------------------------
def test_breakeven_of_the_limit(kick):
    api = kick.breakeven("alpha", level=Fraction(6, 5), of="limit")
    cli = derived_json("kickstarting", "breakeven", "--wrt", "alpha", "--level", "1.2", "--of", "limit")
    assert cli["latex"] == api.latex()
    assert cli["text"] == api.text()
    assert "r/6" in cli["text"]


def test_breakeven_at_n_says_where_the_limit_is(kick):
    """The finite-n breakeven is not derived here; the message names the --of limit form."""
    status, _, err = run("derive", "kickstarting", "breakeven", "--wrt", "alpha", "--level", "1.2")
    assert status == 2
    assert "--of limit" in err
    assert "--level 6/5" in err


@pytest.mark.parametrize("quantity", ["sensitivity", "elasticity"])
def test_sensitivity_of_the_limit_and_at_n(kick, quantity):
    of_limit = derived_json("kickstarting", quantity, "--wrt", "alpha", "--of", "limit")
    default = derived_json("kickstarting", quantity, "--wrt", "alpha")
    at_n = derived_json("kickstarting", quantity, "--wrt", "alpha", "--of", "benefit")
    at_n_old = derived_json("kickstarting", quantity, "--wrt", "alpha", "--at-n")
    assert of_limit == default
    assert of_limit["latex"] == getattr(kick, quantity)("alpha").latex()
    assert at_n == at_n_old
    assert at_n["latex"] == getattr(kick, quantity)("alpha", n=sr.n).latex()
    assert at_n["latex"] != of_limit["latex"]


@pytest.mark.parametrize(("argv", "words"), [
    (("derive", "kickstarting", "limit", "--of", "limit"), ["--of limit", "sensitivity", "not with limit"]),
    (("derive", "kickstarting", "sensitivity", "--wrt", "alpha", "--of", "limit", "--at-n"),
     ["--at-n", "--of limit"]),
    (("derive", "kickstarting", "breakeven", "--wrt", "alpha", "--of", "sum"), ["--of", "'sum'", "limit"]),
])
def test_of_refused_where_it_means_nothing(argv, words):
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    for w in words:
        assert w in err


# -- one meaning of iterate -------------------------------------------------------------------------
def iterate_csv(*argv):
    status, out, err = run("iterate", *argv, "--format", "csv")
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    return rows[0], [r[1] for r in rows[1:]]


def test_iterate_is_the_benefit_in_both(kick):
    vals = {"r": 4.2, "alpha": 0.5}
    head, texts = iterate_csv("kickstarting", "--set", "r=4.2", "--set", "alpha=0.5", "--n", "6")
    assert head == ["n", "benefit"]
    assert [float(t) for t in texts] == kick.iterate(6, **vals).tolist()
    assert kick.iterate(6, **vals).tolist() == kick.iterate(6, metric="benefit", **vals).tolist()
    assert kick.iterate(6, **vals)[-1] == pytest.approx(kick.evaluate("benefit", n=6, **vals), rel=1e-14)


def test_iterate_a_sequence_in_both(kick):
    head, texts = iterate_csv("kickstarting", "--set", "r=4.2", "--set", "alpha=0.5", "--n", "6",
                              "--sequence", "A")
    assert head == ["n", "A"]
    want = kick.iterate(6, sequence="A", r=4.2, alpha=0.5)
    assert [float(t) for t in texts] == want.tolist()
    assert want[1] == pytest.approx(4.2 + 0.5)


def test_iterate_exact_in_both(kick):
    _head, texts = iterate_csv("kickstarting", "--set", "r=21/5", "--set", "alpha=0.5", "--n", "4", "--exact")
    want = kick.iterate(4, exact=True, r=Fraction(21, 5), alpha=Fraction(1, 2))
    assert texts == [str(Fraction(int(x.p), int(x.q))) for x in want]
    assert texts[1] == "47/42"  # (21/5 + 1/2) / (21/5)
    status, _, err = run("iterate", "kickstarting", "--set", "r=4.2", "--set", "alpha=abc", "--n", "3",
                         "--exact")
    assert status == 2
    assert "alpha=abc" in err
    assert "exact number" in err


def test_iterate_last_in_both(kick):
    status, out, err = run("iterate", "kickstarting", "--set", "r=4.2", "--set", "alpha=0.5", "--n", "50",
                           "--last")
    assert status == 0, err
    assert float(out) == kick.iterate(50, last=True, r=4.2, alpha=0.5)


# -- did you mean -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "suggestion"), [
    (lambda m: sr.get_model("kickstartin"), "did you mean 'kickstarting'?"),
    (lambda m: sr.get_model("reuse-decy"), "did you mean 'reuse-decay'?"),
    (lambda m: m.derive("limt"), "did you mean 'limit'?"),
    (lambda m: m.sensitivity("alfa"), "did you mean 'alpha'?"),
    (lambda m: m.limit(metric="benfit"), "did you mean 'benefit'?"),
    (lambda m: m.evaluate("limit", r=2.0, Alpha=1.0), "did you mean 'alpha'?"),
    (lambda m: m.iterate(3, r=2.0, alpah=1.0), "did you mean 'alpha'?"),
])
def test_api_suggests(kick, call, suggestion):
    with pytest.raises(ValueError, match="did you mean") as info:
        call(kick)
    assert str(info.value).endswith(suggestion)


def test_no_suggestion_for_a_name_far_from_all(kick):
    with pytest.raises(ValueError, match="no parameter 'zeta'") as info:
        kick.parameter("zeta")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize(("argv", "suggestion"), [
    (("derive", "kickstrting", "limit"), "'kickstarting'"),
    (("derive", "kickstarting", "limt"), "'limit'"),
    (("derive", "kickstarting", "sensitivity", "--wrt", "alpa"), "'alpha'"),
    (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alfa=1"), "'alpha'"),
    (("iterate", "reuse-decay", "--set", "rh=1", "--n", "3"), "'rho'"),
    (("eval", "augmentation", "limit", "--set", "r=2", "--set", "g=2", "--set", "beta=1", "--metric",
      "Real"), "'real'"),
])
def test_command_line_suggests(argv, suggestion):
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    assert f"did you mean {suggestion}?" in err


# -- cross-check: the API's cross_check on the command line ------------------------------------------
def test_cross_check_in_both(kick):
    api = sr.cross_check(kick, samples=40, seed=3, n_max=50)
    status, out, err = run("cross-check", "kickstarting", "--samples", "40", "--seed", "3", "--n-max", "50")
    assert status == 0, err
    assert out.strip() == str(api)
    status, out, err = run("cross-check", "kickstarting", "closed-form", "--samples", "10",
                           "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    assert d["quantity"] == "closed-form"
    assert d["samples"] == 10
    assert d["max_rel_error"] < 1e-10
    assert set(d["worst_point"]) == {"r", "alpha", "C1", "n"}


# -- closed_form(sequence) ----------------------------------------------------------------------------
def test_closed_form_of_a_sequence_in_both():
    decay = sr.get_model("reuse-decay")
    cli = derived_json("reuse-decay", "closed-form", "--sequence", "a")
    assert cli["latex"] == decay.closed_form("a").latex()
    assert cli["text"] == "alpha*rho**(n - 1)"
    status, _, err = run("derive", "reuse-decay", "closed-form", "--sequence", "AA")
    assert status == 2
    assert "its sequences: C, a, A; did you mean 'A'?" in err
    status, _, err = run("derive", "reuse-decay", "limit", "--sequence", "a")
    assert status == 2
    assert "closed-form only" in err
