"""Claims over regions: forall, exists, monotone, region and measure claims, proved or refuted.

Every verdict is checked against an independent exact iteration of the report's recurrences with
Fractions (A_n = C_n + alpha A_(n-1), C_n = r C_(n-1); augmentation's P_n = g P_(n-1),
A_n = beta P_n C_n + A_(n-1)), never only against the package's own closed forms.
"""

from __future__ import annotations

import itertools
import json
import random
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symrecycle.cli import main as _main
from symrecycle.io.claimfile import ClaimFileError, parse_claims
from symrecycle.numeric.boxes import enclose
from symrecycle.report.claims import check, check_claims, format_text

ISSUE_EXAMPLES = '''
[[claim]]
id = "bound-1.5"
model = "kickstarting"
quantity = "benefit"          # n is quantified below, so the finite-n benefit
params = { r = 5.75 }
forall = { alpha = "[0, 1]", n = "[1, oo)" }
relation = "<="
stated = "1.5"

[[claim]]
id = "increasing-in-n"
model = "kickstarting"
quantity = "benefit"
forall = { r = "[1.1, 10]", alpha = "(0, 1]" }
monotone = { n = "increasing" }

[[claim]]
id = "some-alpha"
model = "kickstarting"
quantity = "limit"
params = { r = 4.2 }
exists = { alpha = "[0, 1]" }
relation = ">="
stated = "1.3"
'''


# -- independent exact iteration ---------------------------------------------------------------------
def kick(r, alpha, n):
    """B_n = A_n / C_n of kickstarting by Fraction iteration (C_1 = A_1 = 1)."""
    c = a = Fraction(1)
    for _ in range(n - 1):
        c = r * c
        a = c + alpha * a
    return a / c


def aug(r, g, beta, n):
    """B_n = A_n / (P_n C_n) of augmentation by Fraction iteration (C_1 = A_1 = P_1 = 1)."""
    c = a = p = Fraction(1)
    for _ in range(n - 1):
        c, p = r * c, g * p
        a = beta * p * c + a
    return a / (p * c)


def frac(text):
    num, _, den = str(text).partition("/")
    return Fraction(int(num), int(den or 1))


def one(text):
    (c,) = parse_claims(text)
    return check(c)


def claim(body, model="kickstarting", quantity="benefit"):
    return f'[[claim]]\nid = "c"\nmodel = "{model}"\nquantity = "{quantity}"\n{body}\n'


# -- the issue's three examples, verbatim -------------------------------------------------------------
@pytest.fixture(scope="module")
def examples():
    return {r.id: r for r in check_claims(parse_claims(ISSUE_EXAMPLES))}


def test_issue_examples_are_proved(examples):
    assert {k: r.verdict for k, r in examples.items()} == {
        "bound-1.5": "proved", "increasing-in-n": "proved", "some-alpha": "proved"}
    text = format_text(list(examples.values()))
    assert "bound-1.5: PROVED" in text
    assert text.endswith("3 claims: 3 proved or consistent, 0 not\n")


def test_bound_certificate_rechecked_by_iteration(examples):
    cert = " ".join(examples["bound-1.5"].certificate)
    assert "non-decreasing in n" in cert
    assert "supremum over n is the limit" in cert
    assert "proved negative" in cert
    rng = random.Random(1)
    r = Fraction(23, 4)
    for _ in range(30):
        alpha = Fraction(rng.randint(0, 1000), 1000)
        values = [kick(r, alpha, n) for n in range(1, 60)]
        assert all(b <= a for a, b in zip(values[1:], values))  # non-decreasing, as the step says
        assert values[-1] <= r / (r - alpha) <= Fraction(3, 2)  # below the limit, which is below 1.5


def test_increasing_certificate_rechecked_by_iteration(examples):
    assert "proved positive" in examples["increasing-in-n"].certificate[-1]
    rng = random.Random(2)
    for _ in range(30):
        r = Fraction(rng.randint(110, 1000), 100)
        alpha = Fraction(rng.randint(1, 1000), 1000)
        values = [kick(r, alpha, n) for n in range(1, 25)]
        assert all(b > a for a, b in itertools.pairwise(values))


