"""Read radiographs ahead of the detector: decoding the next files overlaps the network's work.

Decoders (PIL, pydicom's codecs, SimpleITK, numpy) release the GIL for most of their work, so one
or two threads keep the cores busy while torch runs the current radiograph.
"""
from concurrent.futures import ThreadPoolExecutor

from .images import RadiographError, read_radiograph

# Radiographs read ahead of the one being detected: enough to hide a slow file, few enough that
# memory stays that of a handful of images.
READ_AHEAD = 4


def read_ahead(files, read=read_radiograph, workers=1, ahead=READ_AHEAD, first=None):
    """Yield (index, Radiograph or the RadiographError/OSError that reading it raised), in order.

    first: a Radiograph of files[0] already read (not read again). Reading stops when the
    consumer stops (Ctrl-C, break): files not yet started are never read.
    """
    files = list(files)
    if not files:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="read-ahead")

    def submit(index):
        if index == 0 and first is not None:
            return None
        return pool.submit(read, files[index])

    try:
        pending = {i: submit(i) for i in range(min(len(files), 1 + ahead))}
        for index in range(len(files)):
            future = pending.pop(index)
            following = index + 1 + ahead
            if following < len(files):
                pending[following] = submit(following)
            if future is None:
                yield index, first
                continue
            try:
                radiograph = future.result()
            except (RadiographError, OSError) as error:
                radiograph = error
            yield index, radiograph
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
