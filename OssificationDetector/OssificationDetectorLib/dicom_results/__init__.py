"""Layer 6: results as DICOM objects in the patient's study.

The reviewed areas of a DICOM radiograph as a Structured Report (PS3.16 TID 1500 Measurement Report,
report_writer.py) and a Grayscale Softcopy Presentation State (presentation_state.py), both written
with highdicom; both at once (results.py); a report read back into boxes (report_reader.py); the codes they use
(coding.py) and the review states (review_states.py, no pydicom); the DICOM image they refer to (source_image.py).
highdicom is imported inside the functions that write or read, so importing this package needs only
pydicom (highdicom_support.py says which highdicom fits the installed pydicom)."""