def test_exists_witness_is_exact(examples):
    res = examples["some-alpha"]
    w = res.details["witness"]
    alpha, r = frac(w["params"]["alpha"]), frac(w["params"]["r"])
    assert r == Fraction(21, 5)  # 4.2 read exactly as printed
    assert r / (r - alpha) == frac(w["value"]) >= Fraction(13, 10)
    assert kick(r, alpha, 400) <= r / (r - alpha)  # the limit is approached from below


def test_issue_examples_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "claims.toml"
    path.write_text(ISSUE_EXAMPLES, encoding="utf-8")
    assert _main.main(["check", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["verdict"]) for d in out] == [
        ("bound-1.5", "proved"), ("increasing-in-n", "proved"), ("some-alpha", "proved")]
    assert out[0]["box"] == {"alpha": "[0, 1]", "n": "[1, oo)"}
    assert out[0]["certificate"]
    path.write_text(ISSUE_EXAMPLES.replace('stated = "1.5"', 'stated = "1.2"'), encoding="utf-8")
    assert _main.main(["check", str(path), "--format", "json"]) == 1
    bad = json.loads(capsys.readouterr().out)[0]
    assert bad["verdict"] == "refuted"
    assert set(bad["counterexample"]) >= {"params", "n", "value"}


# -- false claims of each kind: counterexamples confirmed by independent iteration ----------------------
def test_forall_refuted_at_a_finite_n():
    res = one(claim('params = { r = 1.5 }\nforall = { alpha = "[0, 1]", n = "[1, oo)" }\n'
                    'relation = "<="\nstated = "2"'))
    assert res.verdict == "refuted"
    assert not res.consistent
    cex = res.counterexample
    r, alpha, n = frac(cex["params"]["r"]), frac(cex["params"]["alpha"]), cex["n"]
    assert kick(r, alpha, n) == frac(cex["value"]) > 2


def test_forall_on_a_finite_range_of_n_takes_its_last_n():
    body = ('params = {{ r = 1.5 }}\nforall = {{ alpha = "[0, 1]", n = "[1, 30]" }}\n'
            'relation = "<="\nstated = "{}"')
    assert one(claim(body.format("3"))).verdict == "proved"
    res = one(claim(body.format("2.999")))
    assert res.verdict == "refuted"
    assert res.counterexample["n"] == 30
    alpha = frac(res.counterexample["params"]["alpha"])
    assert kick(Fraction(3, 2), alpha, 30) == frac(res.counterexample["value"]) > Fraction(2999, 1000)


def test_forall_at_a_large_n_by_the_one_step_map():
    # n = 200: the closed form is not expanded; the one-step map's enclosures decide, iteration confirms
    body = ('params = {{ r = 1.01 }}\nforall = {{ alpha = "[0, 1]", n = "[1, 200]" }}\n'
            'relation = "<"\nstated = "{}"\nbudget = 200')
    assert one(claim(body.format("101"))).verdict == "proved"  # below the limit 101
    res = one(claim(body.format("80")))
    assert res.verdict == "refuted"
    cex = res.counterexample
    assert cex["n"] == 200
    assert kick(Fraction(101, 100), frac(cex["params"]["alpha"]), 200) == frac(cex["value"]) >= 80


def test_forall_lower_bound_proved_at_the_first_n():
    res = one(claim('params = { r = 2 }\nforall = { alpha = "[0, 1]", n = "[1, oo)" }\n'
                    'relation = ">="\nstated = "1"'))
    assert res.verdict == "proved"
    assert "smallest value over n in the range is at n = 1" in " ".join(res.certificate)


def test_forall_across_the_degenerate_set_by_induction():
    # alpha = r lies inside the box: no one closed form holds there; the one-step map's invariant does
    box = 'forall = { alpha = "[0, 1]", r = "[0.5, 2]", n = "[1, oo)" }\n'
    res = one(claim(box + 'relation = ">="\nstated = "1"'))
    assert res.verdict == "proved"
    assert "by induction" in res.certificate[-1]
    for r in (Fraction(1, 2), Fraction(1), Fraction(2)):
        for alpha in (Fraction(0), Fraction(1, 2), Fraction(1)):
            assert all(kick(r, alpha, n) >= 1 for n in range(1, 30))
    res = one(claim(box + 'relation = "<="\nstated = "10"'))
    assert res.verdict == "refuted"
    p = res.counterexample["params"]
    assert kick(frac(p["r"]), frac(p["alpha"]), res.counterexample["n"]) > 10


