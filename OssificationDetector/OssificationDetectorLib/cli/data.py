"""The subcommands about datasets and models rather than radiographs: convert, import and models."""
import json
from pathlib import Path

from .common import UserError, say
from .preflight import check_output_folder


def _check_source(path, what):
    if not Path(path).exists():
        raise UserError(f"{path} does not exist: give the {what}.")


def cmd_convert(args):
    _check_source(args.source, "dataset to convert (a VOC/COCO/YOLO folder or file)")
    check_output_folder(args.destination, "the converted dataset")
    from ..annotations.datasets import convert_dataset

    dataset = convert_dataset(args.source, args.destination, args.format, image_root=args.image_root,
                              existing="overwrite" if args.overwrite else "error")
    say(args, f"{len(dataset.images)} images written as {args.format} to {args.destination}")
    return 0


def cmd_import(args):
    _check_source(args.source, f"{args.kind} annotation file or folder")
    check_output_folder(args.output, "the imported training folder")
    from ..importers.folders import import_dataset, write_training_folder

    dataset = import_dataset(args.source, args.kind, args.image_root)
    written, skipped = write_training_folder(dataset, args.output, link=not args.copy, overwrite=args.overwrite)
    say(args, f"{args.output}: {len(written)} images written as Pascal VOC, {len(skipped)} left out")
    for file, reason in skipped:
        say(args, f"  left out {file}: {reason}")
    return 0


def cmd_models(args):
    from ..model.registry import list_models, register_user_model, unregister_user_model

    if args.fetch:
        from ..model.published import fetch_model

        path = fetch_model(args.fetch)
        print(f"{args.fetch!r} is at {path} (sha256 checked)")
        return 0
    if args.remove:
        entry = unregister_user_model(args.remove)
        print(f"Removed the user model {args.remove!r} from the registry (its file {entry.get('file')} is kept).")
        return 0
    if args.add:
        name, file = args.add
        if not Path(file).is_file():
            raise UserError(f"{file} does not exist: give the model file to register.")
        entry = register_user_model(name, file, overwrite=args.overwrite)
        print(f"Registered {entry['file']} as {name!r}: use --model {name}")
        return 0
    models = list_models()
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print("No models registered.")
    for entry in models:
        where = entry.get("path") or entry.get("file")
        if entry.get("url") and not Path(entry["path"]).is_file():
            where = f"not downloaded yet (models --fetch {entry['name']})"
        print(f"{entry['name']:<24} {entry.get('architecture', '?'):<24} {entry.get('source', '')}: {where}")
        if entry.get("description"):
            print(f"    {entry['description']}")
    return 0
