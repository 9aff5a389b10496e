"""The review states a report records (coding.py gives them their codes). Apart from coding.py so
that the command's parser names them without importing pydicom (half a second at every start)."""
REVIEW_DETECTED = "detected"
REVIEW_ACCEPTED = "accepted"
REVIEW_EDITED = "edited"
REVIEW_REJECTED = "rejected"
REVIEW_STATES = (REVIEW_DETECTED, REVIEW_ACCEPTED, REVIEW_EDITED, REVIEW_REJECTED)