def test_open_and_closed_ends():
    # the limit 2/(2 - alpha) reaches 2 at alpha = 1 only
    body = 'params = {{ r = 2 }}\nforall = {{ alpha = "{}" }}\nrelation = "<"\nstated = "2"'
    assert one(claim(body.format("[0, 1)"), quantity="limit")).verdict == "proved"
    res = one(claim(body.format("[0, 1]"), quantity="limit"))
    assert res.verdict == "refuted"
    assert frac(res.counterexample["params"]["alpha"]) == 1
    assert Fraction(2) / (2 - 1) == frac(res.counterexample["value"]) == 2


def test_exists_refuted_by_a_proof_of_the_opposite():
    res = one(claim('params = { r = 4.2 }\nexists = { alpha = "[0, 1]" }\nrelation = ">="\nstated = "1.4"',
                    quantity="limit"))
    assert res.verdict == "refuted"
    assert max(Fraction(21, 5) / (Fraction(21, 5) - Fraction(k, 100)) for k in range(101)) < Fraction(7, 5)
    p = res.counterexample["params"]  # the largest value tried: at alpha = 1, below 1.4
    r, alpha = frac(p["r"]), frac(p["alpha"])
    assert r / (r - alpha) == frac(res.counterexample["value"]) == Fraction(21, 16)


def test_monotone_refuted_where_alpha_is_zero():
    res = one(claim('forall = { r = "[1.1, 10]", alpha = "[0, 1]" }\nmonotone = { n = "increasing" }'))
    assert res.verdict == "refuted"
    cex = res.counterexample
    r, alpha, n = frac(cex["params"]["r"]), frac(cex["params"]["alpha"]), cex["n"]
    assert kick(r, alpha, n + 1) <= kick(r, alpha, n)


def test_monotone_in_alpha_by_induction_and_refuted_at_n_1():
    res = one(claim('forall = { r = "(1, oo)", alpha = "[0, 1]", n = "[2, oo)" }\n'
                    'monotone = { alpha = "increasing" }'))
    assert res.verdict == "proved"
    assert "by induction" in res.certificate[-1]
    for r in (Fraction(11, 10), Fraction(5), Fraction(100)):
        for n in (2, 3, 10):
            vals = [kick(r, Fraction(k, 10), n) for k in range(11)]
            assert all(b > a for a, b in itertools.pairwise(vals))
    res = one(claim('forall = { r = "(1, oo)", alpha = "[0, 1]", n = "[1, oo)" }\n'
                    'monotone = { alpha = "increasing" }'))
    assert res.verdict == "refuted"
    assert res.counterexample["n"] == 1


def test_region_proved_on_growth_and_refuted_on_the_whole_domain():
    body = ('over = { g = "(1, oo)", r = "(1, oo)" }\nregion = "beta > 1 - 1/(g*r)"\n'
            'relation = ">"\nstated = "1"')
    res = one(claim(body, "augmentation", "limit"))
    assert res.verdict == "proved"
    assert res.details["computed_region"] == "g*r*(1 - beta) < 1"
    rng = random.Random(3)
    for _ in range(20):  # the limit beta g r / (g r - 1) against late iterates
        g, r = Fraction(rng.randint(11, 40), 10), Fraction(rng.randint(11, 40), 10)
        beta = Fraction(rng.randint(0, 100), 100)
        inside = beta > 1 - 1 / (g * r)
        assert (aug(r, g, beta, 300) > 1) is inside or abs(aug(r, g, beta, 300) - 1) < Fraction(1, 10**6)
    res = one(claim('region = "beta > 1 - 1/(g*r) and g*r > 1"\nrelation = ">"\nstated = "1"',
                    "augmentation", "limit"))
    assert res.verdict == "refuted"
    assert res.counterexample["in_stated_region"] is False
    p = res.counterexample["params"]
    g, r, beta = frac(p["g"]), frac(p["r"]), frac(p["beta"])
    assert g * r < 1
    assert aug(r, g, beta, 40) > 10**6


