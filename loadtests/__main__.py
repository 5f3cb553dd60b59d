"""`python -m loadtests`: the load generator (`run`, the default) or every benchmark (`bench`).

python -m loadtests --stack up --rate 200 --duration 30
python -m loadtests run --rate 1000 --processes 2 --data-dir .parkvpp   # a running parkvpp up
python -m loadtests bench --quick
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from loadtests.bench_all import main as bench

        return bench(argv[1:])
    if argv[:1] == ["run"]:
        argv = argv[1:]
    from loadtests import run

    parser = argparse.ArgumentParser(
        prog="python -m loadtests [run]",
        description=run.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_arguments(parser)
    return run.main(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
