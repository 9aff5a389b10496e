"""The ossification-area taxonomy of Koitka et al. (PLOS ONE 2018): six classes, 17 boxes."""

CLASSES = ("DIP", "PIP", "MCP", "Radius", "Ulna", "Wrist")

# How many boxes a normal left hand has of each class.
EXPECTED_COUNTS = {"DIP": 4, "PIP": 5, "MCP": 5, "Radius": 1, "Ulna": 1, "Wrist": 1}
EXPECTED_TOTAL = sum(EXPECTED_COUNTS.values())

# Distinct, colour-blind-friendly colours (Okabe-Ito), RGB in 0..1 as Slicer wants them.
CLASS_COLORS = {
    "DIP": (0.902, 0.624, 0.0),
    "PIP": (0.337, 0.706, 0.914),
    "MCP": (0.0, 0.620, 0.451),
    "Radius": (0.941, 0.894, 0.259),
    "Ulna": (0.800, 0.475, 0.655),
    "Wrist": (0.835, 0.369, 0.0),
}

# Digits 1..5 as in radiology: I thumb, II index, III middle, IV ring, V little.
DIGIT_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
DIGIT_CLASSES = ("DIP", "PIP", "MCP")
# The thumb has no DIP joint; its IP joint is counted as a PIP.
DIGITS_OF_CLASS = {"DIP": (2, 3, 4, 5), "PIP": (1, 2, 3, 4, 5), "MCP": (1, 2, 3, 4, 5)}


class UnknownClassError(ValueError):
    """A label that is not one of the six ossification-area classes."""


def check_label(label):
    """Return the canonical spelling of a class label, accepting any letter case."""
    for name in CLASSES:
        if name.lower() == str(label).strip().lower():
            return name
    raise UnknownClassError(
        f"Unknown ossification-area class {label!r}: expected one of {', '.join(CLASSES)}."
    )


def class_index(label):
    """1-based index of a class (0 is background in torchvision's detectors)."""
    return CLASSES.index(check_label(label)) + 1


def class_of_index(index):
    return CLASSES[int(index) - 1]


def area_name(label, digit=None):
    """Human name of one area, for example 'PIP III' or 'Radius'."""
    label = check_label(label)
    if digit is None or label not in DIGIT_CLASSES:
        return label
    return f"{label} {DIGIT_NAMES[int(digit)]}"


def expected_area_names():
    """The 17 names of a complete left hand, in reading order."""
    names = [area_name(c, d) for c in DIGIT_CLASSES for d in DIGITS_OF_CLASS[c]]
    return names + ["Radius", "Ulna", "Wrist"]
