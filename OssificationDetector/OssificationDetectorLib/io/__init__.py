"""Layer 1: read any radiograph (DICOM CR/DX, PNG, JPEG, TIFF, BMP, MHA, NRRD, NIfTI) into one Radiograph.

A new file format goes here (a reader in raster_readers.py or a module of its own, called from images.py)."""
