"""`make check-setup`: each check reports instead of crashing, and any FAIL makes the exit status 1."""

from tools import check_setup


def test_pins_are_read_from_the_requirements_files():
    pins = check_setup.pinned_packages()
    assert "torch" in pins and "transformers" in pins
    assert all(version and version[0].isdigit() for version in pins.values())


def test_a_check_that_raises_is_reported_as_a_failure_with_the_error():
    def broken():
        raise ImportError("no module named faiss")

    outcome = check_setup.run_check(broken)
    assert outcome.status == check_setup.FAIL and "ImportError" in outcome.found and outcome.fix


def test_any_failed_check_makes_the_exit_status_one(monkeypatch, capsys):
    monkeypatch.setattr(check_setup, "CHECKS", {"fine": lambda: check_setup.Outcome(check_setup.OK, "yes"),
                                                "broken": lambda: check_setup.Outcome(check_setup.FAIL, "no", "do this")})
    assert check_setup.main() == 1
    out = capsys.readouterr().out
    assert "NOT READY: fix broken" in out and "-> do this" in out


def test_warnings_alone_leave_the_machine_ready(monkeypatch, capsys):
    monkeypatch.setattr(check_setup, "CHECKS", {"slow": lambda: check_setup.Outcome(check_setup.WARN, "cache empty", "run make setup")})
    assert check_setup.main() == 0
    assert "ready, with warnings" in capsys.readouterr().out


def test_the_python_and_training_checks_pass_on_the_test_machine():
    assert check_setup.check_python().status == check_setup.OK
    assert check_setup.check_training_step().status == check_setup.OK
