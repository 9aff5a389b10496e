"""How far one radiograph's annotation is: boxes found per class against the 17 of a left hand.

A box names its joint when it carries a digit (from the anatomy post-processing or the annotator);
then the checklist names the missing joints ("PIP III"). Without digits only counts are known,
and a missing box is named by its class alone.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import List

from ..core.taxonomy import CLASSES, DIGIT_CLASSES, DIGITS_OF_CLASS, EXPECTED_COUNTS, area_name


@dataclass
class ClassCheck:
    label: str
    found: int
    expected: int
    missing: List[str] = field(default_factory=list)  # names of the areas not annotated yet
    surplus: List[str] = field(default_factory=list)  # names of areas annotated more than once

    @property
    def complete(self):
        return self.found == self.expected and not self.missing and not self.surplus


@dataclass
class Checklist:
    classes: List[ClassCheck]

    @property
    def found(self):
        return sum(c.found for c in self.classes)

    @property
    def expected(self):
        return sum(c.expected for c in self.classes)

    @property
    def missing(self):
        return [name for c in self.classes for name in c.missing]

    @property
    def surplus(self):
        return [name for c in self.classes for name in c.surplus]

    @property
    def complete(self):
        return all(c.complete for c in self.classes)

    def of(self, label):
        return next(c for c in self.classes if c.label == label)

    def summary(self):
        """One line for a status bar, e.g. '15 of 17 areas; missing: PIP III, Ulna'."""
        text = f"{self.found} of {self.expected} areas"
        if self.missing:
            text += "; missing: " + ", ".join(self.missing)
        if self.surplus:
            text += "; more than expected: " + ", ".join(self.surplus)
        return text


def _check_class(label, boxes):
    expected = EXPECTED_COUNTS[label]
    found = len(boxes)
    digits = [b.digit for b in boxes if b.digit is not None]
    if label in DIGIT_CLASSES and digits and len(digits) == found:
        per_digit = Counter(int(d) for d in digits)
        missing = [area_name(label, d) for d in DIGITS_OF_CLASS[label] if d not in per_digit]
        surplus = [area_name(label, d) for d, n in sorted(per_digit.items()) if n > 1]
    else:
        # Digits unknown (or known for only some boxes): only the counts can be compared.
        missing = [label] * max(0, expected - found)
        surplus = [label] * max(0, found - expected)
    return ClassCheck(label, found, expected, missing, surplus)


def checklist(boxes):
    """Compare a radiograph's boxes with the areas expected on a left hand, class by class."""
    by_class = {label: [] for label in CLASSES}
    for box in boxes:
        by_class[box.label].append(box)
    return Checklist([_check_class(label, by_class[label]) for label in CLASSES])
