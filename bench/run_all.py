"""Run every benchmark in bench/ one after another and print their figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run by hand: minutes long, and it flushes the Redis database it is given.
BY_HAND = {"soak.py"}


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in {Path(__file__).name, *BY_HAND} or script.name.startswith("_"):
            continue
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
