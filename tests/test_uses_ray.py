"""`wordlens index --engine ray`: a local Ray cluster (2 CPUs, 2 model actors) builds the tiny
corpus's index, which answers exactly as the one built in this process."""

from __future__ import annotations

import numpy as np
import pytest
from test_uses_index import TINY_CORPUS

from wordlens.core.engine import Sources
from wordlens.core.uses.corpus import corpus_of_files
from wordlens.core.uses.uses_index import IndexSettings, build_index

pytestmark = pytest.mark.ray


def test_ray_index_answers_as_the_local_one(tiny_model, tiny_model_dir, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    from wordlens.core.uses.ray_engine import build_index_with_ray

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CORPUS * 3, encoding="utf-8")  # several batches per actor
    corpus, settings = corpus_of_files([path]), IndexSettings(batch=4)
    local = build_index(tiny_model, corpus, settings, folder=tmp_path / "local")
    stages: list[str] = []
    on_ray = build_index_with_ray(tiny_model, Sources(model=str(tiny_model_dir), device="cpu"), corpus, settings,
                                  actors=2, num_cpus=2, folder=tmp_path / "ray",
                                  progress=lambda stage, fraction: stages.append(stage))
    assert any("on Ray" in stage for stage in stages)
    assert on_ray.manifest["engine"] == "ray" and local.manifest["engine"] == "local"
    assert (on_ray.token_count, on_ray.sentence_count, on_ray.layers) == (
        local.token_count, local.sentence_count, local.layers)
    rng = np.random.default_rng(0)
    for layer in local.layers:
        for query in rng.normal(size=(5, 32)).astype(np.float32):
            expected, found = local.search(query, layer, top=8), on_ray.search(query, layer, top=8)
            assert [(u.sentence, u.token, u.start, u.end, u.source) for u in found] == [
                (u.sentence, u.token, u.start, u.end, u.source) for u in expected]
            # float16 storage: the two forward passes (one process of 2 threads, actors of 1) agree to its rounding
            np.testing.assert_allclose([u.cosine for u in found], [u.cosine for u in expected], atol=2e-3)
        rows = np.arange(local.token_count)
        np.testing.assert_allclose(np.stack([on_ray.stored_vector(layer, row) for row in rows]),
                                   np.stack([local.stored_vector(layer, row) for row in rows]), atol=2e-3)