def test_measure_proved_and_refuted():
    box = 'over = { beta = "[0, 0.9]", g = "[1.3, 2.5]", r = "[1.3, 4.2]", n = "[3, 5]" }\n'
    res = one(claim(box + 'relation = "<="\nstated = "1.5"\nmeasure = ">= 0.75"\nbudget = 600',
                    "augmentation"))
    assert res.verdict == "proved"
    assert res.details["measure_low"] >= 0.75
    res = one(claim(box + 'relation = "<="\nstated = "1.1"\nmeasure = ">= 0.99"\nbudget = 600',
                    "augmentation"))
    assert res.verdict == "refuted"
    assert res.details["measure_high"] < 0.99
    # an independent estimate of the share lies within the rigorous bounds
    rng = random.Random(4)
    hits, total = 0, 600
    for _ in range(total):
        beta = Fraction(rng.randint(0, 900), 1000)
        g, r = Fraction(rng.randint(1300, 2500), 1000), Fraction(rng.randint(1300, 4200), 1000)
        hits += aug(r, g, beta, rng.choice((3, 4, 5))) <= Fraction(11, 10)
    assert res.details["measure_low"] - 0.06 <= hits / total <= res.details["measure_high"] + 0.06
    cex = res.counterexample
    g, r, beta = (frac(cex["params"][k]) for k in ("g", "r", "beta"))
    assert aug(r, g, beta, cex["n"]) == frac(cex["value"]) > Fraction(11, 10)


def test_measure_under_a_distribution():
    box = 'over = { beta = "[0, 0.9]", g = "[1.3, 2.5]", r = "[1.3, 4.2]", n = "[3, 5]" }\n'
    body = box + ('relation = "<="\nstated = "1.1"\nmeasure = ">= 0.9"\nbudget = 600\n'
                  'distribution = { beta = "normal(0.5, 0.1)" }')
    res = one(claim(body, "augmentation"))
    assert res.verdict == "proved"
    assert "beta ~ normal(0.5, 0.1)" in res.certificate[-2]
    # an independent estimate: beta from the normal restricted to [0, 0.9], by rejection
    rng = random.Random(8)
    hits = total = 0
    while total < 600:
        beta = rng.gauss(0.5, 0.1)
        if not 0 <= beta <= 0.9:
            continue
        total += 1
        g, r = Fraction(rng.randint(1300, 2500), 1000), Fraction(rng.randint(1300, 4200), 1000)
        hits += aug(r, g, Fraction(beta), rng.choice((3, 4, 5))) <= Fraction(11, 10)
    assert res.details["measure_low"] - 0.04 <= hits / total <= res.details["measure_high"] + 0.04
    with pytest.raises(ClaimFileError, match=r"distribution\.gg: 'gg' is not in the box 'over'"):
        parse_claims(claim(box + 'relation = "<="\nstated = "1"\nmeasure = ">= 0.9"\n'
                                 'distribution = { gg = "normal(1, 1)" }', "augmentation"))


def test_not_proved_says_so():
    res = one(claim('params = { r = 1.01 }\nforall = { alpha = "[0, 1]", n = "[1, 1000]" }\nrelation = "<"\n'
                    'stated = "1000"\nbudget = 1'))
    assert res.verdict in ("proved", "not proved")  # true (the limit at alpha = 1 is 101)


