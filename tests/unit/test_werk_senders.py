"""Per-sender werk coverage and activity (spec/extracts.md, werk): pure functions over the loads manifest."""

from __future__ import annotations

import datetime as dt

from soepel_etl.extracts.werk_senders import (WerkDelivery, employment_coverage_month, missing_senders,
                                              months_before, werk_senders)

D = dt.date


def test_the_slowest_active_sender_sets_the_coverage_month():
    senders = werk_senders([
        WerkDelivery("GM0363", D(2024, 3, 5), "2024-01"),
        WerkDelivery("GM0363", D(2023, 12, 5), "2023-10"),
        WerkDelivery("GM0513", D(2024, 3, 9), "2023-10"),    # a delivery behind, but active
        WerkDelivery("GM0193", D(2024, 2, 1), "2023-12"),
    ])
    assert [(s.sender, s.latest_delivery, s.coverage_month, s.active) for s in senders] == [
        ("GM0193", D(2024, 2, 1), "2023-12", True),
        ("GM0363", D(2024, 3, 5), "2024-01", True),
        ("GM0513", D(2024, 3, 9), "2023-10", True)]
    assert employment_coverage_month(senders) == "2023-10"
    assert missing_senders(senders) == []


def test_a_sender_more_than_six_months_behind_is_missing_and_holds_nothing_back():
    senders = werk_senders([
        {"sender": "GM0363", "delivery_date": D(2024, 3, 5), "latest_periode": "2024-01"},
        {"sender": "GM0281", "delivery_date": D(2023, 9, 4), "latest_periode": "2023-06"},   # 6 months + 1 day
        {"sender": "GM0193", "delivery_date": D(2023, 9, 5), "latest_periode": "2023-07"},   # exactly 6 months
    ])
    active = {s.sender: s.active for s in senders}
    assert active == {"GM0363": True, "GM0281": False, "GM0193": True}
    assert [s.sender for s in missing_senders(senders)] == ["GM0281"]
    assert employment_coverage_month(senders) == "2023-07"


def test_a_merged_municipality_continues_as_one_sender():
    current = {"GM0501": "GM1992", "GM0530": "GM1992", "GM0614": "GM1992"}
    senders = werk_senders([
        WerkDelivery("GM0530", D(2022, 9, 3), "2022-06"),
        WerkDelivery("gm0501", D(2022, 12, 2), "2022-09"),
        WerkDelivery("GM1992", D(2023, 3, 6), "2022-12"),
        WerkDelivery("GM0363", D(2023, 9, 6), "2023-06"),
    ], current)
    assert [(s.sender, s.codes, s.latest_delivery, s.active) for s in senders] == [
        ("GM0363", ("GM0363",), D(2023, 9, 6), True),
        ("GM1992", ("GM0501", "GM0530", "GM1992"), D(2023, 3, 6), True)]
    # without the reorganisation table the old codes would be three senders, two of them missing
    alone = werk_senders([WerkDelivery("GM0530", D(2022, 9, 3)), WerkDelivery("GM0363", D(2023, 9, 6))])
    assert [s.sender for s in missing_senders(alone)] == ["GM0530"]


def test_no_deliveries_and_unknown_coverage():
    assert werk_senders([]) == [] and employment_coverage_month([]) is None
    senders = werk_senders([WerkDelivery("GM0363", D(2024, 3, 5))])
    assert senders[0].coverage_month is None and employment_coverage_month(senders) is None


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(D(2024, 8, 31), 6) == D(2024, 2, 29)
    assert months_before(D(2024, 3, 15), 6) == D(2023, 9, 15)
    assert months_before(D(2024, 1, 1), 13) == D(2022, 12, 1)
