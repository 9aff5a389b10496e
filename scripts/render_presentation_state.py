"""Render a radiograph through a Grayscale Softcopy Presentation State: DCMTK's dcmp2pgm applies the
presentation state's VOI window and presentation LUT to the pixels; dcmp2pgm draws no graphic
annotations, so the GSPS's own Graphic Annotation Sequence (polylines and texts, in its layers'
colours) is drawn onto that rendering here.

  .venv/bin/python scripts/render_presentation_state.py IMAGE.dcm PRESENTATION_STATE.dcm OUT.png [--scale 2]
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont


def render_pixels(image, presentation_state):
    """The image as dcmp2pgm renders it through the presentation state (8-bit grayscale)."""
    if not shutil.which("dcmp2pgm"):
        sys.exit("dcmp2pgm (Debian package dcmtk) is not installed: run scripts/install_dicom_tools.sh")
    with tempfile.TemporaryDirectory() as folder:
        pgm = Path(folder) / "render.pgm"
        subprocess.run(["dcmp2pgm", "-p", str(presentation_state), str(image), str(pgm)], check=True)
        return Image.open(pgm).convert("RGB")


def layer_colours(gsps):
    from highdicom.color import CIELabColor

    colours = {}
    for layer in gsps.GraphicLayerSequence:
        value = layer.get("GraphicLayerRecommendedDisplayCIELabValue")
        rgb = CIELabColor.from_dicom_value(value).to_rgb() if value else (255, 255, 0)
        colours[layer.GraphicLayer] = tuple(int(c) for c in rgb)
    return colours


def draw_annotations(picture, gsps, scale):
    colours = layer_colours(gsps)
    draw = ImageDraw.Draw(picture)
    for annotation in gsps.GraphicAnnotationSequence:
        colour = colours.get(annotation.GraphicLayer, (255, 255, 0))
        for graphic in annotation.get("GraphicObjectSequence", []):
            points = (np.asarray(graphic.GraphicData, dtype=float).reshape(-1, 2) * scale).tolist()
            draw.line([tuple(p) for p in points], fill=colour, width=max(1, round(scale)))
        for text in annotation.get("TextObjectSequence", []):
            left, top = (float(v) * scale for v in text.BoundingBoxTopLeftHandCorner)
            bottom = float(text.BoundingBoxBottomRightHandCorner[1]) * scale
            font = ImageFont.load_default(size=max(8, int(bottom - top)))
            draw.text((left, top), text.UnformattedTextValue, fill=colour, font=font)
    return picture


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("presentation_state")
    parser.add_argument("output")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    picture = render_pixels(args.image, args.presentation_state)
    if args.scale != 1.0:
        picture = picture.resize((round(picture.width * args.scale), round(picture.height * args.scale)), Image.LANCZOS)
    draw_annotations(picture, pydicom.dcmread(args.presentation_state), args.scale).save(args.output)
    print(args.output)


if __name__ == "__main__":
    main()
