"""Each coercion: what it reads, and what it flags as unreadable (never a silent wrong value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmstudy.ingest.coerce import age_at, apply_codes, split_signed, to_date, to_number, to_text


def _list(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def test_integer_ids_become_text_without_a_decimal_point():
    values, bad = to_text(pd.Series([1001, 1002]))
    assert values.tolist() == ["1001", "1002"] and not bad.any()


def test_float_ids_from_excel_or_parquet_lose_their_dot_zero_and_keep_non_whole_values():
    values, _ = to_text(pd.Series([1001.0, np.nan, 12.5]))
    assert _list(values) == ["1001", None, "12.5"]


def test_text_ids_keep_leading_zeros_and_lose_surrounding_spaces():
    values, _ = to_text(pd.Series([" 00123 ", "", "  "]))
    assert _list(values) == ["00123", None, None]


def test_decimal_comma_and_thousands_separator_are_read():
    values, bad = to_number(pd.Series(["1.234.567,89", "0,5", "-3,00"]), decimal=",", thousands=".")
    assert values.tolist() == [1234567.89, 0.5, -3.0] and not bad.any()


def test_a_trailing_minus_is_a_negative_amount():
    assert to_number(pd.Series(["1234.50-"]))[0].tolist() == [-1234.5]


def test_text_that_is_no_number_is_flagged_and_an_empty_cell_is_not():
    values, bad = to_number(pd.Series(["12", "abc", ""]))
    assert bad.tolist() == [False, True, False]
    assert np.isnan(values[1]) and np.isnan(values[2])


def test_infinity_is_unreadable_not_a_balance():
    _, bad = to_number(pd.Series([1.0, np.inf, -np.inf]))
    assert bad.tolist() == [False, True, True]


def test_compact_eight_digit_dates_read_as_days_not_nanoseconds():
    values, bad = to_date(pd.Series([20250131, 20250101]), "%Y%m%d")
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2025-01-31", "2025-01-01"] and not bad.any()
    assert values.dtype == "datetime64[ms]"


def test_six_digit_dates_read_as_numbers_get_back_their_leading_zero():
    values, _ = to_date(pd.Series([50131, 991231]), "%y%m%d")  # 050131 lost its zero in a CSV number column
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2005-01-31", "1999-12-31"]


def test_impossible_days_and_placeholder_years_are_flagged():
    _, bad = to_date(pd.Series(["20250229", "00000000", "99991231", "20240229"]), "%Y%m%d")
    assert bad.tolist() == [True, True, True, False]


def test_text_timestamps_keep_their_time_of_day():
    values, _ = to_date(pd.Series(["20250131093005"]), "%Y%m%d%H%M%S")
    assert values[0] == pd.Timestamp("2025-01-31 09:30:05")


def test_excel_serial_numbers_are_days_since_1899_12_30():
    values, _ = to_date(pd.Series([45658, 45658.5]), "excel")
    assert values.tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-01 12:00")]


def test_auto_reads_iso_text_datetime_cells_and_compact_numbers():
    assert to_date(pd.Series(["2025-03-31", "2025-03-31 10:00:00"]))[0].dt.day.tolist() == [31, 31]
    assert to_date(pd.Series(pd.to_datetime(["2025-03-31"])))[0][0] == pd.Timestamp("2025-03-31")
    assert to_date(pd.Series(["20250331"]))[0][0] == pd.Timestamp("2025-03-31")


def test_timezone_aware_timestamps_become_naive():
    s = pd.Series(pd.to_datetime(["2025-03-31 10:00"]).tz_localize("UTC"))
    assert to_date(s)[0].dt.tz is None


def test_epoch_seconds():
    assert to_date(pd.Series([1735689600]), "epoch_s")[0][0] == pd.Timestamp("2025-01-01")


def test_code_maps_recode_and_flag_what_they_do_not_list():
    values, unmapped = apply_codes(pd.Series(["男", "女", "?", None]), {"男": "M", "女": "F"})
    assert _list(values) == ["M", "F", "?", None]
    assert unmapped.tolist() == [False, False, True, False]


def test_a_star_in_a_code_map_catches_every_other_value():
    values, unmapped = apply_codes(pd.Series(["行长", "柜员"]), {"行长": "president", "*": "other"})
    assert values.tolist() == ["president", "other"] and not unmapped.any()


def test_code_maps_match_integer_codes_written_as_numbers():
    values, _ = apply_codes(pd.Series([1, 2]), {"1": "M", "2": "F"})
    assert values.tolist() == ["M", "F"]


def test_a_signed_amount_splits_into_amount_and_direction():
    amount, direction = split_signed(pd.Series([120.0, -30.0]))
    assert amount.tolist() == [120.0, 30.0] and direction.tolist() == ["in", "out"]


def test_age_at_the_period_start_counts_birthdays_and_moves_two_digit_years_back_a_century():
    birth = pd.Series(pd.to_datetime(["1960-06-30", "1960-07-01", "2055-01-01"]))
    age, moved = age_at(birth, "2025-06-30")
    assert age.tolist() == [65, 64, 70]
    assert moved.tolist() == [False, False, True]
