"""Compressed DICOM radiographs: each syntax the installed libraries decode gives the same pixels
as the uncompressed file; one they cannot decode gives an error that says what to install."""
import numpy as np
import pytest
from pydicom import uid

from dicom_factory import gdcm_jpeg_lossless, make_dataset, pillow_encoded, save_dicom, write_encapsulated
from OssificationDetectorLib.io.images import RadiographError, read_radiograph

RAMP12 = (np.arange(24 * 32).reshape(24, 32) * 5).astype(np.uint16)
# A monochrome-1 DX with rescale and a window: every step of the pipeline must survive decoding.
PIPELINE = dict(kind="DX", photometric="MONOCHROME1", RescaleSlope="2", RescaleIntercept="-100",
                WindowCenter=3000.0, WindowWidth=6000.0)


def uncompressed(tmp_path, pixels, **attributes):
    path = tmp_path / "plain.dcm"
    save_dicom(make_dataset(pixels, **attributes), path)
    return read_radiograph(path).pixels


def test_rle_lossless(tmp_path):
    ds = make_dataset(RAMP12, bits_stored=12, **PIPELINE)
    ds.compress(uid.RLELossless)
    save_dicom(ds, tmp_path / "rle.dcm")
    radiograph = read_radiograph(tmp_path / "rle.dcm")
    assert radiograph.metadata["transfer_syntax"] == "RLE Lossless"
    np.testing.assert_array_equal(radiograph.pixels,
                                  uncompressed(tmp_path, RAMP12, bits_stored=12, **PIPELINE))


def test_jpeg_baseline_through_pillow(tmp_path):
    pixels = (RAMP12 // 16).astype(np.uint8)
    path = write_encapsulated(tmp_path / "jpeg.dcm", make_dataset(pixels),
                              pillow_encoded(pixels, "JPEG", quality=95), uid.JPEGBaseline8Bit)
    radiograph = read_radiograph(path)
    assert radiograph.metadata["transfer_syntax"].startswith("JPEG Baseline")
    assert np.abs(radiograph.pixels - pixels).max() <= 4  # lossy, but close


def test_jpeg_2000_lossless_16_bit_through_pillow(tmp_path):
    pixels = (RAMP12 * 16 + 7).astype(np.uint16)  # uses all 16 bits
    frame = pillow_encoded(pixels, "JPEG2000", irreversible=False, no_jp2=True)
    path = write_encapsulated(tmp_path / "j2k.dcm", make_dataset(pixels, **PIPELINE), frame,
                              uid.JPEG2000Lossless)
    np.testing.assert_array_equal(read_radiograph(path).pixels,
                                  uncompressed(tmp_path, pixels, **PIPELINE))


@pytest.mark.parametrize("syntax", [uid.JPEGLosslessSV1, uid.JPEGLossless])
def test_jpeg_lossless_decoded_by_simpleitk_gdcm(tmp_path, syntax):
    """pydicom alone has no JPEG Lossless decoder here; GDCM must give the stored values, and
    rescale, window and MONOCHROME1 must be applied once, as for the uncompressed file."""
    frame, gdcm_syntax = gdcm_jpeg_lossless(RAMP12, tmp_path)
    assert gdcm_syntax == uid.JPEGLosslessSV1
    # Selection value 1 is one of process 14's predictors: the same stream is valid for both UIDs.
    path = write_encapsulated(tmp_path / "jpegll.dcm", make_dataset(RAMP12, **PIPELINE), frame, syntax)
    radiograph = read_radiograph(path)
    np.testing.assert_array_equal(radiograph.pixels, uncompressed(tmp_path, RAMP12, **PIPELINE))
    assert radiograph.metadata["inverted"] is True


HTJ2K_LOSSLESS = uid.UID("1.2.840.10008.1.2.4.201")  # pydicom 2.x has no name for it


def test_unsupported_compression_says_what_to_install(tmp_path):
    try:
        from pydicom.pixels import get_decoder
    except ImportError:  # pydicom 2.x (Slicer 5.10): its handlers decode no HTJ2K at all
        pass
    else:
        if get_decoder(HTJ2K_LOSSLESS).is_available:
            pytest.skip("an HTJ2K decoder is installed, so HTJ2K is not an unsupported compression here")
    path = write_encapsulated(tmp_path / "htj2k.dcm", make_dataset(RAMP12), b"\xff\x4f\xff\x51" * 16,
                              HTJ2K_LOSSLESS)
    with pytest.raises(RadiographError, match=r"htj2k.dcm.*High-Throughput JPEG 2000.*pip install "
                                              r"pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg"):
        read_radiograph(path)


def test_corrupt_compressed_data(tmp_path):
    ds = make_dataset(RAMP12)
    ds.compress(uid.RLELossless)
    frame = ds.PixelData[len(ds.PixelData) // 2:]  # half a stream, without its RLE header
    path = write_encapsulated(tmp_path / "broken-rle.dcm", make_dataset(RAMP12), frame, uid.RLELossless)
    with pytest.raises(RadiographError, match="broken-rle.dcm.*corrupt or truncated"):
        read_radiograph(path)
