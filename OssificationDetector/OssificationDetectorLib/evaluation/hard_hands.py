"""What a hard hand costs: the benchmark's radiographs turned a quarter turn (np.rot90) and mirrored
(np.fliplr), and radiographs of young children as they are, against the same radiographs upright."""
import statistics
import time


def _median_time(detector, images, repeats, synchronize):
    times = []
    for image in images:
        each = []
        for _ in range(repeats):
            synchronize()
            start = time.perf_counter()
            detector.detect_with_report(image)
            synchronize()
            each.append(time.perf_counter() - start)
        times.append(statistics.median(each))
    return statistics.median(times)


def hard_hand_times(detector, radiographs, young=(), repeats=1, synchronize=lambda: None):
    """{"upright", "turned", "mirrored"[, "young"]: median seconds per radiograph}. Each view is made just
    before it is timed (outside the clock) and dropped after: the peak memory is the detector's, not that
    of all the views at once."""
    import numpy as np

    from ..detection.detect import as_pixels

    views = {"upright": lambda p: p, "turned": lambda p: np.ascontiguousarray(np.rot90(p)),
             "mirrored": lambda p: np.ascontiguousarray(np.fliplr(p))}
    times = {name: _median_time(detector, (view(as_pixels(r)) for r in radiographs), repeats, synchronize)
             for name, view in views.items()}
    if young:
        times["young"] = _median_time(detector, (as_pixels(r) for r in young), repeats, synchronize)
    return times
