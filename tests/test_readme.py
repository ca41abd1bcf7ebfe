"""The README's two set-up commands stay true: CI runs the README's test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(python3 -m venv .venv && [^\n]+)\n```", text)


def test_readme_shows_two_setup_commands():
    cmds = _commands()
    lab = next(c for c in cmds if "jupyter lab" in c)
    assert lab.endswith(" notebooks/") and "--allow-root" in lab  # works as root too (containers)
    assert any("pytest" in c for c in cmds)


def test_ci_runs_the_readme_test_command():
    test_cmd = next(c for c in _commands() if "pytest" in c)
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_extras_named_in_readme_exist():
    pyproject = (ROOT / "pyproject.toml").read_text()
    for extra in re.findall(r'-e "\.\[(\w+)\]"', " ".join(_commands())):
        assert f"\n{extra} = [" in pyproject
