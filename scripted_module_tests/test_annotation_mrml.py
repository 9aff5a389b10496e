"""Annotation ROIs on a real vtkMRMLScene (slicer-core): the same scene cases that the module's self-test
runs inside 3D Slicer on slicer.mrmlScene."""
import pytest

from OssificationDetectorTesting import annotation_cases

from mrml_fixtures import headless_host


@pytest.fixture
def host(tmp_path):
    return headless_host(tmp_path)


@pytest.mark.parametrize("case", annotation_cases.ANNOTATION_CASES, ids=lambda c: c.__name__)
def test_annotation_case(case, host):
    case(host)
