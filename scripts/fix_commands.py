"""Rewrite the "command" of weights/*.json as anyone can rerun it, for metadata written before
save_checkpoint recorded portable commands (core.training.checkpoint.portable_command). Only that string
changes; the weights and every other field stay as they are, so nothing is retrained.

    python scripts/fix_commands.py                    # every weights/*.json
    python scripts/fix_commands.py weights/gan.json   # some files

The script's own path in the old command tells where the repository was on the machine that ran it
(`python /somewhere/genlab/scripts/train_gpt.py …`); a command that starts `python scripts/…` ran from the
repository's root.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path, PurePosixPath

import _common
from core.training.checkpoint import portable_command


def fixed(command: str) -> str:
    words = command.split()
    if not words or words[0] != "python":
        return command  # not a command line this script knows how to read
    script = PurePosixPath(words[1]) if len(words) > 1 else None
    root = Path(*script.parts[: script.parts.index("scripts")]) if script and "scripts" in script.parts[:-1] else _common.ROOT
    if not root.is_absolute():
        root = _common.ROOT
    return portable_command(words[1:], root=root, cwd=root)


def main() -> None:
    p = argparse.ArgumentParser(description="Make the weights' recorded commands rerunnable anywhere.")
    p.add_argument("files", nargs="*", type=Path, help="default: every weights/*.json")
    files = p.parse_args().files or sorted((_common.ROOT / "weights").glob("*.json"))
    for path in files:
        text = path.read_text()
        old = json.loads(text).get("command")
        if not isinstance(old, str) or (new := fixed(old)) == old:
            continue
        # Replace the one string in place, so the file's layout (and its diff) stays as it was.
        text = text.replace(json.dumps(old), json.dumps(new), 1)
        assert json.loads(text)["command"] == new, path
        path.write_text(text)
        print(f"{path.name}: {new}")


if __name__ == "__main__":
    main()
