"""Both objects of one radiograph at once: its report, and its presentation state when asked."""
from .presentation_state import write_presentation_state
from .report_writer import write_report


def write_results(source, areas, folder, gsps=True, algorithm=None, include_rejected=False, stem=None, observer=None):
    """Write STEM.sr.dcm (and STEM.pr.dcm with gsps) into folder; returns the paths written.
    observer: the reviewer's name (DICOM person name, 'Family^Given'), recorded as the report's person observer."""
    written = [write_report(source, areas, folder, algorithm, include_rejected, stem=stem, observer_name=observer)]
    if gsps:
        written.append(write_presentation_state(source, areas, folder, include_rejected, stem=stem))
    return written
