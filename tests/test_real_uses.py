"""Uses on the bundled model and corpus (issue 16's promise): at the last layer, `bank` by a river
finds a river or shore context among its 10 nearest uses, `bank` with a cheque finds mostly
financial ones, the two lists differ, while GloVe's static neighbours of `bank` are one list.

Builds the bundled index on first run (minutes; cached in ~/.cache/wordlens/uses after)."""

from __future__ import annotations

import re

import pytest

from wordlens.core.uses.corpus import bundled_corpus
from wordlens.core.uses.uses_index import load_or_build, uses_of_word

pytestmark = pytest.mark.real_models

RIVER = "I sat on the river bank"
MONEY = "She paid the cheque in at the bank"
# A river or shore context: the use's sentence speaks of water or land by it.
WATERSIDE = re.compile(r"\b(rivers?|riverbanks?|shores?|coasts?|creeks?|streams?|lakes?|waters?|seas?|oceans?|"
                       r"Mississippi|Cumberland|banks of the|north bank|south bank|east bank|west bank of)\b", re.I)
# A financial context: money, its institutions and their business.
FINANCIAL = re.compile(r"\b(money|cheques?|cash|paid|pay\w*|loans?|lend\w*|financ\w*|interest|deposit\w*|credit|"
                       r"bankrupt\w*|accounts?|banking|economy|economic|dollars?|\$|profits?|shares?|stakes?|"
                       r"rates?|reserve|central bank|national bank|savings|commercial|investment|currency|"
                       r"florins|westpac|anz|wachovia|fargo|lenders?|staff|branch\w*|customers?|fees?)\b", re.I)


@pytest.fixture(scope="module")
def bundled_index(bundled_engine):
    return load_or_build(bundled_engine.load_model(), bundled_corpus())


def test_bank_by_a_river_and_bank_with_a_cheque_find_different_uses(bundled_engine, bundled_index):
    model = bundled_engine.load_model()
    last = model.info.layers
    assert last in bundled_index.layers
    _, layer, river = uses_of_word(model, bundled_index, RIVER, "bank", last, 10)
    _, _, money = uses_of_word(model, bundled_index, MONEY, "bank", last, 10)
    assert layer == last and len(river) == len(money) == 10
    assert any(WATERSIDE.search(use.sentence) for use in river), [use.sentence for use in river]
    financial = [use for use in money if FINANCIAL.search(use.sentence)]
    assert len(financial) > len(money) / 2, [use.sentence for use in money]
    assert {(u.sentence, u.start) for u in river} != {(u.sentence, u.start) for u in money}


def test_the_static_neighbours_of_bank_are_one_list_in_both(bundled_engine):
    lists = []
    for text in (RIVER, MONEY):
        analysis = bundled_engine.analyze(text)
        word = next(index for index, word in enumerate(analysis.words) if word.text == "bank")
        lists.append([(item.word, item.cosine) for item in analysis.static.neighbours[word].items])
    assert lists[0] == lists[1] and len(lists[0]) >= 10
