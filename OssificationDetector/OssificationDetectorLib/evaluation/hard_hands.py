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
    """{"upright", "turned", "mirrored"[, "young"]: median seconds per radiograph}."""
    import numpy as np

    from ..detection.detect import as_pixels

    upright = [as_pixels(r) for r in radiographs]
    views = {"upright": upright, "turned": [np.ascontiguousarray(np.rot90(p)) for p in upright],
             "mirrored": [np.ascontiguousarray(np.fliplr(p)) for p in upright]}
    if young:
        views["young"] = [as_pixels(r) for r in young]
    return {name: _median_time(detector, images, repeats, synchronize) for name, images in views.items()}
