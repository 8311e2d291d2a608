"""Bad input to `crmstudy report` is refused at the start: one line naming what is wrong, exit 2, nothing written."""

from __future__ import annotations

import errno
import json
import subprocess

import pytest

from crmstudy import cli
from crmstudy.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT


@pytest.fixture
def report(monkeypatch, capsys):
    """Run `crmstudy report ...` in this process from a folder; its exit code and its output."""

    def run(bank, out, *extra, cwd):
        monkeypatch.chdir(cwd)
        argv = ["report", "--data", str(bank), "--out", str(out), "--no-progress", *extra]
        code = cli.main(argv)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, captured.out, captured.err)

    return run


def _params(folder, text, overrides=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defaults.yaml").write_text(text, encoding="utf-8")
    for name, body in (overrides or {}).items():
        (folder / "branches").mkdir(exist_ok=True)
        (folder / "branches" / name).write_text(body, encoding="utf-8")
    return folder / "defaults.yaml"


CASES = {
    "run id with a path": (lambda t: ["--run-id", "../../escaped"], "--run-id '../../escaped'"),
    "absolute run id": (lambda t: ["--run-id", str(t / "abs")], "expected a folder name"),
    "negative retries": (lambda t: ["--retries", "-1"], "--retries -1"),
    "huge timeout": (lambda t: ["--timeout", "100000000000"], "--timeout 100000000000"),
    "no branch named": (lambda t: ["--branches", ""], "no branch named"),
    "unknown branch": (lambda t: ["--branches", "B999"], "unknown branch id(s) B999"),
    "n_boot true": (lambda t: ["--params", str(_params(t / "p", "bootstrap:\n  n_boot: true\n"))], "n_boot"),
    "infinite bar": (lambda t: ["--params", str(_params(t / "p", "tiers:\n  key: .inf\n"))], "finite number"),
    "duplicate key": (
        lambda t: ["--params", str(_params(t / "p", "upgrade:\n  top_n: 3\nupgrade:\n  top_n: 4\n"))],
        "given twice",
    ),
    "override of no branch": (
        lambda t: ["--params", str(_params(t / "p", "{}\n", {"B999.yaml": "{}\n"}))],
        "override file(s) for no branch of this bank: B999.yaml",
    ),
    "params is a folder": (lambda t: ["--params", str(t)], "cannot read the parameters file"),
    "params not utf-8": (
        lambda t: ["--params", str(_write(t / "latin.yaml", "tiers:\n  key: 5\xe9\n".encode("latin-1")))],
        "cannot read the parameters file",
    ),
    "notebook not json": (
        lambda t: ["--notebook", str(_write(t / "nb.ipynb", b"not json"))],
        "not a readable Jupyter notebook",
    ),
}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_one_line_exit_2_and_leaves_no_run_folder(case, tiny_bank, tmp_path, report):
    make, expected = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out"
    done = report(tiny_bank, out, *make(tmp_path), cwd=work)
    assert done.returncode == EXIT_BAD_INPUT, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crmstudy: error: ") and expected in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "runs").exists() or not any((out / "runs").iterdir()), "no run folder for refused input"
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "abs").exists()


def test_an_out_that_is_a_file_is_refused(tiny_bank, tmp_path, report):
    out = _write(tmp_path / "reports", b"a file")
    done = report(tiny_bank, out, cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT and "--out must be a folder" in done.stderr
    assert out.read_bytes() == b"a file"


def test_a_corrupt_latest_manifest_is_refused_not_read_as_empty(tiny_bank, tmp_path, report):
    latest = tmp_path / "out" / "latest"
    latest.mkdir(parents=True)
    (latest / "manifest.json").write_text('{"branches": {"B001": ', encoding="utf-8")
    done = report(tiny_bank, tmp_path / "out", "--branches", "B001", cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "corrupt manifest" in done.stderr and str(latest / "manifest.json") in done.stderr
    assert not (tmp_path / "out" / "runs").exists()
    with pytest.raises(json.JSONDecodeError):
        json.loads((latest / "manifest.json").read_text())  # left as it was, for whoever investigates


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_machine_fault_is_its_own_exit_code_with_the_path(monkeypatch, capsys, tmp_path, code):
    def refuse(args):
        raise OSError(code, "refused by the machine", str(tmp_path / "out"))

    monkeypatch.setattr(cli, "_dispatch", refuse)
    assert cli.main(["report", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"crmstudy: environment: {tmp_path / 'out'}: refused by the machine"]


def test_a_bank_file_refused_after_the_lock_leaves_no_empty_run_folder(tiny_bank, tmp_path, report):
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(tiny_bank, bank)
    (bank / "balances.parquet").write_bytes(b"PAR1 not really parquet")
    done = report(bank, tmp_path / "out", "--branches", "B001", cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT and "balances" in done.stderr, done.stderr
    runs = tmp_path / "out" / "runs"
    assert not runs.exists() or not any(runs.iterdir()), sorted(runs.rglob("*"))


def test_an_out_on_a_read_only_file_system_is_exit_4_naming_it(tiny_bank, tmp_path, small_disk, report):
    disk = small_disk("1m")
    done = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make the tmpfs read-only here: {done.stderr.decode(errors='replace').strip()}")
    done = report(tiny_bank, disk / "out", "--branches", "B001", cwd=tmp_path)
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"crmstudy: environment: {disk / 'out'}"), lines
    assert "Read-only file system" in lines[0]


def test_check_without_playwright_names_the_extra_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "playwright.sync_api", None)  # as if not installed
    assert cli.main(["check", str(tmp_path)]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'crmstudy[test]'" in err[0], err


NEAR_MISSES = {
    "lower-case branch id": (lambda t, bank: (bank, ["--branches", "b001"]), "did you mean B001?"),
    "one digit too many": (lambda t, bank: (bank, ["--branches", "B0002"]), "did you mean B002?"),
    "mistyped data folder": (lambda t, bank: (bank.parent / (bank.name + "x"), []), "did you mean "),
    "the folder above the bank": (lambda t, bank: (bank.parent, []), "did you mean "),
}


@pytest.mark.parametrize("case", NEAR_MISSES, ids=list(NEAR_MISSES))
def test_a_near_miss_names_what_was_meant_in_one_line(case, tiny_bank, tmp_path, report):
    import shutil

    bank = tmp_path / "banks" / "tiny"
    shutil.copytree(tiny_bank, bank)
    (tmp_path / "banks" / "other").mkdir()  # a folder beside that holds no bank is never suggested
    data, extra = NEAR_MISSES[case][0](tmp_path, bank)
    done = report(data, tmp_path / "out", *extra, cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and NEAR_MISSES[case][1] in lines[0], lines
    if "--branches" not in extra:  # the folder suggested is the bank, and no offer to make one there
        assert lines[0].rstrip("?").endswith(str(bank)) and "synth" not in lines[0], lines[0]
    assert not (tmp_path / "out" / "runs").exists()


def test_a_data_folder_with_nothing_near_it_still_offers_the_demo_bank(tmp_path, report):
    done = report(tmp_path / "nowhere" / "at-all", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT
    assert "did you mean" not in done.stderr and "crmstudy synth --preset demo" in done.stderr
