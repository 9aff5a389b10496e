"""Install a trained model file as a bundled model: copy it into Resources/Models, record it in
models.json with its sha256 and write its model card.

Usage: python scripts/publish_model.py MODEL.pt --name default [--half] [--url URL] [--models-dir DIR] [--notes TEXT]

--half stores the weights as float16 (half the size; they load back into float32: measure the held-out
accuracy of the half file before publishing it). --url records where the file is published as a release
file: the file is then not committed (.gitignore keeps new model files out), the extension's build
downloads it and checks its sha256, and a source checkout gets it with `ossification-detector models --fetch`.
"""
import argparse
import shutil
from pathlib import Path

from OssificationDetectorLib.core.atomic import atomic_write_text
from OssificationDetectorLib.model.checkpoints import file_sha256, half_precision, read_model_file, save_state
from OssificationDetectorLib.model.model_card import model_card_markdown
from OssificationDetectorLib.model.registry import bundled_models_dir, register_bundled_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--name", default="default")
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--card", default="MODEL_CARD.md")
    parser.add_argument("--notes", default="")
    parser.add_argument("--half", action="store_true", help="store the weights as float16")
    parser.add_argument("--url", help="where the file is published as a release file")
    args = parser.parse_args()
    folder = Path(args.models_dir) if args.models_dir else bundled_models_dir()
    source = Path(args.model)
    state, metadata = read_model_file(source)
    target = folder / source.name
    folder.mkdir(parents=True, exist_ok=True)
    if args.half:
        metadata["weights_precision"] = "float16"
        target = folder / f"{source.stem}-fp16{source.suffix}"
        save_state(target, half_precision(state), metadata)
    elif source.resolve() != target.resolve():
        temporary = target.with_name(target.name + ".copying")
        shutil.copyfile(source, temporary)
        temporary.replace(target)
    sha256 = file_sha256(target)
    atomic_write_text(folder / args.card, model_card_markdown(metadata, target.name, sha256, args.notes))
    register_bundled_model(folder, args.name, target.name, sha256, metadata.get("architecture"),
                           metadata.get("description", ""), args.card, url=args.url)
    print(f"{target} ({target.stat().st_size / 1e6:.1f} MB, sha256 {sha256}) registered as {args.name!r}")


if __name__ == "__main__":
    main()
