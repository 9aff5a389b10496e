"""Layer 2: boxes on disk: Pascal VOC, COCO, YOLO, datasets (folders of radiographs with boxes), the
annotation checklist and the panel's dataset store. A new annotation format goes here (and in datasets.py)."""
