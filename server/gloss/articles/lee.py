"""The Lee news-similarity set (Lee, Pincombe and Welsh 2005): 50 short news texts from the
Australian Broadcasting Corporation, every pair rated for similarity by people (83 students,
about 10 ratings a pair, on a scale of 1 to 5), the mean rating scaled to [0.2, 1].

It ships in gensim's wheel (`gensim/test/test_data/lee.cor`, one text a line, Latin-1, and
`similarities0-1.txt`, the upper triangle of the 50x50 matrix, tab-separated). `make eval`
fetches that one pinned wheel with pip (`pip download --no-deps`, the same file on every host),
checks its sha256, and reads the two files out of the zip: gensim is never installed or
imported, and nothing is fetched at run time. The wheel is kept in the cache folder
(`GLOSS_EVAL_CACHE`, by default `~/.cache/gloss-eval`), so the download happens once.

Queries 0-24 are the development queries (`make eval` reports them, and ranking weights are
fitted on them); 25-49 are held out: never tuned on.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GENSIM_VERSION = "4.3.3"
WHEEL = f"gensim-{GENSIM_VERSION}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "d662bf96e3d741b6ab61a54be842a7cbf5e45193008b2f4225c758cafd7f9cdc"
_TEXTS = "gensim/test/test_data/lee.cor"
_RATINGS = "gensim/test/test_data/similarities0-1.txt"
DEVELOPMENT = range(0, 25)
HELD_OUT = range(25, 50)
# The scaled rating of "1, not similar at all" (the scale's floor): it gains nothing.
FLOOR = 0.2


@dataclass(frozen=True)
class LeeSet:
    texts: list[str]
    ratings: np.ndarray  # 50x50, symmetric, 1 on the diagonal

    def gain(self, query: int, found: int) -> float:
        """The graded gain of `found` for `query`: the mean human rating scaled so that "not
        similar at all" gains 0 and "highly similar" 1."""
        return max(0.0, (float(self.ratings[query, found]) - FLOOR) / (1 - FLOOR))


def cache_dir() -> Path:
    return Path(os.environ.get("GLOSS_EVAL_CACHE", Path.home() / ".cache" / "gloss-eval"))


def fetch_wheel(folder: Path | None = None) -> Path:
    """The pinned gensim wheel, downloaded by pip into the cache if not there, hash-checked."""
    folder = folder or cache_dir()
    wheel = folder / WHEEL
    if not wheel.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "manylinux_2_17_x86_64",
                "--python-version",
                "3.11",
                "--implementation",
                "cp",
                "--abi",
                "cp311",
                f"gensim=={GENSIM_VERSION}",
                "--dest",
                str(folder),
            ],
            check=True,
        )
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise RuntimeError(f"{wheel} has sha256 {digest}, expected {WHEEL_SHA256}")
    return wheel


def load(wheel: Path | None = None) -> LeeSet:
    """The 50 texts and the symmetric rating matrix, read from the wheel."""
    with zipfile.ZipFile(wheel or fetch_wheel()) as archive:
        texts = archive.read(_TEXTS).decode("latin-1").strip("\n").split("\n")
        rows = archive.read(_RATINGS).decode("ascii").strip().split("\n")
    upper = np.array([[float(v) for v in row.split("\t")] for row in rows])
    ratings = np.triu(upper) + np.triu(upper, 1).T
    if len(texts) != 50 or ratings.shape != (50, 50):
        raise RuntimeError("the Lee set is not 50 texts and a 50x50 matrix")
    return LeeSet([" ".join(t.split()) for t in texts], ratings)
