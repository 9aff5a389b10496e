"""Layer 5: running a model on radiographs (Detector), matching boxes to the average hand, the
orientation search, detections.json and overlays."""
