"""The lesson (`wordlens lesson [TEXT]`, `L` in the explorer): a guided walk from a static embedding to
self-attention, in eight steps.

Each step names what is shown under its caption (a sentence, the focused and target tokens, a layer and head,
and which screen) and a caption. Every number in a caption is computed here from the engine's analyses of the
sentences shown, and each conclusion is drawn against a baseline the caption names. The learner's sentence,
when given, replaces the classic "it -> France" sentence in the steps about one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from wordlens.core.analysis import Analysis, AnalysisSettings, ContextPart, word_attention_from
from wordlens.core.engine import Engine
from wordlens.core.errors import InputError
from wordlens.core.layer_names import head_long_name, hidden_state_name
from wordlens.core.measures.attention_arithmetic import pair_arithmetic, token_table_cosines
from wordlens.core.measures.attention_views import POSITIONAL_SHARE, head_patterns, is_punctuation
from wordlens.core.measures.derived_views import input_table_neighbours, strongest_heads_from
from wordlens.core.measures.static_vs_context import cosine, word_states

STATIC_SENTENCE = "The queen met a woman with a dog"
ATTENTION_SENTENCE = "France is a country, it is in Europe"
BANK_SENTENCE = "I sat on the river bank, then paid the cheque in at the bank"
WINOGRAD = ("The trophy did not fit in the suitcase because it was too big",
            "The trophy did not fit in the suitcase because it was too small")
# Within this, two weights are "about the same" (stated in the caption that uses it).
SAME_WEIGHT = 0.10
# A learner's sentence: the focused word is its first pronoun, else its last word.
PRONOUNS = ("it", "its", "they", "them", "he", "him", "she", "her", "this", "that", "which", "who")

Screen = Literal["explorer", "map", "mechanism"]


@dataclass(frozen=True)
class Shown:
    """What the explorer shows under a caption: token indices, 0-based layer and head."""

    text: str
    focus: int
    target: int
    layer: int
    head: int
    screen: Screen = "explorer"


@dataclass(frozen=True)
class LessonStep:
    title: str
    caption: str
    shown: Shown
    numbers: tuple[tuple[str, float], ...]  # every number the caption shows, by name (tests, JSON)


@dataclass(frozen=True)
class Lesson:
    steps: tuple[LessonStep, ...]
    text: str  # the sentence of the one-sentence steps: the learner's, or the classic one


def build_lesson(engine: Engine, text: str | None = None, settings: AnalysisSettings = AnalysisSettings()) -> Lesson:
    """The lesson's steps on the engine's models (loaded here if they are not); seconds on the bundled models."""
    engine.load_vectors()
    model = engine.load_model()
    analyse = lambda sentence: _complete(engine.analyze(sentence, settings))  # noqa: E731
    sentence = (text or "").strip() or ATTENTION_SENTENCE
    own = analyse(sentence)
    if text and text.strip():
        focus_word, target_word = _learner_pair(own)
    else:
        focus_word, target_word = _word(own, "it"), _word(own, "france")
    table = model.input_embedding_units()
    steps = [
        _static_step(analyse(STATIC_SENTENCE)),
        _attention_step(own, focus_word, target_word),
        _table_step(own, focus_word, target_word, table, model),
        _bank_step(analyse(BANK_SENTENCE), table),
        _mechanism_step(own, focus_word, target_word),
        _winograd_step(analyse(WINOGRAD[0]), analyse(WINOGRAD[1])),
        _positional_step(own, focus_word),
    ]
    steps.append(_answer_step(steps, own, focus_word, target_word))
    return Lesson(tuple(steps), sentence)


# ---- the steps -------------------------------------------------------------------------------


def _static_step(analysis: Analysis) -> LessonStep:
    static, context = analysis.require_static(), analysis.require_context()
    queen, woman, dog = (_word(analysis, word) for word in ("queen", "woman", "dog"))
    to_woman, to_dog = float(static.cosine[queen, woman]), float(static.cosine[queen, dog])
    nearest = static.neighbours[queen].items[0] if static.neighbours[queen].items else None
    nearer = "woman" if to_woman > to_dog else "dog"
    vocabulary = f" Over the whole vocabulary its nearest word is '{nearest.word}' ({nearest.cosine:.2f})." \
        if nearest is not None else ""
    caption = (
        f"A static embedding ({static.vectors.name}) gives each word one vector, learned from which words occur "
        f"near which in a corpus. queen–woman {to_woman:.2f}, queen–dog {to_dog:.2f}: queen is nearer {nearer} "
        f"(the baseline: dog, a word of another kind).{vocabulary} The vector is looked up, not computed from the "
        "sentence: these cosines are the same in every sentence."
    )
    numbers = [("queen_woman", to_woman), ("queen_dog", to_dog)]
    if nearest is not None:
        numbers.append(("queen_nearest", nearest.cosine))
    return LessonStep("1 · one vector per word", caption,
                      _shown(context, analysis, queen, woman, 0, 0), tuple(numbers))


def _attention_step(analysis: Analysis, focus: int, target: int) -> LessonStep:
    context = analysis.require_context()
    best = strongest_heads_from(analysis, focus)[target]
    tokens = len(context.tokens)
    even = 1.0 / tokens
    source, goal = _say(analysis, focus), _say(analysis, target)
    glove = _static_cosine(analysis, focus, target)
    static_clause = f" GloVe's cosine of the pair, {glove:.2f}, is the same in every sentence." \
        if glove is not None else ""
    caption = (
        f"Self-attention gives each token weights over the {tokens} tokens of this sentence, summing to 1. At "
        f"{head_long_name(best.layer, best.head)} (its strongest head), '{source}' gives '{goal}' {best.weight:.2f}: "
        f"{best.weight / even:.1f}× an even share (1/{tokens} = {even:.2f}). The weight is computed from this "
        f"sentence's tokens.{static_clause}"
    )
    numbers = [("weight", best.weight), ("even_share", even), ("times_even", best.weight / even)]
    if glove is not None:
        numbers.append(("glove_cosine", glove))
    return LessonStep("2 · self-attention: weights inside one sentence", caption,
                      _shown(context, analysis, focus, target, best.layer, best.head), tuple(numbers))


def _table_step(analysis: Analysis, focus: int, target: int, table: np.ndarray, model) -> LessonStep:
    context = analysis.require_context()
    source_token, target_token = _first_token(context, focus), _first_token(context, target)
    token = context.tokens[source_token]
    table_cosine = float(token_table_cosines(table, (context.ids[source_token], context.ids[target_token]))[0, 1])
    last = context.hidden_states.shape[0] - 1
    states = context.hidden_states[last].astype(np.float64)
    state_cosine = float(cosine(states[source_token], states[target_token]))
    neighbours = input_table_neighbours(model, token)[:3]
    near = ", ".join(f"'{name}' {score:.2f}" for name, score in neighbours)
    moved = "nearer" if state_cosine > table_cosine else "further apart"
    caption = (
        f"The transformer starts from a static table too: {context.model.name} looks each token up in its input "
        f"table ({table.shape[0]:,} rows × {table.shape[1]}), one row per token, like GloVe. In it '{token}' is "
        f"nearest {near}; '{token}'–'{context.tokens[target_token]}' {table_cosine:.2f}, the same in every "
        f"sentence. {hidden_state_name(last).capitalize()} in this sentence their states are at {state_cosine:.2f}: "
        f"{moved} than their rows (the baseline). Attention is what moved them."
    )
    numbers = [("table_cosine", table_cosine), ("state_cosine", state_cosine)]
    numbers += [(f"table_neighbour_{i}", score) for i, (_, score) in enumerate(neighbours)]
    return LessonStep("3 · the transformer's own static table", caption,
                      _shown(context, analysis, focus, target, 0, 0), tuple(numbers))


def _bank_step(analysis: Analysis, table: np.ndarray) -> LessonStep:
    context = analysis.require_context()
    banks = _tokens_of_text(context, "bank")
    first, second = banks[0], banks[-1]
    last = context.hidden_states.shape[0] - 1
    states = context.hidden_states[last].astype(np.float64)
    row_cosine = float(token_table_cosines(table, (context.ids[first], context.ids[second]))[0, 1])
    bank_cosine = float(cosine(states[first], states[second]))
    numbers = [("row_cosine", row_cosine), ("bank_cosine", bank_cosine)]
    the = _tokens_of_text(context, "the")
    baseline = ""
    if len(the) >= 2:
        the_cosine = float(cosine(states[the[0]], states[the[-1]]))
        baseline = f" (the first and last 'the': {the_cosine:.2f}; context moves every token)"
        numbers.append(("the_cosine", the_cosine))
    river, cheque = (word_states(context, _word(analysis, word))[last].astype(np.float64)
                     for word in ("river", "cheque"))
    near = {(bank, word): float(cosine(states[token], vector))
            for bank, token in (("river", first), ("cheque", second)) for word, vector in (("river", river),
                                                                                        ("cheque", cheque))}
    own = near["river", "river"] > near["cheque", "river"] and near["cheque", "cheque"] > near["river", "cheque"]
    verdict = "each moved towards its own context" if own else "they did not each move towards their own context"
    caption = (
        f"Context moves a word. Both 'bank's are one row of the input table (cosine {row_cosine:.2f}), as GloVe "
        f"has one vector for both. {hidden_state_name(last).capitalize()} they are at {bank_cosine:.2f}{baseline}. "
        f"The river bank is nearer 'river' than the cheque bank is ({near['river', 'river']:.2f} vs "
        f"{near['cheque', 'river']:.2f}), the cheque bank nearer 'cheque' ({near['cheque', 'cheque']:.2f} vs "
        f"{near['river', 'cheque']:.2f}): {verdict}, by a little. The map under this panel draws each bank's path "
        "through the layers."
    )
    numbers += [(f"{bank}_bank_{word}", value) for (bank, word), value in near.items()]
    return LessonStep("4 · context moves a word", caption,
                      Shown(analysis.text, first, second, last - 1, 0, screen="map"), tuple(numbers))


def _mechanism_step(analysis: Analysis, focus: int, target: int) -> LessonStep:
    context = analysis.require_context()
    best = strongest_heads_from(analysis, focus)[target]
    source_token, target_token = _first_token(context, focus), _first_token(context, target)
    shown = Shown(analysis.text, source_token, target_token, best.layer, best.head, screen="mechanism")
    title = "5 · why this weight"
    if context.captured is None:
        return LessonStep(title, f"Why a weight: not available here ({context.model.name} runs on transformers, "
                          "whose forward pass does not hand over its queries and keys).",
                          Shown(analysis.text, source_token, target_token, best.layer, best.head), ())
    pair = pair_arithmetic(context, best.layer, best.head, source_token, target_token)
    others = pair.row_weights.copy()
    others[target_token] = -np.inf
    runner = int(np.argmax(others))
    runner_logit, runner_weight = float(pair.row_logits[runner]), float(pair.row_weights[runner])
    dot = float(pair.products.sum())
    source, goal, other = (context.labels[i] for i in (source_token, target_token, runner))
    caption = (
        f"Why {pair.weight:.2f}? At {head_long_name(best.layer, best.head)} the query of '{source}' · the key of "
        f"'{goal}' = {dot:.2f}, × the scale {pair.scale:.3f} = the logit {pair.logit:+.2f}. The softmax over the "
        f"row's {len(pair.row_logits)} logits turns it into {pair.weight:.2f}. The baseline, the next heaviest "
        f"token '{other}': logit {runner_logit:+.2f}, weight {runner_weight:.2f}. A weight is large when its logit "
        f"stands above the row's others: e^({pair.logit:.2f} − {runner_logit:.2f}) = "
        f"{pair.weight / runner_weight:.1f}× '{other}'."
    )
    numbers = (("dot", dot), ("scale", pair.scale), ("logit", pair.logit), ("weight", pair.weight),
               ("runner_logit", runner_logit), ("runner_weight", runner_weight),
               ("ratio", pair.weight / runner_weight))
    return LessonStep(title, caption, shown, numbers)


def _winograd_step(big: Analysis, small: Analysis) -> LessonStep:
    context = small.require_context()
    it, trophy, suitcase = (_word(big, word) for word in ("it", "trophy", "suitcase"))
    best = strongest_heads_from(big, it)[trophy]

    def weights(analysis: Analysis) -> tuple[float, float]:
        row = word_attention_from(analysis.require_context(), it, len(analysis.words))[best.layer, best.head]
        return float(row[trophy]), float(row[suitcase])

    (big_trophy, big_suitcase), (small_trophy, small_suitcase) = weights(big), weights(small)
    change = small_trophy - big_trophy
    if abs(change) < SAME_WEIGHT and small_trophy > small_suitcase:
        verdict = (f"The two differ by less than {SAME_WEIGHT:.2f}, and the weight stays on the trophy where 'it' "
                   "means the suitcase: a weight is not the word 'it' refers to.")
    elif small_suitcase > small_trophy:
        verdict = "Here the weight does move to the suitcase with the meaning."
    else:
        verdict = f"The two differ by {abs(change):.2f}, yet the trophy still gets more than the suitcase."
    caption = (
        f"What attention is not. 'it' is the trophy in \"…too big\" and the suitcase in \"…too small\". At "
        f"{head_long_name(best.layer, best.head)}, where 'it' attends most to 'trophy' in \"too big\", "
        f"it→trophy is {big_trophy:.2f} in \"too big\" and {small_trophy:.2f} in \"too small\" ({change:+.2f}); "
        f"it→suitcase {big_suitcase:.2f} and {small_suitcase:.2f}. {verdict}"
    )
    numbers = (("big_trophy", big_trophy), ("small_trophy", small_trophy), ("change", change),
               ("big_suitcase", big_suitcase), ("small_suitcase", small_suitcase))
    return LessonStep("6 · what attention is not: a Winograd pair", caption,
                      _shown(context, small, it, trophy, best.layer, best.head), numbers)


def _positional_step(analysis: Analysis, focus: int) -> LessonStep:
    context = analysis.require_context()
    special = np.asarray(context.special, dtype=bool)
    punctuation = np.array([is_punctuation(token) for token in context.tokens], dtype=bool)
    patterns = head_patterns(context.attentions, special, punctuation)
    neighbourly = int(np.isin(patterns, ("previous token", "next token")).sum())
    rows = np.flatnonzero(~special)
    rows = rows[rows > 0]
    share = context.attentions[:, :, rows, rows - 1].mean(axis=-1)  # (layers, heads): weight on the token before
    layer, head = (int(i) for i in np.unravel_index(int(share.argmax()), share.shape))
    source = _first_token(context, focus)
    before = max(source - 1, 0)
    tokens = len(context.tokens)
    layers, heads = context.attentions.shape[:2]
    caption = (
        f"Positional heads. {neighbourly} of {layers * heads} heads give at least {POSITIONAL_SHARE:.2f} of each "
        f"token's weight to the token just before or after it. {head_long_name(layer, head)} gives the token "
        f"before {share[layer, head]:.2f} on average, whatever the word (an even share: {1 / tokens:.2f}); here "
        f"'{context.labels[source]}' gives '{context.labels[before]}' "
        f"{float(context.attentions[layer, head, source, before]):.2f}. Such a head's weights say where a token is, "
        "not what it means."
    )
    numbers = (("neighbourly_heads", float(neighbourly)), ("previous_share", float(share[layer, head])),
               ("even_share", 1 / tokens), ("focus_previous", float(context.attentions[layer, head, source, before])))
    return LessonStep("7 · positional heads", caption, Shown(analysis.text, source, before, layer, head),
                      numbers)


def _answer_step(steps: list[LessonStep], analysis: Analysis, focus: int, target: int) -> LessonStep:
    static, attention, table, bank, _, winograd, _ = (dict(step.numbers) for step in steps)
    context = analysis.require_context()
    shown = steps[1].shown
    caption = (
        "The answer. An embedding layer, GloVe's or the transformer's input table, is a lookup: one vector per "
        f"word or token, whatever the sentence (queen–woman {static['queen_woman']:.2f} in every text; both banks "
        f"one row, {bank['row_cosine']:.2f}). Self-attention computes, for each token, weights over the other "
        f"tokens of this sentence from their queries and keys (here '{_say(analysis, focus)}' gives "
        f"'{_say(analysis, target)}' {attention['weight']:.2f}, "
        f"{attention['times_even']:.1f}× an even share) and mixes their vectors into it, so a word's vector "
        f"depends on its sentence (the two banks at {bank['bank_cosine']:.2f} "
        f"{hidden_state_name(context.hidden_states.shape[0] - 1)}). The weights say where information flows, not "
        f"what a word means (it→trophy {winograd['big_trophy']:.2f} and {winograd['small_trophy']:.2f})."
    )
    numbers = (("queen_woman", static["queen_woman"]), ("row_cosine", bank["row_cosine"]),
               ("weight", attention["weight"]), ("times_even", attention["times_even"]),
               ("bank_cosine", bank["bank_cosine"]), ("big_trophy", winograd["big_trophy"]),
               ("small_trophy", winograd["small_trophy"]))
    del table
    return LessonStep("8 · the answer", caption, shown, numbers)


# ---- helpers ---------------------------------------------------------------------------------


def _complete(analysis: Analysis) -> Analysis:
    if not analysis.complete:
        raise InputError("the lesson needs both the static vectors and the transformer")
    return analysis


def _word(analysis: Analysis, text: str) -> int:
    for index, word in enumerate(analysis.words):
        if word.text.lower() == text:
            return index
    raise InputError(f"the lesson's sentence {analysis.text!r} has no word {text!r}")


def _say(analysis: Analysis, word: int) -> str:
    return analysis.words[word].text


def _first_token(context: ContextPart, word: int) -> int:
    pieces = context.tokens_of(word)
    if pieces.size == 0:
        raise InputError("a word of the lesson's sentence did not reach the model (cut at its maximum length?)")
    return int(pieces[0])


def _tokens_of_text(context: ContextPart, text: str) -> list[int]:
    return [index for index, token in enumerate(context.tokens) if token.lower().lstrip("Ġ▁") == text]


def _static_cosine(analysis: Analysis, a: int, b: int) -> float | None:
    value = float(analysis.require_static().cosine[a, b])
    return None if np.isnan(value) else value


def _shown(context: ContextPart, analysis: Analysis, focus: int, target: int, layer: int, head: int) -> Shown:
    return Shown(analysis.text, _first_token(context, focus), _first_token(context, target), layer, head)


def _learner_pair(analysis: Analysis) -> tuple[int, int]:
    """The learner's sentence: focus its first pronoun (else its last word), target the word that one attends
    to most in any head."""
    context = analysis.require_context()
    reached = [index for index, word in enumerate(analysis.words)
               if context.tokens_of(index).size and not is_punctuation(word.text)]
    if len(reached) < 2:
        raise InputError("the lesson needs a sentence of at least two words")
    pronouns = [index for index in reached if analysis.words[index].text.lower() in PRONOUNS]
    focus = pronouns[0] if pronouns else reached[-1]
    scores = strongest_heads_from(analysis, focus)
    target = max((index for index in reached if index != focus), key=lambda index: scores[index].weight)
    return focus, target
