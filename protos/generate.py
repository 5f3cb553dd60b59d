"""Regenerate the v1 contract's Python code: `python protos/generate.py [--check | OUT_DIR]`.

With --check nothing is written: the code is generated into a temporary folder and
compared with the committed files; the exit status is 1 when any is stale.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
PROTO_DIR = PROTO_ROOT / "parkvpp" / "v1"


def generate(out_dir: Path = PROTO_ROOT) -> list[Path]:
    """Write `_pb2.py`, `_pb2_grpc.py` and `.pyi` files for every .proto under out_dir.

    Raises RuntimeError naming protoc's exit code when a .proto does not compile.
    """
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(PROTO_DIR.glob("*.proto"))
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p) for p in protos],
    ]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")
    return sorted((out_dir / "parkvpp" / "v1").glob("*_pb2*.py*"))


def stale_files() -> list[str]:
    """Names of committed generated files that differ from freshly generated ones."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        names = {p.name for p in fresh}
        stale = [
            p.name
            for p in fresh
            if not (PROTO_DIR / p.name).exists()
            or (PROTO_DIR / p.name).read_bytes() != p.read_bytes()
        ]
    extra = [p.name for p in PROTO_DIR.glob("*_pb2*.py*") if p.name not in names]
    return sorted(stale + extra)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        stale = stale_files()
        if stale:
            print("stale generated code, run `python protos/generate.py`: " + ", ".join(stale))
            return 1
        print("generated code is up to date with protos/parkvpp/v1/*.proto")
        return 0
    target = Path(argv[0]) if argv else PROTO_ROOT
    for path in generate(target):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
