"""Benchmark entry point: `python scripts/bench.py [--quick] ...` (see scripts/benchlib)."""

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib.main import main

if __name__ == "__main__":
    sys.exit(main())
