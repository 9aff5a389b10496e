"""What Slicer's module list shows about OssificationDetector: title, category, contributors, help.

The category goes through translate() with Slicer's own context, as Slicer's modules do, so that a
translated Slicer puts the module into its translated Quantification category, not a second one.
No person or organisation is named in the repository (LICENSE, the catalog entry, CMakeLists), so the
contributors are its maintainers, with the project page.
"""
from slicer.i18n import tr as _
from slicer.i18n import translate

HOMEPAGE = "https://github.com/ossification-detector/SlicerOssificationDetector"
CONTRIBUTORS = [f"OssificationDetector maintainers ({HOMEPAGE})"]
CITATION = (
    "Koitka S, Demircioglu A, Kim MS, Friedrich CM, Nensa F. Ossification area localization in pediatric hand "
    "radiographs using deep neural networks for object detection. PLoS One. 2018;13(11):e0207496. "
    "doi:10.1371/journal.pone.0207496"
)


def describeModule(parent):
    """Fill in the module's description on its parent (a qSlicerScriptedLoadableModule in Slicer)."""
    parent.title = _("Ossification Detector")
    parent.categories = [translate("qSlicerAbstractCoreModule", "Quantification")]
    parent.dependencies = ["Markups", "SampleData"]
    parent.contributors = list(CONTRIBUTORS)
    parent.helpText = _(
        "Finds the 17 ossification areas of a pediatric left-hand radiograph (DIP, PIP, MCP joints, radius, "
        "ulna, wrist) with a Faster R-CNN detector and shows them as Markups ROIs to review: accept or reject "
        "each, or move and resize it (it is then recorded as edited, its detected box kept), and export the "
        "accepted boxes as Pascal VOC and COCO. Load a radiograph (PNG, JPEG, DICOM ...) or the sample "
        "'HandRadiograph6470' from Sample Data, then press Detect. "
        "When a folder holds numbered images (1.png, 2.png ...), tick 'Single File' in the Add Data options, "
        "or Slicer reads them all as the slices of one volume."
        "<br><br>Method: "
    ) + CITATION + (
        f'<br>See <a href="{HOMEPAGE}">the project page</a> for documentation.'
    )
    parent.acknowledgementText = _(
        "The area taxonomy and the idea of finetuning a pretrained detector follow Koitka et al. (PLoS One "
        "2018). Sample radiograph: RSNA Pediatric Bone Age Challenge 2017. PyTorch is provided through the "
        "PyTorch extension (SlicerPyTorch)."
    )