# -- the prover never proves a false claim ---------------------------------------------------------------
SCALE = max(1, settings.default.max_examples // 100)


def kick_truth(r, a0, a1, level, rel):
    """Whether B_n rel level for every alpha in [a0, a1] and n >= 1, from the closed form by hand:
    B_n = sum_(k<n) (alpha/r)^k rises with n and alpha to r/(r - a1) (reached only if a1 = 0),
    from B_1 = 1."""
    sup, inf = r / (r - a1), Fraction(1)
    return {"<=": sup <= level, "<": sup < level or (sup == level and a1 > 0),
            ">=": inf >= level, ">": inf > level}[rel]


def assert_sound(res, truth, level, rel, body):
    """A true claim is never refuted, a false one never proved; a counterexample holds by iteration."""
    assert res.verdict in (("proved", "not proved") if truth else ("refuted", "not proved")), body
    if res.verdict == "refuted":
        cex = res.counterexample
        v = kick(frac(cex["params"]["r"]), frac(cex["params"]["alpha"]), cex["n"])
        assert v == frac(cex["value"])
        assert not {"<=": v <= level, "<": v < level, ">=": v >= level, ">": v > level}[rel]


@settings(max_examples=10 * SCALE, deadline=None)
@given(r10=st.integers(11, 60), a0=st.integers(0, 50), width=st.integers(0, 50),
       level100=st.integers(90, 250), rel=st.sampled_from(["<=", "<", ">=", ">"]))
@example(r10=20, a0=50, width=50, level100=200, rel="<")  # sup = 2 = level, never reached: true
@example(r10=20, a0=50, width=50, level100=200, rel="<=")
@example(r10=20, a0=0, width=0, level100=100, rel=">=")  # alpha = 0: B_n = 1 at every n
@example(r10=20, a0=0, width=0, level100=100, rel="<")  # false: B_n = 1 = level
def test_random_boxes_never_proved_when_false(r10, a0, width, level100, rel):
    r, lo, hi = Fraction(r10, 10), Fraction(a0, 100), Fraction(a0 + width, 100)
    level = Fraction(level100, 100)
    truth = kick_truth(r, lo, hi, level, rel)
    body = (f'params = {{ r = "{r10 / 10}" }}\nforall = {{ alpha = "[{float(lo)}, {float(hi)}]", '
            f'n = "[1, oo)" }}\nrelation = "{rel}"\nstated = "{level100 / 100}"\nbudget = 50')
    assert_sound(one(claim(body)), truth, level, rel, body)


@settings(max_examples=6 * SCALE, deadline=None)
@given(r0=st.integers(3, 40), rw=st.integers(0, 20), a0=st.integers(0, 10), aw=st.integers(0, 10),
       level10=st.integers(8, 40), rel=st.sampled_from(["<=", "<", ">=", ">"]))
@example(r0=5, rw=10, a0=0, aw=10, level10=10, rel=">=")  # alpha = r inside the box
@example(r0=5, rw=10, a0=0, aw=10, level10=40, rel="<=")  # unbounded where alpha >= r
def test_random_boxes_in_r_and_alpha_never_proved_when_false(r0, rw, a0, aw, level10, rel):
    r_lo, r_hi = Fraction(r0, 10), Fraction(r0 + rw, 10)
    lo, hi, level = Fraction(a0, 10), Fraction(min(a0 + aw, 10), 10), Fraction(level10, 10)
    if hi >= r_lo and hi > 0:  # alpha >= r somewhere: B_n grows without bound there
        truth = {"<=": False, "<": False, ">=": level <= 1, ">": level < 1}[rel]
    else:
        truth = kick_truth(r_lo, lo, hi, level, rel)
    body = (f'forall = {{ r = "[{float(r_lo)}, {float(r_hi)}]", alpha = "[{float(lo)}, {float(hi)}]", '
            f'n = "[1, oo)" }}\nrelation = "{rel}"\nstated = "{level10 / 10}"\nbudget = 50')
    assert_sound(one(claim(body)), truth, level, rel, body)


def test_random_boxes_are_decided():
    """Not only "not proved": on these boxes the prover decides both ways."""
    seen = set()
    cases = [(50, 16, 48, 191, "<="), (40, 49, 16, 113, "<"), (18, 23, 31, 163, ">"), (22, 44, 13, 198, ">=")]
    for r10, a0, width, level100, rel in cases:
        r, lo, hi = Fraction(r10, 10), Fraction(a0, 100), Fraction(a0 + width, 100)
        level = Fraction(level100, 100)
        body = (f'params = {{ r = "{r10 / 10}" }}\nforall = {{ alpha = "[{float(lo)}, {float(hi)}]", '
                f'n = "[1, oo)" }}\nrelation = "{rel}"\nstated = "{level100 / 100}"')
        seen.add((kick_truth(r, lo, hi, level, rel), one(claim(body)).verdict))
    assert seen == {(True, "proved"), (False, "refuted")}


def test_enclosures_hold_the_exact_values():
    import sympy as sp

    a, r = sp.symbols("alpha r", positive=True)
    expr = r * (1 - (a / r) ** 5) / (r - a)
    rng = random.Random(6)
    for _ in range(20):
        lo_a = Fraction(rng.randint(0, 90), 100)
        lo_r = Fraction(rng.randint(110, 500), 100)
        box = {a: (lo_a, lo_a + Fraction(1, 10)), r: (lo_r, lo_r + Fraction(1, 2))}
        e = enclose(expr, box)
        for _ in range(5):
            x = lo_a + Fraction(rng.randint(0, 100), 1000)
            y = lo_r + Fraction(rng.randint(0, 500), 1000)
            assert float(e.a) <= float(kick(y, x, 5)) <= float(e.b)


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "message"), [
    ('forall = { alpha = "[0, 1" }\nrelation = "<="\nstated = "2"\nparams = { r = 2 }',
     "forall.alpha is '[0, 1', expected interval text"),
    ('forall = { alpha = "[0, 2]" }\nrelation = "<="\nstated = "2"\nparams = { r = 2 }',
     "outside the domain [0, 1] of alpha"),
    ('forall = { alpha = "[0, 1]" }\nexists = { alpha = "[0, 1]" }\nrelation = "<="\nstated = "2"\n'
     'params = { r = 2 }', "fields 'forall' and 'exists' are both given"),
    ('forall = { r = "[2, 3]" }\nmonotone = { n = "upward" }',
     "monotone.n is 'upward', expected one of increasing, decreasing, non-decreasing, non-increasing"),
    ('forall = { alpha = "[0, 1]" }\nrelation = "<="\nstated = "2"\nparams = { r = 2 }\nwithin = 3',
     "unknown field 'within'"),
    ('forall = { alpha = "[0, 1]", n = "[0, oo)" }\nrelation = "<="\nstated = "2"\nparams = { r = 2 }',
     "forall.n is '[0, oo)', expected integers n >= 1"),
    ('forall = { alpha = "[0, 1]" }\nrelation = "="\nstated = "2"\nparams = { r = 2 }',
     "field 'relation' is '=', expected one of <, <=, >, >="),
    ('over = { alpha = "[0, 1]" }\nmeasure = "most"\nrelation = "<="\nstated = "2"\nparams = { r = 2 }',
     "field 'measure' is 'most', expected a relation and a share"),
    ('over = { alpha = "[0, 1]", r = "[1, oo)" }\nmeasure = ">= 0.5"\nrelation = "<="\nstated = "2"',
     "over.r is [1, oo), expected a bounded interval"),
    ('params = { r = 2 }\nforall = { alpha = "[0, 1]", r = "[1, 2]" }\nrelation = "<="\nstated = "2"',
     "parameter 'r' is both fixed in 'params' and quantified in 'forall'"),
    ('region = "__import__(\'os\') > 1"\nrelation = ">"\nstated = "1"',
     "names starting with '_' are not allowed"),
])
def test_bad_region_claims_name_key_value_and_line(body, message):
    with pytest.raises(ClaimFileError) as info:
        parse_claims(claim(body))
    assert message in str(info.value)
    assert info.value.line is not None
    assert info.value.line > 1


