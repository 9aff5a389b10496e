"""The codes of a report: standard ones where DICOM's context groups list them, private ones otherwise.

Standard (SNOMED CT, 'SCT', and DICOM, 'DCM', all in pydicom's table of DICOM Part 16 codes):
  finding            Ossification                      SCT 83323007  (CID 6132)
  finding sites      Distal radius / Distal ulna       SCT 75129005 / 91238003 (CID 7304)
                     Wrist region                      SCT 8205005
                     Thumb (digit I)                   SCT 76505004 (CID 4)
  laterality         Left / Right                      SCT 7771000 / 24028007 (CID 244)
  score              Certainty of Finding, no units    DCM 111012 (CID 6048), UCUM "1"
  box size (mm)      Width / Height                    SCT 103355008 / DCM 121207 (CID 7470)

Private scheme 99OSSDET (version 1), for what DICOM's context groups do not list: the three finger
joints the detector names (distal and proximal interphalangeal, metacarpophalangeal), the index to
little fingers, the review state and its four values. SNOMED CT has concepts for the fingers and
joints, but they are not in DICOM's context groups; codes that cannot be checked against DICOM's own
tables are not written. Every report names the private scheme in its Coding Scheme Identification
Sequence.
"""
from pydicom.sr.codedict import codes

from ..core.taxonomy import DIGIT_CLASSES, check_label
from .review_states import REVIEW_ACCEPTED, REVIEW_DETECTED, REVIEW_EDITED, REVIEW_REJECTED, REVIEW_STATES  # noqa: F401

PRIVATE_SCHEME = "99OSSDET"
PRIVATE_SCHEME_VERSION = "1"
PRIVATE_SCHEME_NAME = "OssificationDetector ossification areas and review states"
PRIVATE_SCHEME_RESPONSIBLE = "OssificationDetector"

_REVIEW_MEANINGS = {
    REVIEW_DETECTED: "Detected, not reviewed",
    REVIEW_ACCEPTED: "Accepted by reviewer",
    REVIEW_EDITED: "Edited by reviewer",
    REVIEW_REJECTED: "Rejected by reviewer",
}

# The area's own finding site: (scheme, code, meaning) per class.
_JOINTS = {
    "DIP": (PRIVATE_SCHEME, "DIP", "Distal interphalangeal joint of finger"),
    "PIP": (PRIVATE_SCHEME, "PIP", "Proximal interphalangeal joint of finger"),
    "MCP": (PRIVATE_SCHEME, "MCP", "Metacarpophalangeal joint"),
}
# The thumb has no DIP: its interphalangeal joint is the detector's PIP I.
_THUMB_IP = (PRIVATE_SCHEME, "IP1", "Interphalangeal joint of thumb")
_SITES = {
    "Radius": ("SCT", "75129005", "Distal Radius"),
    "Ulna": ("SCT", "91238003", "Distal Ulna"),
    "Wrist": ("SCT", "8205005", "Wrist region"),
}
_DIGITS = {
    1: ("SCT", "76505004", "Thumb"),
    2: (PRIVATE_SCHEME, "DIGIT2", "Index finger"),
    3: (PRIVATE_SCHEME, "DIGIT3", "Middle finger"),
    4: (PRIVATE_SCHEME, "DIGIT4", "Ring finger"),
    5: (PRIVATE_SCHEME, "DIGIT5", "Little finger"),
}


class ReportCodingError(ValueError):
    """A report whose codes do not name an ossification area; the message says which."""


def code(scheme, value, meaning):
    from highdicom.sr import CodedConcept

    return CodedConcept(value=value, scheme_designator=scheme, meaning=meaning)


def private(value, meaning):
    return code(PRIVATE_SCHEME, value, meaning)


def finding_type():
    return codes.SCT.Ossification


def score_concept():
    return codes.DCM.CertaintyOfFinding


def review_concept():
    return private("REVIEW", "Review state")


def review_value(state):
    if state not in REVIEW_STATES:
        raise ValueError(f"Unknown review state {state!r}: expected one of {', '.join(REVIEW_STATES)}.")
    return private(state.upper(), _REVIEW_MEANINGS[state])


def review_state_of(coded):
    """The review state of a coded value written by review_value."""
    for state in REVIEW_STATES:
        if coded.scheme_designator == PRIVATE_SCHEME and coded.value == state.upper():
            return state
    raise ReportCodingError(f"Unknown review state {coded.value} ({coded.scheme_designator}: {coded.meaning}).")


def laterality(side):
    """SCT Left/Right for 'L'/'R' (the source's Image Laterality), else None."""
    return {"L": codes.SCT.Left, "R": codes.SCT.Right}.get(str(side or "").strip().upper())


def area_site_codes(label, digit=None):
    """[the joint or bone, the digit] as (scheme, code, meaning) tuples (the digit only for finger joints)."""
    label = check_label(label)
    if label not in DIGIT_CLASSES:
        return [_SITES[label]]
    joint = _THUMB_IP if (label == "PIP" and digit == 1) else _JOINTS[label]
    return [joint] if digit is None else [joint, _DIGITS[int(digit)]]


def area_of_site_codes(sites):
    """(label, digit) back from the (scheme, code) pairs of an area's finding sites."""
    sites = [(str(s), str(c)) for s, c in sites]
    label = digit = None
    for name, (scheme, value, _) in list(_JOINTS.items()) + list(_SITES.items()) + [("PIP", _THUMB_IP)]:
        if (scheme, value) in sites:
            label = name
            if (scheme, value) == _THUMB_IP[:2]:
                digit = 1
    for number, (scheme, value, _) in _DIGITS.items():
        if (scheme, value) in sites:
            digit = number
    if label is None:
        raise ReportCodingError(f"No ossification area among the finding sites {sites}.")
    return label, (digit if label in DIGIT_CLASSES else None)


def coding_scheme_identification():
    """The Coding Scheme Identification Sequence item that documents the private scheme."""
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodingSchemeDesignator = PRIVATE_SCHEME
    item.CodingSchemeName = PRIVATE_SCHEME_NAME
    item.CodingSchemeVersion = PRIVATE_SCHEME_VERSION
    item.CodingSchemeResponsibleOrganization = PRIVATE_SCHEME_RESPONSIBLE
    return item
