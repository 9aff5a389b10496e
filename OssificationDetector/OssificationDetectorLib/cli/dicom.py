"""DICOM results from the command line: `detect --dicom-sr FOLDER [--gsps]` and `dicom-report`, which turns
a VOC/COCO review of a DICOM radiograph into a Structured Report (and a presentation state)."""
from pathlib import Path

from .common import UserError, say


def add_detect_arguments(p):
    p.add_argument("--dicom-sr", metavar="FOLDER", help="write a DICOM Structured Report (TID 1500) per DICOM "
                                                         "radiograph into FOLDER (other images are skipped, with a line saying so)")
    p.add_argument("--gsps", action="store_true", help="with --dicom-sr: also a Grayscale Softcopy Presentation "
                                                        "State that draws the boxes and labels on the radiograph")


class DicomResults:
    """What detect writes for each DICOM radiograph: its report, and its presentation state with --gsps."""

    def __init__(self, folder, gsps, algorithm):
        self.folder, self.gsps, self.algorithm = Path(folder), gsps, algorithm
        self.written = []
        self.stems = set()  # two inputs of one name (in different folders) get hand.sr.dcm and hand-2.sr.dcm

    def add(self, path, boxes, warn):
        """Write the results of one radiograph; an input that cannot have them gets one line, and detection goes on."""
        from ..dicom_results.areas import ReviewedArea
        from ..dicom_results.results import write_results
        from ..dicom_results.source_image import DicomResultsError, not_dicom_reason

        reason = not_dicom_reason(path)
        if reason:
            warn(reason)
            return
        if not boxes:
            warn(f"{path}: no areas found, so no DICOM report.")
            return
        stem, number = Path(path).stem, 1
        while stem in self.stems:
            number += 1
            stem = f"{Path(path).stem}-{number}"
        try:
            self.written += write_results(path, [ReviewedArea(box) for box in boxes], self.folder, self.gsps,
                                          algorithm=self.algorithm, stem=stem)
        except (DicomResultsError, ValueError) as error:  # highdicom's checks raise ValueError, with the reason
            warn(f"no DICOM report: {error}")
            return
        self.stems.add(stem)


def dicom_results_for(args):
    """A DicomResults for detect's --dicom-sr (None without it); --gsps alone is a mistake."""
    if not getattr(args, "dicom_sr", None):
        if getattr(args, "gsps", False):
            raise UserError("--gsps writes beside the reports: give --dicom-sr FOLDER too.")
        return None
    check_highdicom()
    from ..dicom_results.areas import algorithm_of_model

    return DicomResults(args.dicom_sr, args.gsps, algorithm_of_model(args.model, args.threshold))


def check_highdicom():
    from ..dicom_results.highdicom_support import HighdicomStatus

    status = HighdicomStatus()
    if not status.ready:
        raise UserError(status.message)


def review_of_image(review, image):
    """The AnnotatedImage of `image` in a VOC .xml / COCO .json / dataset folder (by file stem, or the only one)."""
    from ..annotations.datasets import load_dataset

    images = load_dataset(review, check_images=False).images
    matching = [a for a in images if Path(a.file).stem == Path(image).stem] or (images if len(images) == 1 else [])
    if len(matching) != 1:
        names = ", ".join(sorted(a.file for a in images)[:5])
        raise UserError(f"{review} holds {len(images)} images ({names}{', ...' if len(images) > 5 else ''}) and "
                        f"none is named like {Path(image).name}: rename the DICOM file or give the image's own review.")
    return matching[0]


def cmd_dicom_report(args):
    from ..dicom_results.areas import ReviewedArea, algorithm_of_model
    from ..dicom_results.results import write_results
    from ..dicom_results.source_image import DicomResultsError, read_source

    check_highdicom()
    source = read_source(args.image)  # refuses a non-DICOM image with its reason
    annotated = review_of_image(args.review, args.image)
    if (annotated.width, annotated.height) != (int(source.Columns), int(source.Rows)):
        raise UserError(f"{args.review}: the review is of a {annotated.width} x {annotated.height} image, "
                        f"{args.image} is {source.Columns} x {source.Rows}: give the review of this radiograph.")
    algorithm = algorithm_of_model(args.model) if args.model else None
    areas = [ReviewedArea(box, args.state) for box in annotated.boxes]
    try:
        written = write_results(args.image, areas, args.output, args.gsps, algorithm, observer=args.observer)
    except DicomResultsError:
        raise
    except ValueError as error:  # highdicom's checks of what it is given (a malformed observer name ...)
        raise UserError(f"{args.image}: the DICOM report cannot be written: {error}") from error
    say(args, f"{len(areas)} areas of {args.image} -> {', '.join(str(p) for p in written)}")
    return 0


def add_report_command(sub):
    from ..dicom_results.review_states import REVIEW_ACCEPTED, REVIEW_EDITED

    p = sub.add_parser("dicom-report", help="turn a VOC/COCO review of a DICOM radiograph into a DICOM SR "
                                            "(and a presentation state)")
    p.add_argument("review", metavar="REVIEW", help="the review: a VOC .xml, a COCO .json or a dataset folder")
    p.add_argument("image", metavar="IMAGE_DCM", help="the DICOM radiograph the review is of")
    p.add_argument("--output", required=True, help="folder for the report (and presentation state)")
    p.add_argument("--gsps", action="store_true", help="also write a Grayscale Softcopy Presentation State")
    p.add_argument("--state", default=REVIEW_ACCEPTED, choices=(REVIEW_ACCEPTED, REVIEW_EDITED),
                   help="review state of the boxes (default: accepted)")
    p.add_argument("--model", help="the model that made the detections before review (name or file), "
                                   "recorded as the report's algorithm")
    p.add_argument("--observer", metavar="FAMILY^GIVEN", help="the reviewer, recorded as the report's person observer")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_dicom_report)