def test_bad_region_claim_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(claim('forall = { r = "[2, 3]" }\nmonotone = { n = "upward" }'), encoding="utf-8")
    assert _main.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 6" in err
    assert "monotone.n is 'upward'" in err
    assert "Traceback" not in err


# -- the interval proof's sub-boxes, re-checked at exact points -----------------------------------------
def test_branch_and_bound_boxes_rechecked_by_iteration():
    from symrecycle.io.registry import get_model
    from symrecycle.numeric.boxes import branch_and_bound
    from symrecycle.report.regions import Prover, _mp

    box = 'over = { beta = "[0, 0.9]", g = "[1.3, 2.5]", r = "[1.3, 4.2]", n = "[4, 4]" }\n'
    (c,) = parse_claims(claim(box + 'relation = "<="\nstated = "1.1"\nmeasure = ">= 0"', "augmentation"))
    pr = Prover(get_model("augmentation"), c, {}, c.region.box, c.region.n_range, 10)
    n, level = 4, Fraction(11, 10)

    def test(e):
        return True if e.b <= level else (False if e.a > level else None)

    sides = {p.symbol: (p.lower, p.upper) for p in c.region.box}
    res = branch_and_bound(pr.enclosure_at(n), sides, _mp(test), 400, stop_on_fail=False)
    assert res.held
    assert res.failed
    rng = random.Random(7)
    order = [p.name for p in c.region.box]
    for box, want in [(x, True) for x in res.held[:40]] + [(x, False) for x in res.failed[:40]]:
        for _ in range(3):
            t = (Fraction(rng.randint(0, 100), 100) for _ in box.sides)
            pt = dict(zip(order, (lo + (hi - lo) * x for (lo, hi), x in zip(box.sides, t))))
            assert (aug(pt["r"], pt["g"], pt["beta"], n) <= level) is want


