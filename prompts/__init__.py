"""Versioned prompt templates stored as files: `prompts/<id>/v<N>.md`.

A file is front matter (`id`, `version`, `description`, `variables`) between `---` lines, then a
`=== system ===` part and a `=== user ===` part with `{variable}` fields. An optional
`=== retry ===` part, with only a `{problems}` field, is what the pipeline appends to the user
message when an output failed its checks (the prompt before it stays the same, so llama.cpp
reuses its cache). Released files are never edited: a change adds `v<N+1>.md`. Every variable
must be declared and every declared variable used; anything else is a PromptError when the file
is loaded.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
_FILE = re.compile(r"^v(\d+)\.md$")
_PARTS = re.compile(r"^=== (system|user|retry) ===\s*$", re.M)


class PromptError(ValueError):
    """A prompt file is malformed, or a render is missing a variable."""


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class PromptTemplate:
    id: str
    version: int
    description: str
    variables: tuple[str, ...]
    system: str
    user: str
    sha256: str
    retry: str = ""

    @property
    def text(self) -> str:
        """The template's own words (system, user and retry parts, fields unfilled)."""
        return "\n".join(p for p in (self.system, self.user, self.retry) if p)

    @property
    def ref(self) -> str:
        """What a draft records: id@version#hash."""
        return f"{self.id}@v{self.version}#{self.sha256[:8]}"

    def render(self, **values: object) -> list[Message]:
        missing = set(self.variables) - set(values)
        extra = set(values) - set(self.variables)
        if missing or extra:
            raise PromptError(f"{self.ref}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        text = {k: str(v) for k, v in values.items()}
        return [
            Message("system", self.system.format_map(text).strip()),
            Message("user", self.user.format_map(text).strip()),
        ]

    def retry_messages(self, messages: list[Message], problems: list[str]) -> list[Message]:
        """`messages` with the retry part appended to the last one (unchanged without a part)."""
        if not self.retry or not messages:
            return messages
        note = self.retry.format_map({"problems": "; ".join(problems)})
        last = messages[-1]
        return [*messages[:-1], Message(last.role, f"{last.content}\n\n{note}")]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse_prompt(text: str, source: str = "<string>") -> PromptTemplate:
    if not text.startswith("---\n"):
        raise PromptError(f"{source}: must start with '---' front matter")
    front, _, body = text[4:].partition("\n---\n")
    meta: dict[str, str] = {}
    for line in front.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise PromptError(f"{source}: front matter line {line!r} is not 'key: value'")
        meta[key.strip()] = value.strip()
    for key in ("id", "version", "description", "variables"):
        if key not in meta:
            raise PromptError(f"{source}: front matter lacks {key!r}")
    pieces = _PARTS.split(body)
    parts = dict(zip(pieces[1::2], pieces[2::2], strict=True))
    if set(parts) - {"retry"} != {"system", "user"} or len(parts) * 2 != len(pieces) - 1:
        raise PromptError(f"{source}: needs one '=== system ===' and one '=== user ===' part")
    declared = tuple(v.strip() for v in meta["variables"].split(",") if v.strip())
    try:
        used = _fields(parts["system"]) | _fields(parts["user"])
    except ValueError as exc:
        raise PromptError(f"{source}: bad template braces ({exc})") from None
    if used != set(declared):
        raise PromptError(
            f"{source}: variables used {sorted(used)} but declared {sorted(declared)}"
        )
    retry = parts.get("retry", "").strip()
    try:
        retry_fields = _fields(retry)
    except ValueError as exc:
        raise PromptError(f"{source}: bad braces in the retry part ({exc})") from None
    if retry and retry_fields != {"problems"}:
        raise PromptError(f"{source}: the retry part takes exactly one field, {{problems}}")
    return PromptTemplate(
        id=meta["id"],
        version=int(meta["version"]),
        description=meta["description"],
        variables=declared,
        system=parts["system"].strip(),
        user=parts["user"].strip(),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        retry=retry,
    )


def prompt_files(directory: Path = PROMPTS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*/v*.md") if _FILE.match(p.name))


@cache
def load_prompt(prompt_id: str, version: int | None = None) -> PromptTemplate:
    """A prompt by id, the newest version unless one is named."""
    folder = PROMPTS_DIR / prompt_id
    versions = sorted(int(m.group(1)) for p in folder.glob("v*.md") if (m := _FILE.match(p.name)))
    if not versions:
        raise PromptError(f"no prompt {prompt_id!r} in {PROMPTS_DIR}")
    chosen = version if version is not None else versions[-1]
    path = folder / f"v{chosen}.md"
    if not path.exists():
        raise PromptError(f"prompt {prompt_id!r} has no version {chosen} (has {versions})")
    template = parse_prompt(path.read_text(encoding="utf-8"), str(path))
    if (template.id, template.version) != (prompt_id, chosen):
        raise PromptError(f"{path}: front matter says {template.id}@v{template.version}")
    return template
