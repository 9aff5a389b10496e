"""The MRML bridge on a real vtkMRMLScene (slicer-core): the same scene cases that the module's
self-test runs inside 3D Slicer on slicer.mrmlScene."""
import pytest

from OssificationDetectorTesting import review_cases, scene_cases

from mrml_fixtures import headless_host


@pytest.fixture
def host(tmp_path, sample_pngs):
    return headless_host(tmp_path, sample_radiograph=sample_pngs[1])


@pytest.mark.parametrize("case", scene_cases.GEOMETRY_CASES + review_cases.REVIEW_CASES, ids=lambda c: c.__name__)
def test_scene_case(case, host):
    case(host)