def test_the_metric_map_against_iteration():
    from symrecycle.io.registry import get_model
    from symrecycle.report.regions import Prover

    (c,) = parse_claims(claim('over = { beta = "[0, 1]", g = "[1, 2]", r = "[1, 2]", n = "[2, 3]" }\n'
                              'relation = "<="\nstated = "1"\nmeasure = ">= 0"', "augmentation"))
    pr = Prover(get_model("augmentation"), c, {}, c.region.box, c.region.n_range, 10)
    step, u, k, first = pr.metric_map()
    beta, g, r = Fraction(1, 3), Fraction(7, 5), Fraction(9, 4)
    m = first
    syms = {p.name: p.symbol for p in c.region.box}
    for i in range(1, 8):
        assert m == aug(r, g, beta, i)
        m = step.xreplace({syms["beta"]: beta, syms["g"]: g, syms["r"]: r, u: m, k: i - 1})


def test_interval_proof_on_an_unbounded_box():
    # r/(r - alpha) <= 2 for r >= 2: no sign proof is asked for here, the interval proof maps r onto [0, 1)
    res = one(claim('forall = { r = "[2, oo)", alpha = "[0, 1]" }\nrelation = "<="\nstated = "2"',
                    quantity="limit"))
    assert res.verdict in ("proved", "not proved")
    res = one(claim('forall = { r = "[1.5, oo)", alpha = "[0, 1]" }\nrelation = "<="\nstated = "2"',
                    quantity="limit"))
    assert res.verdict == "refuted"
    p = res.counterexample["params"]
    r, alpha = frac(p["r"]), frac(p["alpha"])
    assert r >= Fraction(3, 2)
    assert r / (r - alpha) > 2
    assert kick(r, alpha, 200) > 2  # late iterates exceed 2 too


def test_a_region_claim_on_a_model_without_closed_forms_is_not_proved_and_says_why():
    res = one(claim('params = { r = "4.2", g = "2.5", theta = "0.5" }\nforall = { alpha = "[0, 1]" }\n'
                    'relation = "<="\nstated = "1.5"', model="endogenous-progress", quantity="limit"))
    assert res.verdict == "not proved"
    assert res.error is None
    assert res.certificate


# -- review regressions -------------------------------------------------------------------------------
def test_a_sensitivity_with_n_in_the_box_is_the_one_at_n_not_the_limits():
    # dB_2/dalpha = 1/r is constant in alpha (B_2 = 1 + alpha/r): "increasing in alpha" must not be proved
    res = one(claim('forall = { r = "[2, 3]", alpha = "[0, 1]", n = "[2, 5]" }\nmonotone = { alpha = '
                    '"increasing" }\nwrt = "alpha"', quantity="sensitivity"))
    assert res.verdict != "proved"
    # dB_n/dalpha at r = 2 is 0 at n = 1 and 1/2 at n = 2: the share where it is >= 1/2 is exactly 1/2
    res = one(claim('params = { r = 2 }\nwrt = "alpha"\nover = { alpha = "[0, 1]", n = "[1, 2]" }\n'
                    'measure = ">= 0.9"\nrelation = ">="\nstated = "0.5"', quantity="sensitivity"))
    assert res.verdict == "refuted"
    # a counterexample's value is the sensitivity at its n: dB_3/dalpha = 1/2 + alpha/2 = 1 at alpha = 1
    res = one(claim('params = { r = 2 }\nwrt = "alpha"\nforall = { alpha = "[0, 1]", n = "[2, 10]" }\n'
                    'relation = "<="\nstated = "0.5"', quantity="sensitivity"))
    assert res.verdict == "refuted"
    cex = res.counterexample
    r, a, k = Fraction(2), frac(cex["params"]["alpha"]), cex["n"]
    h = Fraction(1, 10**12)  # the derivative of this file's own iteration, exactly (a polynomial in alpha)
    assert frac(cex["value"]) == sum(j * a ** (j - 1) / r**j for j in range(1, k))
    assert abs((kick(r, a + h, k) - kick(r, a - h, k)) / (2 * h) - frac(cex["value"])) < Fraction(1, 10**9)


