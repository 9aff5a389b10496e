"""The subcommands about datasets and models rather than radiographs: convert, import and models."""
import json

from .common import say


def cmd_convert(args):
    from ..annotations.datasets import convert_dataset

    dataset = convert_dataset(args.source, args.destination, args.format, image_root=args.image_root)
    say(args, f"{len(dataset.images)} images written as {args.format} to {args.destination}")
    return 0


def cmd_import(args):
    from ..importers.folders import import_dataset, write_training_folder

    dataset = import_dataset(args.source, args.kind, args.image_root)
    written, skipped = write_training_folder(dataset, args.output, link=not args.copy)
    say(args, f"{args.output}: {len(written)} images written as Pascal VOC, {len(skipped)} left out")
    for file, reason in skipped:
        say(args, f"  left out {file}: {reason}")
    return 0


def cmd_models(args):
    from ..model.registry import list_models

    models = list_models()
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print("No models registered.")
    for entry in models:
        where = entry.get("path") or entry.get("file")
        print(f"{entry['name']:<24} {entry.get('architecture', '?'):<24} {entry.get('source', '')}: {where}")
        if entry.get("description"):
            print(f"    {entry['description']}")
    return 0
