"""The Slicer panel of OssificationDetector: Qt sections, sample data, PyTorch set-up, self-test.

Imports qt and slicer.util only inside what runs in Slicer, so that sample_data's constants can be
checked outside Slicer. Nothing here imports torch at load time.
"""
