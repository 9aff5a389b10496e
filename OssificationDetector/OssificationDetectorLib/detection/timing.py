"""Where the time of a Detect goes: imports, model load, detection (Qt-free, for the panel's log).

The first Detect in a fresh process pays for importing torch and torchvision and for loading the
model; later ones only for the detection. The panel wraps its steps in `stage(...)` and logs
`log_line()`:

    timer = DetectTimer()
    with timer.stage("imports"):
        import_detection_libraries()
    with timer.stage("load"):
        detector = Detector(...)
    with timer.stage("detection"):
        ...
    logging.info(timer.log_line())
"""
import contextlib
import time

STAGES = ("imports", "load", "detection")


class DetectTimer:
    """Wall-clock seconds per stage (imports, load, detection); a stage timed twice adds up."""

    def __init__(self, clock=time.perf_counter):
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._clock = clock

    @contextlib.contextmanager
    def stage(self, name):
        if name not in self.seconds:
            raise ValueError(f"unknown stage {name!r}: use one of {', '.join(STAGES)}")
        start = self._clock()
        try:
            yield
        finally:
            self.seconds[name] += self._clock() - start

    @property
    def total(self):
        return sum(self.seconds.values())

    def log_line(self):
        """One line for the log, e.g. 'Detect took 4.31 s: imports 2.90 s, model load 0.41 s, detection 1.00 s'."""
        parts = ", ".join(f"{'model load' if name == 'load' else name} {self.seconds[name]:.2f} s" for name in STAGES
                          if self.seconds[name] or name == "detection")
        return f"Detect took {self.total:.2f} s: {parts}"


def import_detection_libraries():
    """Import torch, torchvision and the detector (what the first Detect of a process pays for);
    returns the seconds it took now (about 0 once they are imported)."""
    start = time.perf_counter()
    import torch  # noqa: F401
    import torchvision.models.detection  # noqa: F401

    from . import detect  # noqa: F401
    return time.perf_counter() - start
