"""The README stays true: every ```python block runs on its own, and prints what the README shows.

Each block runs alone in a fresh interpreter, in an empty folder (so it can
use no name from an earlier block and no file of the checkout). When a
```text block follows it (nothing but blank lines between), that block must be
exactly what it printed, compared line by line after normalising whitespace —
numbers therefore to every digit shown. Files a block writes must go under
out/. The install instructions must name the extras the Makefile installs.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@dataclass
class Block:
    lang: str
    text: str
    line: int                 # 1-based line of the opening fence
    heading: str              # the nearest heading above it
    shown: str | None = None  # the ```text block right after a python block


def read_blocks(markdown: str) -> list[Block]:
    """Every fenced block, each python block paired with a ```text block that directly follows it."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    heading, i, last_end = "top", 0, -1
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        fence = re.match(r"^(`{3,})\s*([\w+-]*)", line)
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == fence[1])
            block = Block(fence[2].lower(), "\n".join(lines[i + 1:end]) + "\n", i + 1, heading)
            between = lines[last_end + 1:i]
            previous = blocks[-1] if blocks else None
            if (block.lang == "text" and previous is not None and previous.lang == "python"
                    and previous.shown is None and all(not s.strip() for s in between)):
                previous.shown = block.text
            blocks.append(block)
            i, last_end = end, end
        i += 1
    return blocks


def python_blocks() -> list[Block]:
    return [b for b in read_blocks(README.read_text(encoding="utf-8")) if b.lang == "python"]


def block_id(block: Block) -> str:
    return f"L{block.line}-" + re.sub(r"[^a-z0-9]+", "-", block.heading.lower()).strip("-")[:40]


def normalised(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


BLOCKS = python_blocks()


def test_the_readme_has_python_blocks_with_shown_output():
    assert len(BLOCKS) >= 5
    assert sum(b.shown is not None for b in BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=block_id)
def test_readme_block_runs_alone_and_prints_what_is_shown(block, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(block.text, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    run = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env=env)
    where = f"README.md line {block.line} ({block.heading})"
    assert run.returncode == 0, f"{where} fails when run on its own:\n{run.stderr[-3000:]}"
    if block.shown is not None:
        assert normalised(run.stdout) == normalised(block.shown), f"{where}: the ```text block after it is stale"
    stray = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("snippet.py", "out"))
    assert stray == [], f"{where} wrote {stray} outside out/"


def test_block_reader_pairs_output_only_when_it_directly_follows():
    blocks = read_blocks("# A\n```python\nprint(1)\n```\n\n```text\n1\n```\n## B\n```python\nx = 1\n```\n"
                         "some prose\n```text\nnot output\n```\n")
    assert [(b.lang, b.heading, b.shown) for b in blocks] == [
        ("python", "A", "1\n"), ("text", "A", None), ("python", "B", None), ("text", "B", None)]


def test_install_section_matches_the_makefile():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (extras,) = set(re.findall(r"pip install[^\n]*-e '\.\[([^\]]*)\]'", makefile))
    readme = README.read_text(encoding="utf-8")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert f"-e '.[{extras}]'" in install, f"README's Install section should say pip install -e '.[{extras}]'"
    said = re.findall(r"make test +# creates \.venv, installs mlpgrad\[([^\]]*)\]", readme)
    assert said == [extras], f"README's `make test` line should say it installs mlpgrad[{extras}]"
