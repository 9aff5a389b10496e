"""How fast the command answers when no detector is needed: help, `models`, `convert`, and refusals of bad
arguments, outputs and unreadable inputs. Each case runs as a fresh process (median of --repeats runs);
the table says whether torch was imported.

    .venv/bin/python scripts/measure_startup.py [--repeats 5]
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "Testing" / "Data" / "radiographs" / "4221.png"
VOC = ROOT / "Testing" / "Data" / "ossification-voc"

PROBE = ("import sys\nfrom OssificationDetectorLib.cli.main import main\n"
         "try:\n    status = main(sys.argv[1:])\nexcept SystemExit as exit:\n    status = exit.code\n"
         "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)\nsys.exit(status)\n")


def cases(work):
    (work / "empty.png").write_bytes(b"")
    (work / "a-file").write_text("x")
    return [
        ("--help", ["--help"]),
        ("models", ["models"]),
        ("convert VOC -> COCO (3 images)", ["convert", VOC, work / "coco", "--format", "coco", "--quiet"]),
        ("detect: missing input", ["detect", work / "none.png", "--output", work / "d.json"]),
        ("detect: unreadable input (0 bytes)", ["detect", work / "empty.png", "--output", work / "d.json"]),
        ("detect: --threshold 1.5", ["detect", SAMPLE, "--output", work / "d.json", "--threshold", "1.5"]),
        ("detect: output under a file", ["detect", SAMPLE, "--output", work / "a-file" / "d.json"]),
        ("detect: unknown model name", ["detect", SAMPLE, "--output", work / "d.json", "--model", "nonesuch"]),
        ("train: --lr nan", ["train", VOC, "--output", work / "m.pt", "--epochs", "1", "--lr", "nan"]),
        ("train: --resume without state", ["train", VOC, "--output", work / "m.pt", "--epochs", "1", "--resume"]),
        ("train: --register default", ["train", VOC, "--output", work / "m.pt", "--epochs", "1",
                                       "--register", "default"]),
        ("benchmark: --repeats 0", ["benchmark", "--repeats", "0"]),
    ]


def run_once(arguments, work):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, arguments)], capture_output=True, text=True,
                            cwd=work)
    seconds = time.perf_counter() - start
    return seconds, result.returncode, result.stderr.strip().splitlines()[-1] == "TORCH"


def main():
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=5)
    repeats = options.parse_args().repeats
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        print(f"{'case':<36} {'exit':>4} {'median s':>9} {'max s':>7}  torch imported")
        for name, arguments in cases(work):
            runs = [run_once(arguments, work) for _ in range(repeats)]
            times = [r[0] for r in runs]
            print(f"{name:<36} {runs[0][1]:>4} {statistics.median(times):>9.3f} {max(times):>7.3f}  "
                  f"{'yes' if any(r[2] for r in runs) else 'no'}")
    print(f"(each a fresh `python -c` process running the command's main(); median of {repeats} runs)")


if __name__ == "__main__":
    main()
