"""English function words, which the in-sentence static cosines can leave out.

In GloVe 6B 50d every function word sits at 0.8-0.9 to nearly everything (they occur beside every
word), so the statically nearest word in "I sat on the river bank" is `on`, not `river`. Hiding
them (key F in the explorer, `--hide-function-words` on the command line) leaves the content words.

FUNCTION_WORDS: the closed classes of the Snowball English stop list (snowballstem.org,
algorithms/english/stop.txt, M. Porter, BSD licence): pronouns, forms of be / have / do, modals,
articles, prepositions, conjunctions and the few adverbs and quantifiers it lists; plus the clitics
GloVe's tokenizer cut off (n't 's 're 've 'll 'd 'm, and ca / wo of can't / won't), since
core/word_forms.py cuts them so too. Punctuation (a word with no letter or digit) is hidden with them.
"""

from __future__ import annotations

FUNCTION_WORDS_SOURCE = "the closed classes of Snowball's English stop list, and GloVe's clitics"

FUNCTION_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves
what which who whom this that these those
am is are was were be been being have has had having do does did doing
will would shall should can could may might must ought
a an the and but if or because as until while
of at by for with about against between into through during before after above below to from up down in
out on off over under
again further then once here there when where why how
all any both each few more most other some such no nor not only own same so than too very
n't 's 're 've 'll 'd 'm ca wo n’t ’s
""".split())


def is_function_word(word: str) -> bool:
    """A word of FUNCTION_WORDS (any case), or punctuation: no letter or digit in it."""
    return word.lower() in FUNCTION_WORDS or not any(character.isalnum() for character in word)