def test_a_share_under_a_distribution_keeps_its_digits_in_the_tail():
    # limit 2/(2 - alpha) > 1.5 where alpha > 2/3; alpha ~ normal(-8, 1) on [0, 1]: the share is
    # P(alpha > 2/3)/P(0 <= alpha <= 1) = 0.0033954568913... (mpmath at 50 digits, this test's own)
    import mpmath

    with mpmath.workdps(50):
        want = ((mpmath.ncdf(1, -8, 1) - mpmath.ncdf(mpmath.mpf(2) / 3, -8, 1))
                / (mpmath.ncdf(1, -8, 1) - mpmath.ncdf(0, -8, 1)))
    body = ('params = { r = 2 }\nover = { alpha = "[0, 1]" }\ndistribution = { alpha = "normal(-8, 1)" }\n'
            'relation = ">"\nstated = "1.5"\nmeasure = "<= 0.001"')
    res = one(claim(body, quantity="limit"))
    assert res.verdict == "refuted"
    low, high = res.details["measure_low"], res.details["measure_high"]
    assert low <= float(want) <= high
    assert high - low < 1e-10


def test_a_verdict_is_derived_once_and_read_back_the_same(tmp_path, monkeypatch):
    from symrecycle.models import store
    from symrecycle.report import regioncheck

    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(tmp_path))
    store.set_enabled(None)
    claims = parse_claims(ISSUE_EXAMPLES)
    first = [r.to_dict() for r in check_claims(claims)]
    assert [d["verdict"] for d in first] == ["proved"] * 3
    entries = sorted((tmp_path / "derivations").glob("*.json"))
    assert len([p for p in entries if '"value"' in p.read_text()]) == 3

    def refuse(*_a, **_k):
        raise AssertionError("proved again: the verdict was not read")

    with monkeypatch.context() as m:
        m.setattr(regioncheck, "Prover", refuse)
        renamed = parse_claims(ISSUE_EXAMPLES.replace("bound-1.5", "renamed"))
        again = [r.to_dict() for r in check_claims(renamed)]
    assert [{**d, "id": "x"} for d in again] == [{**d, "id": "x"} for d in first]  # the id is not in the key
    # another stated level is another claim: proved again
    with monkeypatch.context() as m:
        m.setattr(regioncheck, "Prover", refuse)
        with pytest.raises(AssertionError, match="proved again"):
            check(parse_claims(ISSUE_EXAMPLES.replace('stated = "1.5"', 'stated = "1.6"'))[0])
    # an entry signed with the folder's key but of another shape is not trusted: proved again
    import hashlib
    import hmac

    key = (tmp_path / "derivations" / ".key").read_bytes()
    for path in entries:
        doc = json.loads(path.read_text().partition("\n")[2])
        if "value" not in doc["data"]:
            continue
        doc["data"]["value"]["status"] = "PROVED"
        data = json.dumps(doc["data"], separators=(",", ":"), ensure_ascii=True, allow_nan=False)
        doc["sha256"] = hashlib.sha256(data.encode()).hexdigest()
        text = json.dumps(doc)
        path.write_text(hmac.new(key, text.encode(), hashlib.sha256).hexdigest() + "\n" + text)
    third = [r.to_dict() for r in check_claims(claims)]
    assert third == first
