"""The synthetic landing-zone generator: determinism, layout, dialects, bad input, outcome shape."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_onr

from soepel_etl.synthetic import SOURCES, generate, person_table
from soepel_etl.synthetic import ids
from soepel_etl.synthetic import model as M
from soepel_etl.synthetic.reference import load_reference

PERSONS = 1500
SEED = 20240401
NAME_RE = re.compile(r"^(onderwijs|werk|uitkeringen|deelnemers|interventies)_([A-Z0-9]{4}|GM\d{4}|[A-Z]{3})_"
                     r"(\d{8})\.(csv|xlsx)$")


def _tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    summary = generate(out, persons=PERSONS, seed=SEED)
    return out, summary


def _csv_files(root: Path, bad: set[str]):
    return [p for p in sorted(root.rglob("*.csv")) if p.name not in bad]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def test_same_seed_same_bytes_other_seed_other_bytes(zone, tmp_path):
    out, summary = zone
    again = tmp_path / "again"
    assert generate(again, persons=PERSONS, seed=SEED) == summary
    assert _tree_hash(again) == _tree_hash(out)
    other = tmp_path / "other"
    generate(other, persons=PERSONS, seed=SEED + 1)
    h1, h2 = _tree_hash(out), _tree_hash(other)
    assert h1 != h2
    assert len(set(h1.values()) & set(h2.values())) <= 2   # at most e.g. the empty file


def test_layout_and_names(zone):
    out, summary = zone
    assert sorted(p.name for p in out.iterdir()) == sorted(SOURCES)
    bad = summary["bad_file_kinds"]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == summary["files"]
    for p in files:
        m = NAME_RE.match(p.name)
        if p.name in bad and bad[p.name] == "bad_name":
            assert m is None
            continue
        assert m, p.name
        assert m.group(1) == p.parent.name
        assert m.group(4) == "csv" or m.group(1) in ("onderwijs", "deelnemers", "interventies")
    for s in SOURCES:
        assert summary["by_source"][s]["files"] > 0
    assert 100 <= summary["files"] <= 400
    assert summary["rows"] > 0 and json_ok(summary)


def json_ok(obj) -> bool:
    import json
    json.dumps(obj)
    return True


def test_every_bad_file_kind(zone):
    out, summary = zone
    kinds = summary["bad_file_kinds"]
    assert set(kinds.values()) >= {"bad_name", "empty_file", "not_a_workbook", "missing_column",
                                   "unreadable", "duplicate_file"}
    paths = {p.name: p for p in out.rglob("*") if p.is_file()}
    hashes: dict[str, list[str]] = {}
    for name, p in paths.items():
        hashes.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), []).append(name)
    for name, kind in kinds.items():
        data = paths[name].read_bytes()
        if kind == "empty_file":
            assert data == b""
        elif kind == "not_a_workbook":
            assert name.endswith(".xlsx") and not zipfile.is_zipfile(io.BytesIO(data))
        elif kind == "duplicate_file":
            twins = hashes[hashlib.sha256(data).hexdigest()]
            assert any(t != name and t not in kinds for t in twins)
            assert NAME_RE.match(name)
        elif kind == "unreadable":
            assert b"\x00" in data
        elif kind == "missing_column":
            header = _decode(data).splitlines()[0].lower()
            assert ("periode" not in header) or ("interventie" not in header)


def test_dialect_variants_present(zone):
    out, summary = zone
    bad = set(summary["bad_file_kinds"])
    seen = set()
    for p in _csv_files(out, bad):
        data = p.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            seen.add("bom")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            seen.add("cp1252")
        seen.add("crlf" if b"\r\n" in data else "lf")
        text = _decode(data)
        eol = "\r\n" if "\r\n" in text else "\n"
        if text.endswith(eol + eol):
            seen.add("trailing_blank")
        header = text.split(eol, 1)[0]
        seen.add("semicolon" if ";" in header else "comma")
        if '"' in text:
            seen.add("quoted")
        if "NULL" in text:
            seen.add("NULL")
        if header != header.lower():
            seen.add("header_case")
        if re.search(r"(^|[;,])\s+\w|\w\s+([;,]|$)", header):
            seen.add("header_spaces")
        if "opmerking" in header.lower():
            seen.add("extra_column")
        body = text[len(header):]
        if re.search(r"\b\d{2}-\d{2}-\d{4}\b", body):
            seen.add("date_dmy")
        if re.search(r"(^|[;,\"])\d-\d{1,2}-\d{4}\b", body, re.M):
            seen.add("date_d_m")
        if re.search(r"\b\d{4}-\d{2}-\d{2}\b", body):
            seen.add("date_iso")
        if p.parent.name == "werk":
            if re.search(r"[;,\"](20\d{2})(0[1-9]|1[0-2])\"?[;,]", body):
                seen.add("periode_yyyymm")
            if re.search(r"[;,\"]20\d{2}-(0[1-9]|1[0-2])\"?[;,]", body):
                seen.add("periode_yyyy_mm")
            if re.search(r"\d,\d", body.replace(";", " ").replace('","', " ")):
                seen.add("decimal_comma")
            if re.search(r"\d\.\d", body):
                seen.add("decimal_point")
        if re.search(r"(^|[\n;,\"])[1-9]\d{7}(\"?)[;,]", body) and "bsn_8_digits" in summary["variants"]:
            seen.add("bsn_8")
        if p.parent.name == "onderwijs" and re.search("[éëï]", text):
            seen.add("accents")
    missing = {"bom", "cp1252", "crlf", "lf", "trailing_blank", "semicolon", "comma", "quoted", "NULL",
               "header_case", "header_spaces", "extra_column", "date_dmy", "date_d_m", "date_iso",
               "periode_yyyymm", "periode_yyyy_mm", "decimal_comma", "decimal_point", "bsn_8",
               "accents"} - seen
    assert not missing
    xlsx = [p for p in out.rglob("*.xlsx") if p.name not in bad]
    assert xlsx and all(zipfile.is_zipfile(p) for p in xlsx)
    assert {p.parent.name for p in xlsx} <= {"onderwijs", "deelnemers", "interventies"}
    assert summary["variants"].get("shuffled_columns", 0) > 0


def test_bad_rows_of_every_kind(zone):
    _, summary = zone
    kinds = {k.split(":")[1] for k in summary["bad_row_kinds"]}
    assert kinds >= {"invalid_bsn", "no_identifier", "duplicate_row", "conflicting_key",
                     "missing_required", "bad_date", "bad_number", "bad_domain", "end_before_start",
                     "age_out_of_range", "periode_after_delivery"}
    for s in SOURCES:
        assert any(k.startswith(s + ":") for k in summary["bad_row_kinds"])
    assert 0 < summary["bad_rows"] < 0.05 * summary["rows"]


def test_withdrawn_enrolments_present(zone):
    out, summary = zone
    bad = set(summary["bad_file_kinds"])
    texts = "".join(_decode(p.read_bytes()) for p in _csv_files(out / "onderwijs", bad))
    # a mutatie value V (its own field) in some onderwijs delivery
    assert re.search(r"(^|[;,])\"?V\"?(\r?$|[;,])", texts, re.M)


def test_identifiers_valid_per_stdnum():
    ref = load_reference()
    t = M.build_truth(ref, 3000, 7)
    b = t.bsn[t.bsn >= 0]
    o = t.onr[t.onr >= 0]
    assert len(np.unique(b)) == len(b) and len(o) > 0
    assert all(stdnum_bsn.is_valid(f"{x:09d}") for x in b)
    assert all(stdnum_onr.is_valid(f"{x:09d}") for x in o)
    assert not any(stdnum_bsn.is_valid(f"{x:09d}") for x in ids.break_checksum(b[:500]))
    assert (b < 10**8).any()   # some BSNs have a leading zero
    assert abs(len(o) / t.n - 0.03) < 0.01


def test_bsns_in_files_are_valid(zone):
    out, summary = zone
    bad = set(summary["bad_file_kinds"])
    vals = []
    for p in _csv_files(out / "uitkeringen", bad) + _csv_files(out / "deelnemers", bad):
        lines = _decode(p.read_bytes()).splitlines()
        head = lines[0]
        sep = ";" if ";" in head else ","
        cols = [c.strip().strip('"').strip().lower() for c in head.split(sep)]
        i = cols.index("bsn")
        for line in lines[1:]:
            if line:
                v = line.split(sep)[i].strip('"')
                if v and v != "NULL":
                    vals.append(v.zfill(9))
    ok = sum(stdnum_bsn.is_valid(v) for v in vals)
    assert len(vals) > 100 and ok / len(vals) > 0.97


def test_outcome_shape_resembles_pilot_evaluation():
    df = person_table(5000, SEED)
    f = df[df.programme.isin(["entree", "bol2", "bbl2"])]
    share = f.status_6.value_counts(normalize=True)
    assert 0.45 <= share["werk"] <= 0.65
    assert 0.18 <= share["onderwijs"] <= 0.32
    assert 0.07 <= share["werkend_lerend"] <= 0.18
    by = f.groupby("programme").status_6.value_counts(normalize=True)
    assert by["entree"][["onderwijs", "werkend_lerend"]].sum() > 0.5
    assert by["bbl2"]["werk"] > 0.8
    # people at risk exist 24 months later
    assert 0.1 < df.status_24.isin(["geen", "uitkering"]).mean() < 0.45
    age = (df.outflow_date - df.birth_date).dt.days / 365.25
    assert age.between(15.9, 21.1).all()
    assert set(df.cohort) == {2018, 2019, 2020, 2021}
