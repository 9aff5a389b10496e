"""Detection speed and memory, beside torchvision's fasterrcnn_resnet50_fpn (see OssificationDetectorLib.evaluation.benchmark).

Usage: python scripts/benchmark.py [IMAGE_OR_FOLDER...] [--model NAME_OR_PATH] [--rsna-median 5] ...
(the same as `ossification-detector benchmark`).
"""
import argparse
import sys

from OssificationDetectorLib.evaluation.benchmark_command import add_arguments, run_command

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    sys.exit(run_command(parser.parse_args()))
