"""Fuzz: model files built from the parser's grammar and argument lists from the commands' vocabulary.

Every run ends in seconds with exit 0, or exit 2 and one line on stderr:
never exit 1 (an internal error), never a traceback.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from symrecycle.cli import main as _main

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

ATOMS = ["A[n-1]", "n", "r", "alpha", "1", "2", "0", "1/2", "3.5", "1e3"]
FUNCS = ["exp", "log", "sqrt", "abs"]


def expressions(depth=3):
    leaf = st.sampled_from(ATOMS)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
                lambda t: f"({t[0]}){t[1]}({t[2]})"),
            st.tuples(st.sampled_from(FUNCS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        ),
        max_leaves=6,
    )


DOMAINS = ["(1, oo)", "[0, 1]", "(0, oo)", "(-oo, oo)", "[0, 2)"]


def check_run(args, capsys, budget=10.0):
    t = time.monotonic()
    status = _main.main(args)
    elapsed = time.monotonic() - t
    _, err = capsys.readouterr()
    assert status in (0, 2), (args, err)
    assert "Traceback" not in err, (args, err)
    if status == 2:
        assert len(err.strip().splitlines()) == 1, (args, err)
        assert err.startswith("symrecycle: error: "), (args, err)
    assert elapsed < budget, (args, elapsed)


@settings(max_examples=60 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nxt=expressions(), first=expressions(), r_dom=st.sampled_from(DOMAINS),
       a_dom=st.sampled_from(DOMAINS), r=st.sampled_from(["4.2", "0.5", "1", "-2", "0"]),
       n=st.sampled_from(["1", "5", "30"]))
# found by this test: log(log(1)) is complex infinity, which the numeric printers had no name for
@example(nxt="A[n-1]", first="log(log(n))", r_dom="(1, oo)", a_dom="[0, 1]", r="4.2", n="1")
# and exp(exp(exp(A))) from A = 15: mpmath took minutes for exp of a number of millions of digits
@example(nxt="exp(exp(exp(A[n-1])))", first="exp(exp(exp(A[n-1])))", r_dom="[0, 2)", a_dom="[0, 1]",
         r="0", n="5")
# and (-r)**(n + 1/2) at one point in floats: Python's power of a negative float is complex
@example(nxt="A[n-1]", first="((0)-(A[n-1]))**((n)+(1/2))", r_dom="(1, oo)", a_dom="[0, 1]", r="4.2", n="1")
def test_iterating_a_model_file_from_the_grammar(tmp_path_factory, capsys, nxt, first, r_dom, a_dom, r, n):
    path = tmp_path_factory.mktemp("fuzz") / "m.toml"
    first = first.replace("A[n-1]", "r")  # the first term has no previous one
    path.write_text(f'name = "fuzz"\n[parameters]\nr = "{r_dom}"\nalpha = "{a_dom}"\n[recurrence]\n'
                    f'initial = "{first}"\nnext = "{nxt}"\n[metric]\nbenefit = "A[n]"\n')
    check_run(["iterate", str(path), "--set", f"r={r}", "--set", "alpha=0.5", "--n", n, "--last"], capsys)


WORDS = ["--set", "r=4.2", "alpha=1", "alpha=2", "r=1:10:3", "r=x", "--n", "5", "inf", "0", "-1", "1e400",
         "--dps", "30", "100000", "--wrt", "alpha", "beta", "--level", "1.2", "1/0", "--fraction", "0.99",
         "1e-5000", "--format", "json", "csv", "text", "--metric", "benefit", "nope", "--at-n"]


@settings(max_examples=80 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["eval", "derive"]),
       quantity=st.sampled_from(["benefit", "limit", "breakeven", "iterations-to", "sensitivity", "nope"]),
       words=st.lists(st.sampled_from(WORDS), max_size=8))
def test_argument_lists_from_the_vocabulary(capsys, command, quantity, words):
    if command == "derive":
        words = [w for w in words if not w.startswith("--set")]
    # every derivation is bounded by --time-limit: the run ends, answered or refused, soon after it
    check_run([command, "kickstarting", quantity, *words, "--time-limit", "10"], capsys, budget=15.0)


@pytest.mark.parametrize("args", [["eval"], ["iterate", "kickstarting"], ["reproduce", "--out"], ["nope"]])
def test_incomplete_commands(capsys, args):
    check_run(args, capsys)
