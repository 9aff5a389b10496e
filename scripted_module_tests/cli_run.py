"""Running the `ossification-detector` command in a real subprocess, as a user would."""
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def error_lines(self):
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def run_cli(*arguments, timeout=300, cwd=None, env=None):
    """The command's exit status, stdout and stderr (OSSIFICATION_DETECTOR_HOME as the test set it)."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    result = subprocess.run([sys.executable, "-m", "OssificationDetectorLib", *map(str, arguments)],
                            capture_output=True, text=True, timeout=timeout, cwd=cwd, env=environment)
    return Ran(result.returncode, result.stdout, result.stderr)


def assert_one_line_error(ran, *fragments, code=2):
    """Refused with the status, one 'error:' line holding each fragment, and no traceback."""
    assert ran.code == code, (ran.code, ran.err)
    assert "Traceback" not in ran.err, ran.err
    assert len(ran.error_lines) == 1, ran.err
    for fragment in fragments:
        assert fragment in ran.error_lines[0], ran.err
