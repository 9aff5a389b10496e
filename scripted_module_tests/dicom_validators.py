"""The outside checks every DICOM object the tests write must pass: dciodvfy (dicom3tools) with no
errors; for reports dsrdump (DCMTK) and highdicom's SR reader; for presentation states DCMTK's checker
dcmpschk (highdicom writes presentation states but has no reader for them). scripts/install_dicom_tools.sh
installs the tools; tests skip with the reason where they are absent."""
import shutil
import subprocess

import pydicom
import pytest

DCIODVFY, DSRDUMP, DCMPSCHK = shutil.which("dciodvfy"), shutil.which("dsrdump"), shutil.which("dcmpschk")
needs_dicom_tools = pytest.mark.skipif(
    not (DCIODVFY and DSRDUMP and DCMPSCHK),
    reason="dciodvfy (Debian package dicom3tools) and dsrdump (dcmtk) are not installed: run "
           "scripts/install_dicom_tools.sh as root")


DCMP2PGM = shutil.which("dcmp2pgm")
needs_dcmp2pgm = pytest.mark.skipif(not DCMP2PGM, reason="dcmp2pgm (Debian package dcmtk) is not installed")


def rendered_through(image, presentation_state, pgm):
    """The image as DCMTK's dcmp2pgm displays it through the presentation state (8-bit array)."""
    import numpy as np
    from PIL import Image

    subprocess.run([DCMP2PGM, "-p", str(presentation_state), str(image), str(pgm)], check=True, timeout=60)
    return np.asarray(Image.open(pgm))


def dciodvfy_errors(path):
    """The lines dciodvfy marks as errors (warnings, e.g. about the private coding scheme, are allowed)."""
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")]


def dsrdump_text(path):
    result = subprocess.run([DSRDUMP, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"dsrdump could not read {path}: {result.stderr}"
    return result.stdout


def check_report(path):
    """dciodvfy clean, dsrdump reads it, highdicom reads it; returns dsrdump's text."""
    import highdicom as hd

    assert dciodvfy_errors(path) == [], f"dciodvfy found errors in {path}"
    text = dsrdump_text(path)
    assert "Imaging Measurement Report" in text
    assert isinstance(hd.sr.srread(str(path)).content, hd.sr.MeasurementReport)
    return text


def check_presentation_state(path):
    """dciodvfy clean and passed by dcmpschk; returns the dataset (read by pydicom)."""
    assert dciodvfy_errors(path) == [], f"dciodvfy found errors in {path}"
    result = subprocess.run([DCMPSCHK, str(path)], capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Test passed" in output, f"dcmpschk rejects {path}: {output}"
    gsps = pydicom.dcmread(str(path))
    assert gsps.Modality == "PR"
    return gsps
