import os
import subprocess
import sys

import toolkit as tk
from toolkit.__main__ import main


def test_generate_then_ledger(tmp_path, home, capsys):
    out = tmp_path / "out.png"
    assert main(["--home", str(home), "generate", "a red bicycle", "-o", str(out), "--aspect-ratio", "16:9"]) == 0
    assert tk.read_metadata(out)["prompt"] == "a red bicycle"
    assert "saved" in capsys.readouterr().out
    assert main(["--home", str(home), "ledger", "--rows", "5"]) == 0
    text = capsys.readouterr().out
    assert "1 calls" in text and "a red bicycle" in text


def test_edit_with_input_image_and_errors(tmp_path, home, capsys):
    src = tmp_path / "cat.png"
    tk.sample("cat").save(src)
    assert main(["--home", str(home), "generate", "make it sepia", "--image", str(src), "-o",
                 str(tmp_path / "e.jpg")]) == 0
    assert main(["--home", str(home), "generate", "x", "-o", str(tmp_path / "x.png"), "--aspect-ratio", "7:3"]) == 2
    assert "aspect_ratio" in capsys.readouterr().err
    assert main(["--home", str(home), "generate", "x [sim:no_image]", "-o", str(tmp_path / "n.png")]) == 1


def test_module_entry_point_runs(home):
    proc = subprocess.run([sys.executable, "-m", "toolkit", "models"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "gemini-3.1-flash-image" in proc.stdout


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "models"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "TOOLKIT_HOME": str(tmp_path)})
    proc.stdout.read(80)
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in err and "BrokenPipe" not in err


def test_generate_with_a_bundled_sample(tmp_path, capsys):
    out = tmp_path / "sepia.png"
    assert main(["--backend", "offline", "--home", str(tmp_path / "h"), "generate", "make it sepia", "--sample",
                 "cat", "-o", str(out), "--image-size", "512"]) == 0
    assert out.exists() and "saved" in capsys.readouterr().out
