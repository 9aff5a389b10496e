"""The sample hand radiograph in Slicer's Sample Data module: one click from data for a new user.

The file is the repository's Testing/Data/radiographs/6470.png (RSNA Pediatric Bone Age
Challenge, research use), downloaded from the repository and checked against its SHA256.
"""
import os

HOMEPAGE = "https://github.com/ossification-detector/SlicerOssificationDetector"
REPOSITORY_PATH = "Testing/Data/radiographs/6470.png"
URL = HOMEPAGE.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/" + REPOSITORY_PATH
SHA256 = "8c62c26046e7c2774dc1f08b6ab72d02af1300b3d5b868f494e40782dde58ef7"
CATEGORY = "Ossification Detector"
SAMPLE_NAME = "HandRadiograph6470"
FILE_NAME = SAMPLE_NAME + ".png"
THUMBNAIL = os.path.join(os.path.dirname(os.path.dirname(__file__)), "Resources", "Icons", SAMPLE_NAME + ".png")


def sampleDataSource():
    """The arguments of SampleDataLogic.registerCustomSampleDataSource (loadFileTypes: loadFileType is
    deprecated in Slicer 5.10 and 5.12)."""
    return dict(
        category=CATEGORY,
        sampleName=SAMPLE_NAME,
        uris=URL,
        fileNames=FILE_NAME,
        nodeNames=SAMPLE_NAME,
        thumbnailFileName=THUMBNAIL,
        loadFileTypes="VolumeFile",
        loadFileProperties={"singleFile": True},  # not a series with other numbered files in the cache
        checksums="SHA256:" + SHA256,
    )


def registerSampleData():
    """Add the sample radiograph to the Sample Data module (called once Slicer has started)."""
    import SampleData

    SampleData.SampleDataLogic.registerCustomSampleDataSource(**sampleDataSource())


def sampleRadiographPath():
    """The sample file on disk: the source tree's copy when there is one, else downloaded (cached)."""
    sourceCopy = os.path.join(os.path.dirname(__file__), "..", "..", *REPOSITORY_PATH.split("/"))
    if os.path.isfile(sourceCopy):
        return os.path.abspath(sourceCopy)
    import SampleData

    return SampleData.SampleDataLogic().downloadFileIntoCache(URL, FILE_NAME, "SHA256:" + SHA256)
