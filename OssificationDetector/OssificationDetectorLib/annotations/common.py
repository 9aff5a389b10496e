"""What the annotation readers and writers share: errors that name the file, checked numbers and boxes."""
import math

from ..core.boxes import Box, BoxError
from ..core.taxonomy import DIGIT_NAMES, UnknownClassError, check_label


class DatasetError(ValueError):
    """A folder or file that is not a usable dataset; the message says what to do."""


class AnnotationFormatError(ValueError):
    """An annotation file that cannot be read: the message names the file and what is wrong."""


def finite_number(value, where):
    """`value` as a float, or an error naming `where` when it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnnotationFormatError(f"{where}: {value!r} is not a number.") from None
    if not math.isfinite(number):
        raise AnnotationFormatError(f"{where}: {value!r} is not a finite number.")
    return number


def checked_label(label, where):
    """The canonical class name, or an UnknownClassError that says which file and object."""
    try:
        return check_label(label)
    except UnknownClassError as error:
        raise UnknownClassError(
            f"{where}: {error} Rename the object to one of the six classes or remove it."
        ) from None


def make_box(label, x1, y1, x2, y2, where, score=None, digit=None):
    """A Box from file values, with every failure reported against `where` (file and object)."""
    label = checked_label(label, where)
    x1, y1, x2, y2 = (finite_number(v, where) for v in (x1, y1, x2, y2))
    if score is not None:
        score = finite_number(score, f"{where} score")
    if digit is not None:
        digit = finite_number(digit, f"{where} digit")
        if digit not in DIGIT_NAMES:
            raise AnnotationFormatError(f"{where}: digit {digit!r} must be 1 (thumb) to 5 (little finger).")
        digit = int(digit)
    try:
        return Box(label, x1, y1, x2, y2, score=score, digit=digit)
    except BoxError as error:
        raise AnnotationFormatError(f"{where}: {error}") from None


def image_dimension(value, where):
    """A positive whole number of pixels (files sometimes write 640.0)."""
    number = finite_number(value, where)
    if number <= 0 or number != int(number):
        raise AnnotationFormatError(f"{where}: image size {value!r} must be a positive whole number.")
    return int(number)
