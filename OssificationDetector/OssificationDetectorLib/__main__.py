"""`python -m OssificationDetectorLib ...`: the same as the `ossification-detector` command."""
import sys

from .cli.main import main

sys.exit(main())
