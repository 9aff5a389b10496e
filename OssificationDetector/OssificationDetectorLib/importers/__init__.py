"""Layer 3: other kinds of annotation (hand keypoints, bone boxes) turned into the six classes' boxes.

A new importer goes here, with a kind in folders.py."""
