"""Reading the expanded snippets (DLKIT_EXPANDED_SNIPPETS) and making choice variants.

scripts/snippets/expand-all.mjs expands every snippet with its defaults and the FIRST option of
each choice. To prove the other options too, a variant rotates one choice of the raw body so that
the wanted option comes first, and the same expander (src/snippets/expand.ts, through node)
expands it.
"""
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_VAR = "DLKIT_EXPANDED_SNIPPETS"
REPO = Path(__file__).resolve().parents[3]
EXPAND_VARIANTS = Path(__file__).resolve().parent / "expand_variants.mjs"


def load_expanded(style):
    """The expanded snippets of one style ("pytorch" for snippets/pytorch.json); fails clearly when
    the environment variable is missing or the file has none of that style."""
    path = os.environ.get(ENV_VAR)
    if not path:
        pytest.fail(
            f"{ENV_VAR} is not set. Expand the snippets first:\n"
            f"  node scripts/snippets/expand-all.mjs /tmp/expanded.json\n"
            f"  {ENV_VAR}=/tmp/expanded.json /usr/bin/python3 -m pytest test/python",
            pytrace=False,
        )
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        pytest.fail(f"{ENV_VAR}={path}: cannot read the expanded snippets: {error}", pytrace=False)
    chosen = [entry for entry in entries if entry.get("style") == style]
    if not chosen:
        pytest.fail(f"{ENV_VAR}={path} holds no snippet of style {style!r} (snippets/{style}.json)", pytrace=False)
    return chosen


def raw_body(entry):
    """The body of an expanded entry's snippet as written in snippets/<file> (one string), or None
    when the file no longer has it (the expanded file is stale: the metadata test says so)."""
    snippets = json.loads((REPO / "snippets" / entry["file"]).read_text(encoding="utf-8"))
    if entry["name"] not in snippets:
        return None
    body = snippets[entry["name"]]["body"]
    return "\n".join(body) if isinstance(body, list) else body


def _split_options(text):
    """Splits a choice's option list on unescaped commas, keeping the escapes."""
    options, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i:i + 2]
            i += 2
        elif text[i] == ",":
            options.append(current)
            current = ""
            i += 1
        else:
            current += text[i]
            i += 1
    options.append(current)
    return options


def _unescape(option):
    return option.replace("\\,", ",").replace("\\|", "|").replace("\\\\", "\\")


@dataclass(frozen=True)
class Variant:
    prefix: str
    stop: str  # the tab stop number of the choice
    option: str  # the chosen option, unescaped
    body: str  # the raw body with that option first

    @property
    def id(self):
        short = self.option if len(self.option) <= 24 else self.option[:24] + "..."
        return f"{self.prefix}[${self.stop}={short}]"


def choice_variants(entry):
    """One Variant for every option but the first of every choice in the entry's raw body."""
    body = raw_body(entry)
    if body is None:
        return []
    variants = []
    start = body.find("${")
    while start >= 0:
        head = body[start + 2:]
        digits = len(head) - len(head.lstrip("0123456789"))
        if digits and head[digits:digits + 1] == "|":
            open_end = start + 2 + digits + 1
            close = body.index("|}", open_end)
            options = _split_options(body[open_end:close])
            for k in range(1, len(options)):
                rotated = [options[k]] + options[:k] + options[k + 1:]
                new_body = body[:open_end] + ",".join(rotated) + body[close:]
                variants.append(Variant(entry["prefix"], head[:digits], _unescape(options[k]), new_body))
        start = body.find("${", start + 2)
    return variants


def expand_bodies(bodies):
    """Expands raw bodies with the project's expander (node + esbuild); skips when node is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: cannot expand choice variants")
    result = subprocess.run(
        [node, str(EXPAND_VARIANTS)], input=json.dumps(bodies), capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"expand_variants.mjs failed:\n{result.stderr}")
    return json.loads(result.stdout)
