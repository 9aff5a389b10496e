"""`python -m OssificationDetectorLib ...`: the same as the `ossification-detector` command."""
import sys

from .cli import main

sys.exit(main())
