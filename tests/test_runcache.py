"""crmstudy.runcache: a bank-wide result is computed once per run, whichever process asks first."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date

import pytest

from crmstudy import runcache
from crmstudy.period import Period

# A function under bankwide() that records each time it really runs (one line per call in a file).
_CHILD = textwrap.dedent(
    """
    import sys, time
    from crmstudy.runcache import bankwide

    @bankwide()
    def slow(n, log):
        with open(log, "a") as f:
            f.write("computed\\n")
        time.sleep(0.5)  # long enough for the other process to ask while this one computes
        return {"n": n, "squares": [i * i for i in range(n)]}

    out = slow(int(sys.argv[1]), sys.argv[2])
    print(out["squares"][-1])
    """
)


def _run_two(tmp_path, n: int, env: dict) -> list[str]:
    log = tmp_path / "calls.log"
    procs = [
        subprocess.Popen([sys.executable, "-c", _CHILD, str(n), str(log)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs == [str((n - 1) ** 2)] * 2
    return log.read_text().splitlines()


def test_two_processes_of_one_run_compute_once(tmp_path):
    import os

    folder = runcache.run_folder(tmp_path / "work")
    env = {**os.environ, runcache.ENV: str(folder)}
    assert _run_two(tmp_path, 1000, env) == ["computed"]
    assert len(list(folder.glob("*.pkl"))) == 1
    assert not list(folder.glob(".*.tmp"))


def test_without_a_run_each_process_computes(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != runcache.ENV}
    assert _run_two(tmp_path, 1000, env) == ["computed", "computed"]


def test_other_arguments_other_results(tmp_path, monkeypatch):
    monkeypatch.setenv(runcache.ENV, str(runcache.run_folder(tmp_path)))
    calls = []

    @runcache.bankwide()
    def f(x, period):
        calls.append(x)
        return (x, period.days)

    p = Period(date(2025, 1, 1), date(2025, 1, 31))
    assert f(1, p) == (1, 31) and f(2, p) == (2, 31) and f(1, p) == (1, 31)
    assert calls == [1, 2]
    f.cache_clear()  # a new process: read from the run's folder, not computed again
    assert f(1, p) == (1, 31) and calls == [1, 2]
    assert len(list((tmp_path / "bankwide").glob("*.pkl"))) == 2


def test_unpicklable_result_and_unkeyable_argument_stay_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv(runcache.ENV, str(runcache.run_folder(tmp_path)))

    @runcache.bankwide()
    def lam(x):
        return lambda: x  # a lambda cannot be pickled

    @runcache.bankwide()
    def ident(obj):
        return id(obj)

    assert lam(3)() == 3
    thing = object()
    assert ident(thing) == id(thing)
    assert not list((tmp_path / "bankwide").glob("*.pkl"))
    assert not list((tmp_path / "bankwide").glob(".*"))


def test_key_names_the_bank_by_its_bytes(tiny_bank):
    from crmstudy.bank import Bank

    a, b = Bank.open(tiny_bank), Bank.open(tiny_bank)
    key = runcache.key_of(len, (a,), {})
    assert key is not None and key == runcache.key_of(len, (b,), {})
    assert key != runcache.key_of(len, (str(tiny_bank),), {})


@pytest.mark.parametrize("value", [1, 1.5, "x", None, True, date(2025, 1, 1), (1, ("a", 2.0))])
def test_plain_values_have_keys(value):
    assert runcache.key_of(len, (value,), {}) is not None
