"""Claims files: parsing with line numbers, rounding-aware verdicts, explanations, the report's audit."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
import sympy as sp

import symrecycle as sr
from symrecycle.io.claimfile import ClaimFileError, parse_claims
from symrecycle.report import claims as _claims
from symrecycle.report.claims import check, check_file


def one(text):
    (c,) = parse_claims(text)
    return c


CLAIM = """
[[claim]]
id = "{id}"
model = "kickstarting"
quantity = "{quantity}"
params = {params}
stated = "{stated}"
source = "a test"
{extra}
"""


def claim(id="c", quantity="limit", params='{ r = 2, alpha = 1 }', stated="2", extra=""):
    return CLAIM.format(id=id, quantity=quantity, params=params, stated=stated, extra=extra)


# -- the report's own claims -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def audit():
    return {r.id: r for r in check_file(_claims.report_claims_path())}


def rounds_to(value, stated):
    half = Fraction(1, 2) * Fraction(10) ** -len(stated.split(".")[1]) if "." in stated else Fraction(1, 2)
    return abs(Fraction(value) - Fraction(stated)) <= half


@pytest.mark.parametrize(("cid", "r", "stated"), [
    ("table1-compute", Fraction(42, 10), "1.3"),
    ("table1-hardware", Fraction(13, 10), "4.1"),
    ("table1-compute+software", Fraction(105, 10), "1.1"),
    ("table1-hardware+software", Fraction(33, 10), "1.4"),
])
def test_table1_verdicts_against_hand_values(audit, cid, r, stated):
    res = audit[cid]
    expected = r / (r - 1)  # the limit at alpha = 1, by hand
    assert res.computed == pytest.approx(float(expected), rel=1e-12)
    assert res.consistent is rounds_to(expected, stated)
    assert res.stated == stated


def test_the_hardware_row_is_inconsistent_and_explained(audit):
    res = audit["table1-hardware"]
    assert not res.consistent
    assert res.verdict == "inconsistent"
    ex = {e["parameter"]: e for e in res.explanations}
    assert set(ex) == {"r", "alpha", "n"}
    # r/(r - 1) in [4.05, 4.15]  <=>  r in [4.15/3.15, 4.05/3.05]
    assert ex["r"]["low"] == pytest.approx(4.15 / 3.15, rel=1e-9)
    assert ex["r"]["high"] == pytest.approx(4.05 / 3.05, rel=1e-9)
    assert ex["r"]["within_printed_precision"] is True  # 1.32 prints as 1.3
    # 1.3/(1.3 - alpha) in [4.05, 4.15]  <=>  alpha in [1.3(1 - 1/4.05), 1.3(1 - 1/4.15)]
    assert ex["alpha"]["low"] == pytest.approx(1.3 * (1 - 1 / 4.05), rel=1e-9)
    assert ex["alpha"]["high"] == pytest.approx(1.3 * (1 - 1 / 4.15), rel=1e-9)
    assert "within_printed_precision" not in ex["alpha"]  # alpha = 1 is a setting, not a printed figure
    # finite horizon: B_n = sum_{k<n} 1.3**-k by direct summation
    good = [n for n in range(1, 60)
            if 4.05 <= sum(Fraction(10, 13) ** k for k in range(n)) <= 4.15]
    assert (ex["n"]["low"], ex["n"]["high"]) == (min(good), max(good)) == (11, 12)


def test_growth_and_bound_claims(audit):
    assert audit["table1-growth-compute+software"].computed == pytest.approx(4.2 * 2.5)
    assert audit["table1-growth-hardware+software"].computed == pytest.approx(3.25)
    assert audit["table1-growth-hardware+software"].consistent  # 3.25 is a tie: printed 3.3
    assert audit["text-475-percent"].computed == pytest.approx((2.3 * 2.5 - 1) * 100)
    assert audit["text-475-percent"].consistent
    for cid, r in (("text-bound-1.5", 5.75), ("text-bound-1.5-as-4.75x", 4.75)):
        assert audit[cid].computed == pytest.approx(r / (r - 1))
        assert audit[cid].consistent is (r / (r - 1) <= 1.5)
    assert sum(not r.consistent for r in audit.values()) == 1


def test_every_report_claim_has_a_source(audit):
    assert len(audit) >= 9
    for res in audit.values():
        assert res.claim.source.strip()
        assert res.to_dict()["source"] == res.claim.source


def test_the_introductions_ratio_is_the_reciprocal_benefit():
    # the report: C_0 r^T / sum_{t=0}^T C_0 r^t = (r - 1) r^T / (r^(T+1) - 1); it is 1/B_{T+1} at alpha = 1
    m = sr.get_model("kickstarting")
    r, alpha = m.symbols["r"], m.symbols["alpha"]
    T = sp.Symbol("T", integer=True, positive=True)
    generic = sp.piecewise_fold(m.benefit().expr).args[-1][0]
    b = generic.subs(alpha, 1).subs(sr.n, T + 1)
    stated = (r - 1) / (r ** (T + 1) - 1) * r**T
    assert sp.simplify(1 / b - stated) == 0


# -- verdicts --------------------------------------------------------------------------------------------
def test_rounding_interval_is_closed():
    # B_inf at r = 2, alpha = 1 is 2; printed "2.5" stands for [2.45, 2.55]
    assert check(one(claim(stated="2.0"))).consistent
    assert not check(one(claim(stated="2.1"))).consistent
    # r = 8/3, alpha = 1: limit 8/5 = 1.6 exactly; "1.65" is a tie at 2 decimals -> not; "1.6" yes
    assert check(one(claim(params="{ r = 2.6666666666666665, alpha = 1 }", stated="1.6"))).consistent


def test_relations():
    assert check(one(claim(stated="2.5", extra='relation = "<"'))).consistent
    assert not check(one(claim(stated="2", extra='relation = "<"'))).consistent
    assert check(one(claim(stated="2", extra='relation = "<="'))).consistent
    assert not check(one(claim(stated="2.5", extra='relation = ">"'))).consistent
    assert check(one(claim(stated="1.5", extra='relation = ">="'))).consistent


def test_benefit_claim_with_n_and_its_explanation():
    # B_n at r = 2, alpha = 1 is 2 - 2**(1-n): B_3 = 1.75, B_4 = 1.875, B_5 = 1.9375
    ok = check(one(claim(quantity="benefit", stated="1.75", extra="n = 3")))
    assert ok.consistent
    assert ok.computed == pytest.approx(1.75)
    bad = check(one(claim(quantity="benefit", stated="1.9", extra="n = 3")))
    assert not bad.consistent
    ns = [e for e in bad.explanations if e["parameter"] == "n"]
    assert [(e["low"], e["high"]) for e in ns] == [(4, 5)]


def test_other_quantities():
    # sensitivity of the limit to alpha: r/(r - alpha)^2 = 2/2.25 at r = 2, alpha = 0.5
    res = check(one(claim(quantity="sensitivity", params="{ r = 2, alpha = 0.5 }", stated="0.889",
                          extra='wrt = "alpha"')))
    assert res.consistent
    assert res.computed == pytest.approx(2 / 2.25)
    # iterations to 99 %: log(0.01)/log(alpha/r)
    res = check(one(claim(quantity="iterations-to", params="{ r = 2, alpha = 1 }", stated="6.64")))
    assert res.computed == pytest.approx(math.log(0.01) / math.log(0.5))
    assert res.consistent


def test_engine_failure_is_an_error_verdict(monkeypatch):
    def boom(*a, **k):
        raise NotImplementedError("not this one")

    monkeypatch.setattr(_claims, "_eval", boom)
    res = check(one(claim()))
    assert res.verdict == "error"
    assert res.consistent is False
    assert "not this one" in res.error
    assert res.to_dict()["error"] == res.error


def test_to_dict_is_strict_json():
    res = check(one(claim(params="{ r = 0.5, alpha = 1 }", stated="3")))  # limit is infinite
    d = res.to_dict()
    assert d["computed"] == "inf"
    text = json.dumps([d], allow_nan=False)
    back = json.loads(text)[0]
    assert {"id", "stated", "computed", "consistent", "explanations"} <= set(back)
    assert back["consistent"] is False


def test_format_text():
    res = check(one(claim(stated="2.1")))
    text = _claims.format_text([res])
    assert "c: INCONSISTENT  stated = 2.1, computed 2" in text
    assert "reproduced with r in [" in text
    assert text.rstrip().endswith("1 claims: 0 consistent, 1 not")


# -- unusable files ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "line", "words"), [
    ('[[claim]]\nid = "a"\nmodel = \n', 3, ["not valid TOML"]),
    (claim(stated="x").replace('stated = "x"', "stated = 2"), 7, ["'stated'", "2", "in quotes"]),
    (claim(params="{ r = 2, alpha = 2 }"), 6, ["'alpha'", "2.0", "[0, 1]"]),
    (claim(params="{ r = 2, gamma = 1 }"), 6, ["no parameter 'gamma'", "alpha"]),
    (claim(params="{ r = 2 }"), 6, ["'alpha' is missing"]),
    (claim(params='{ r = "two", alpha = 1 }'), 6, ["'two'", "decimal"]),
    (claim().replace('"kickstarting"', '"kicks"'), 4, ["unknown model 'kicks'", "augmentation"]),
    (claim(quantity="limits"), 5, ["'limits'", "closed-form", "growth"]),
    (claim(extra='relation = "~"'), 9, ["'relation'", "'~'", "<="]),
    (claim(extra="n = 3"), 9, ["'n'", "does not depend on n"]),
    (claim(quantity="benefit"), 2, ["'n' is missing"]),
    (claim(quantity="benefit", extra="n = 0"), 9, ["'n' is 0", "integer >= 1"]),
    (claim(quantity="sensitivity"), 2, ["'wrt' is missing"]),
    (claim(extra="colour = 1"), 9, ["unknown field 'colour'"]),
    (claim().replace('source = "a test"', ""), 2, ["'source' is missing"]),
    (claim() + claim(), 11, ["'c' already used", "line 2"]),
    ('title = "x"\nfoo = 1\n' + claim(), 2, ["unknown top-level key 'foo'"]),
    ('title = "only a title"\n', 1, ["no [[claim]]"]),
    ('[[claim]]\nid = "g"\nquantity = "growth"\nrates = ["compute", "magic"]\nunit = "x_per_year"\n'
     'stated = "1"\nsource = "s"\n', 4, ["unknown growth rate 'magic'", "software"]),
    ('[[claim]]\nid = "g"\nquantity = "growth"\nrates = ["compute"]\nunit = "furlongs"\n'
     'stated = "1"\nsource = "s"\n', 5, ["'unit'", "'furlongs'", "percent_per_year"]),
])
def test_unusable_files_name_line_and_reason(text, line, words):
    with pytest.raises(ClaimFileError) as info:
        parse_claims(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.line == line, str(err)
    for w in words:
        assert w in str(err), (w, str(err))
    assert str(err).startswith(f"line {line}: ")


def test_unreadable_files(tmp_path):
    with pytest.raises(ClaimFileError, match="cannot read"):
        check_file(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'title = "x"\n# caf\xe9\n')
    with pytest.raises(ClaimFileError, match="not UTF-8") as info:
        check_file(bad)
    assert info.value.line == 2


def test_check_file_reads_a_user_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(claim(id="mine", stated="2"), encoding="utf-8")
    (res,) = check_file(path)
    assert res.id == "mine"
    assert res.consistent
    assert res.claim.line == 2


# -- the growth-rate data -----------------------------------------------------------------------------------
def test_growth_rates_as_printed_with_citations():
    from symrecycle.io.growth import growth_rates, growth_scenarios

    rates = growth_rates()
    assert rates["compute"].factor == Fraction(42, 10)
    assert rates["compute-largest-runs"].factor == Fraction(23, 10)  # 130 %/yr, an increase
    assert rates["figure3"].factor == Fraction(48, 10)
    for r in rates.values():
        assert r.citation
        assert r.printed_in
    assert "Sevilla" in rates["compute-largest-runs"].citation
    assert "2212.05153" in rates["software"].citation
    table = [s for s in growth_scenarios() if s.table1]
    assert [float(s.factor) for s in table] == [4.2, 1.3, 10.5, 3.25]


@pytest.mark.parametrize(("body", "words"), [
    ('value = "4.2"\nunit = "x_per_decade"', ["'unit'", "'x_per_decade'", "percent_per_year"]),
    ('value = 4.2\nunit = "x_per_year"', ["'value'", "4.2", "in quotes"]),
    ('value = "-150"\nunit = "percent_per_year"', ["factor -1/2 <= 0"]),
])
def test_growth_rate_file_errors(tmp_path, body, words):
    from symrecycle.io.growth import growth_rates

    path = tmp_path / "rates.toml"
    path.write_text(f'[[rate]]\nid = "x"\nname = "X"\ncitation = "c"\n{body}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="rate 'x'") as info:
        growth_rates(path)
    for w in words:
        assert w in str(info.value)
    assert str(path) in str(info.value)


def test_growth_rate_doubling_time_and_scenarios(tmp_path):
    from symrecycle.io.growth import growth_rates, growth_scenarios

    path = tmp_path / "rates.toml"
    path.write_text('[[rate]]\nid = "d"\nname = "D"\ncitation = "c"\nvalue = "6"\n'
                    'unit = "doubling_time_months"\n[[scenario]]\nid = "s"\nname = "S"\n'
                    'rates = ["d", "d"]\n', encoding="utf-8")
    assert growth_rates(path)["d"].factor == pytest.approx(4.0)
    assert growth_scenarios(path)[0].factor == pytest.approx(16.0)
    path.write_text(path.read_text().replace('["d", "d"]', '["d", "e"]'), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown rate 'e'"):
        growth_scenarios(path)


def test_the_iteration_n_may_be_given_among_the_params():
    text = ('[[claim]]\nid = "b"\nmodel = "kickstarting"\nquantity = "benefit"\n'
            'params = { r = "4.2", alpha = 1, n = 5 }\nstated = "1.31"\nsource = "t"\n')
    (c,) = parse_claims(text)
    assert c.n == 5
    assert check(c).verdict == "consistent"  # 1 + 1/4.2 + ... + 1/4.2**4 = 1.3115...
    with pytest.raises(ClaimFileError, match="n is given twice"):
        parse_claims(text.replace('source = "t"', 'source = "t"\nn = 5'))
