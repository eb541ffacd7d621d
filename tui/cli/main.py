"""The `wordlens` command: the explorer (no subcommand) and headless subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from wordlens.core.analysis import Analysis
from wordlens.core.engine import Engine, Sources, check_sources
from wordlens.core.errors import InputError, WordlensError
from wordlens.core.layer_names import heads_range, layers_range
from wordlens.core.measures.attention_views import AGGREGATES, ViewSpec
from wordlens.core.text import clean_text
from wordlens.core.transformer.context_model import (
    NO_HEADS_OFF,
    NOT_AVAILABLE,
    RUNTIMES,
    ContextModel,
    HeadsOff,
    ModelInfo,
    check_heads,
    parse_heads,
)
from wordlens.core.vectors.ann_index import ANN_MIN_WORK
from wordlens.core.vectors.queries import EVALUATION_RESTRICT_VOCAB
from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB, SEARCH_MODES
from wordlens.tui.cli import uses_commands
from wordlens.tui.config import Config, load_config

EXIT_USER_ERROR = 2


def model_options(defaults: bool) -> argparse.ArgumentParser:
    """The options naming the models, for the command line before the subcommand (`defaults`) and after it.
    After it they have no defaults: a subcommand's default would overwrite what was given before it."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    sources = argparse.ArgumentParser(add_help=False)
    group = sources.add_argument_group("models")
    group.add_argument("--vectors", metavar="PATH", default=default(None),
                       help="static vectors: word2vec .bin/.txt, GloVe .txt, gensim .kv "
                       "(default: the bundled GloVe 6B 50d)")
    group.add_argument("--model", metavar="PATH_OR_ID", default=default(None),
                       help="a Hugging Face model folder, a hub id when online, or "
                       "smollm2: the packaged SmolLM2-135M-Instruct decoder, converted once into ~/.cache/wordlens "
                       "(default: the bundled all-MiniLM-L6-v2)")
    group.add_argument("--device", default=default("auto"),
                       help="torch device: auto (CUDA when available), cpu, cuda, cuda:1...")
    group.add_argument("--runtime", choices=RUNTIMES, default=default("auto"),
                       help="auto (default): a standard BERT folder runs on wordlens's own torch forward pass, "
                       "which starts seconds sooner; anything else, or transformers, loads through transformers")
    group.add_argument("--neighbour-search", choices=SEARCH_MODES, default=default("auto"),
                       help="exact: scan every candidate word; ann: an approximate index (faiss), built once and "
                       "cached in ~/.cache/wordlens; auto (default): the index when candidates x dimensions >= "
                       f"{ANN_MIN_WORK // 10**6}M "
                       "(e.g. all 3M words of GoogleNews)")
    group.add_argument("--allow-pickle", action="store_true", default=default(False),
                       help="allow pickle-based files (torch .bin, gensim .kv): they can run code when loaded")
    group.add_argument("--trust-remote-code", action="store_true", default=default(False),
                       help="allow a model folder's own Python code to run")
    return sources


def ablation_option(defaults: bool) -> argparse.ArgumentParser:
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument("--ablate", metavar="L:H[,L:H...]", default=None if defaults else argparse.SUPPRESS,
                        help="switch these heads off (LAYER:HEAD counted from 1 as the screens name them, L4 H2 is "
                        "4:2; their attention output zeroed)")
    return option


# The subcommands that take --ablate.
ABLATING_COMMANDS = ("attention", "compare", "mechanism")


def build_parser() -> argparse.ArgumentParser:
    sources = model_options(defaults=False)
    ablation = ablation_option(defaults=False)
    parser = argparse.ArgumentParser(
        prog="wordlens",
        parents=[model_options(defaults=True), ablation_option(defaults=True)],
        description="Explore how a static word embedding and self-attention relate the words of a sentence.",
        epilog="Without a command, opens the explorer. Keys: press ? inside it.",
    )
    parser.add_argument("--text", dest="explorer_text", default=None,
                        help="the sentence to start with (the explorer and serve)")
    parser.add_argument("--corpus", dest="explorer_corpus", nargs="+", default=None, metavar="PATH",
                        help="the explorer's uses (u) search these text files, as `wordlens uses --corpus` "
                        "(default: the bundled corpus)")
    parser.add_argument("--restrict-vocab", type=_non_negative_int, default=argparse.SUPPRESS, metavar="N",
                        help=f"neighbours among the N most frequent words (default {DEFAULT_RESTRICT_VOCAB:,}; "
                        "0 = the whole vocabulary)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    neighbours = commands.add_parser("neighbours", parents=[sources], help="nearest words in the static vectors")
    neighbours.add_argument("words", nargs="+", metavar="WORD")
    neighbours.add_argument("--topn", type=_positive_int, default=10, help="neighbours per word (default 10)")
    neighbours.add_argument(
        "--restrict-vocab", type=_non_negative_int, default=argparse.SUPPRESS, metavar="N",
        help=f"search only the N most frequent words, as gensim's restrict_vocab (default {DEFAULT_RESTRICT_VOCAB:,}; "
        "0 = the whole vocabulary)",
    )
    neighbours.add_argument("--json", action="store_true", help="print JSON instead of tables")

    similarity = commands.add_parser("similarity", parents=[sources], help="static cosine of two words")
    similarity.add_argument("a", metavar="A")
    similarity.add_argument("b", metavar="B")
    similarity.add_argument("--json", action="store_true", help="print JSON")

    analogy = commands.add_parser("analogy", parents=[sources], help="A is to B as C is to ? (man king woman)")
    analogy.add_argument("a", metavar="A")
    analogy.add_argument("b", metavar="B")
    analogy.add_argument("c", metavar="C")
    analogy.add_argument("--method", choices=("add", "mul"), default="add",
                         help="add: 3CosAdd (default); mul: 3CosMul (Levy & Goldberg 2014)")
    analogy.add_argument("--topn", type=_positive_int, default=10, help="answers to list (default 10)")
    analogy.add_argument("--json", action="store_true", help="print JSON")

    odd = commands.add_parser("odd-one-out", parents=[sources], help="the word that fits least (gensim doesnt_match)")
    odd.add_argument("words", nargs="+", metavar="WORD")
    odd.add_argument("--json", action="store_true", help="print JSON")

    evaluate = commands.add_parser("evaluate", parents=[sources],
                                   help="the vectors on gensim's benchmarks: analogies, WordSim353, SimLex-999")
    evaluate.add_argument("--restrict-vocab", type=_non_negative_int, default=argparse.SUPPRESS, metavar="N",
                          help="only the N most frequent words count "
                          f"(gensim's default, {EVALUATION_RESTRICT_VOCAB:,}; "
                          "0 = the whole vocabulary)")
    evaluate.add_argument("--json", action="store_true", help="print JSON")

    compare = commands.add_parser("compare", parents=[sources, ablation],
                                  help="the same word in two sentences: static vs contextual cosine per layer")
    compare.add_argument("text_a", metavar="TEXT_A")
    compare.add_argument("text_b", metavar="TEXT_B")
    compare.add_argument("--word", required=True, metavar="W", help="a word that both sentences contain")
    compare.add_argument("--layer", type=_non_negative_int,
                         help="the attention rows side by side at this layer, 1..N (default: the last)")
    compare.add_argument("--head", type=_non_negative_int,
                         help="with --layer: one head's rows, 1..H (default: the mean of the layer's heads)")
    compare.add_argument("--json", action="store_true", help="print JSON")

    cosines = commands.add_parser(
        "cosines", parents=[sources],
        help="static cosines between the words of a sentence, each word's nearest in it, the words split to be "
        "looked up")
    cosines.add_argument("text", metavar="TEXT")
    cosines.add_argument("--word", metavar="W", help="only this word's row: its cosine to every other word")
    cosines.add_argument("--hide-function-words", action="store_true",
                         help="leave function words and punctuation out (Snowball's English stop list, closed "
                         "classes, and GloVe's clitics n't 's...): in GloVe 50d they sit at 0.8-0.9 to everything")
    cosines.add_argument("--json", action="store_true", help="print JSON")

    attention = commands.add_parser("attention", parents=[sources, ablation],
                                    help="self-attention weights of a sentence")
    attention.add_argument("text", metavar="TEXT")
    attention.add_argument("--layer", type=_non_negative_int,
                           help="the layer to show, 1..N as the screens name them; for rollout, the last layer "
                           "multiplied in (default: all)")
    attention.add_argument("--head", type=_non_negative_int, help="with --layer: one head, 1..H")
    attention.add_argument("--aggregate", choices=AGGREGATES,
                           help="head: one head; mean / max: over the layer's heads; rollout: Abnar & Zuidema 2020 "
                           "(default: head with --head, else mean)")
    attention.add_argument("--words", action="store_true",
                           help="merge subword tokens into words (to a word: sum over pieces; from a word: mean)")
    attention.add_argument("--hide-special", action="store_true",
                           help="drop [CLS]/[SEP]/<s>/</s> rows and columns and renormalise rows to 1")
    attention.add_argument("--json", action="store_true",
                           help="print JSON: raw weights of every layer and head, plus the selected view")

    mechanism = commands.add_parser(
        "mechanism", parents=[sources, ablation],
        help="why this weight: the query . key arithmetic of one attention weight, beside the static cosine")
    mechanism.add_argument("text", metavar="TEXT")
    mechanism.add_argument("--layer", type=_non_negative_int, required=True,
                           help="the layer, 1..N as the screens name them (L4 H5: --layer 4 --head 5)")
    mechanism.add_argument("--head", type=_non_negative_int, required=True, help="the head, 1..H")
    mechanism.add_argument("--from", dest="source", required=True, metavar="I",
                           help="the attending token (the row): its index (0-based, [CLS] is 0) or its text")
    mechanism.add_argument("--to", dest="target", required=True, metavar="J",
                           help="the attended token (the column): its index or its text")
    mechanism.add_argument("--json", action="store_true", help="print JSON")

    verify = commands.add_parser(
        "verify", parents=[sources],
        help="wordlens's forward pass against transformers' eager one: largest difference per layer")
    verify.add_argument("--json", action="store_true", help="print JSON")
    predict = commands.add_parser("predict", parents=[sources],
                                  help="a decoder's next tokens after a text (--model smollm2), and the logit lens")
    predict.add_argument("text", metavar="TEXT")
    predict.add_argument("--top", type=_positive_int, default=5, metavar="K", help="how many tokens (default 5)")
    predict.add_argument("--lens", action="store_true",
                         help="also the logit lens: each layer's hidden state read through the final norm and "
                         "output layer")
    predict.add_argument("--json", action="store_true", help="print JSON")
    map_command = commands.add_parser(
        "map", parents=[sources], help="the sentence on a fixed 2D map of the static vectors, its tokens' paths "
        "through the layers, and the model's own space")
    map_command.add_argument("text", metavar="TEXT")
    map_command.add_argument("--layer", type=_non_negative_int,
                             help="the hidden state of the model space shown: 0 = embeddings, N = after layer N "
                             "(default: after the last layer)")
    map_command.add_argument("--method", choices=("pca", "umap", "tsne"), default="pca",
                             help="pca (default): fitted once on the 10,000 most frequent words; umap / tsne: on "
                             "2,000, seeded, once (a minute), then cached in ~/.cache/wordlens")
    map_command.add_argument("--head", type=_non_negative_int, default=1,
                             help="head of the queries and keys view, 1..H (of the layer that made --layer's hidden "
                             "state; default 1)")
    map_command.add_argument("--json", action="store_true", help="print JSON")

    play = commands.add_parser("play", parents=[sources], help="replay a tape (a demo script) in the explorer",
                               description="Replay a tape in the explorer. Tape commands: size, delay, type, "
                               "press, wait, sleep, screenshot, caption, model, quit (see assets/demos/README.md).")
    play.add_argument("tape", metavar="TAPE", help="the tape file, e.g. assets/demos/it-france.tape")
    play.add_argument("--screenshots", metavar="DIR", type=Path,
                      help="run headless, save each `screenshot NAME` as DIR/NAME.svg, then exit")
    play.add_argument("--speed", type=_positive_float, default=1.0, metavar="X",
                      help="play X times faster: typing delays and sleeps are divided by X (default 1)")
    play.add_argument("--cast", metavar="OUT.cast", type=Path,
                      help="run off screen and write the replay as an asciicast v2 recording (asciinema play OUT.cast)")

    lesson = commands.add_parser(
        "lesson", parents=[sources], help="a guided walk: how a static embedding differs from self-attention",
        description="Open the explorer on a lesson of eight steps, each a caption over the live screen "
        "(n / p to move, esc to leave); every number in a caption is computed from the models.")
    lesson.add_argument("text", nargs="?", default="", metavar="TEXT",
                        help="your sentence, for the steps about one sentence (default: the classic ones)")
    lesson.add_argument("--json", action="store_true", help="print the steps and their numbers as JSON instead")

    serve = commands.add_parser("serve", parents=[sources], help="the explorer in a web browser (textual-serve)")
    serve.add_argument("--host", default="localhost",
                       help="address to listen on (default localhost: only this machine; 0.0.0.0: every network)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--text", dest="serve_text", default="", metavar="TEXT",
                       help="the sentence each new page starts with")
    serve.add_argument("--token", default=None, metavar="T",
                       help="the access token pages must carry (?token=T); default with a non-loopback --host: "
                            "a new one, printed once in the link to share")
    serve.add_argument("--no-token", action="store_true",
                       help="no access token even when reachable from other machines: anyone who can reach the "
                            "port gets in")
    serve.add_argument("--max-sessions", type=_positive_int, default=None, metavar="N",
                       help="at most N pages open at once; the next ones get a 'class is full' page")
    uses_commands.add_parsers(commands, sources)
    return parser


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be 1-65535")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


# Arguments that are sentences or words (not paths): cleaned as the explorer's sentence line is.
TEXT_ARGUMENTS = ("text", "explorer_text", "serve_text", "text_a", "text_b", "word", "words", "a", "b", "c",
                  "source", "target")


# Commands the top-level --text means something to: the explorer (no command) and serve.
TEXT_COMMANDS = (None, "serve")


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line as main reads it: an option means the same before or after the subcommand
    (the later one wins), or is refused with WordlensError where it means nothing."""
    args = build_parser().parse_args(argv)
    if args.explorer_text is not None and args.command not in TEXT_COMMANDS:
        raise WordlensError(f"--text is the explorer's first sentence; `{args.command}` does not take it")
    if args.explorer_corpus is not None and args.command is not None:
        raise WordlensError(f"--corpus before a command is the explorer's uses corpus; `{args.command}` does not "
                            "take it there")
    if not hasattr(args, "restrict_vocab"):
        args.restrict_vocab = EVALUATION_RESTRICT_VOCAB if args.command == "evaluate" else DEFAULT_RESTRICT_VOCAB
    if args.command is None:
        args.text = args.explorer_text or ""
    _clean_text_arguments(args)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_arguments(argv)
    except WordlensError as error:
        print(f"wordlens: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    try:
        config = load_config()
    except WordlensError as error:
        print(f"wordlens: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    sources = Sources(
        vectors=args.vectors or config.vectors,
        model=args.model or config.model,
        device=args.device,
        allow_pickle=args.allow_pickle,
        trust_remote_code=args.trust_remote_code,
        runtime=args.runtime,
        neighbour_search=args.neighbour_search,
        restrict_vocab=args.restrict_vocab,
    )
    try:
        check_sources(sources)
        if args.ablate is not None and args.command not in ABLATING_COMMANDS:
            where = args.command or "the explorer"
            raise WordlensError(f"--ablate applies to {', '.join(ABLATING_COMMANDS)}, not to {where}")
        if args.command == "mechanism":
            return _mechanism(sources, args)
        if args.command == "verify":
            return _verify(sources, args)
        if args.command == "neighbours":
            return _neighbours(sources, args)
        if args.command == "attention":
            return _attention(sources, args)
        if args.command == "cosines":
            return _cosines(sources, args)
        if args.command == "compare":
            return _compare(sources, args)
        if args.command == "predict":
            return _predict(sources, args)
        if args.command == "map":
            return _map(sources, args)
        if args.command in STATIC_COMMANDS:
            return _static_query(sources, args)
        if args.command == "play":
            return _play(sources, args, config)
        if args.command == "lesson":
            return _lesson(sources, args, config)
        if args.command == "index":
            return uses_commands.run_index(sources, args)
        if args.command == "uses":
            return uses_commands.run_uses(sources, args)
        if args.command == "serve":
            from wordlens.tui.cli.serve import serve

            serve(sources, args.host, args.port, text=args.serve_text or args.explorer_text or "",
                  token=args.token, no_token=args.no_token, max_sessions=args.max_sessions)
            return 0
        return _explore(sources, args.text, config, args.explorer_corpus)
    except WordlensError as error:
        print(f"wordlens: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _clean_text_arguments(args: argparse.Namespace) -> None:
    """Bytes that are not UTF-8 become U+FFFD, control characters spaces (see clean_text)."""
    for name in TEXT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, clean_text(value))
        elif isinstance(value, list):
            setattr(args, name, [clean_text(item) for item in value])


def _explore(sources: Sources, text: str, config: Config, corpus_paths: list[str] | None = None) -> int:
    from wordlens.core.engine import Engine
    from wordlens.tui.launch import interactive, make_app
    from wordlens.tui.terminal import make_terminal_input_safe

    corpus = uses_commands.corpus_from(corpus_paths) if corpus_paths else None  # bad paths fail before the app
    make_terminal_input_safe()
    app = make_app(Engine.from_sources(interactive(sources)), config, text=text, restrict_vocab=sources.restrict_vocab,
                   corpus=corpus)
    app.run()
    return app.return_code or 0


def _play(sources: Sources, args: argparse.Namespace, config: Config) -> int:
    from wordlens.core.engine import Engine
    from wordlens.core.tape import read_tape
    from wordlens.tui.demo.play import play
    from wordlens.tui.launch import interactive, make_app

    tape = read_tape(args.tape)
    if tape.model is not None and sources.model is None:  # the tape's own model, unless --model names another
        sources = replace(sources, model=tape.model)
    app = make_app(Engine.from_sources(interactive(sources)), config)
    player = play(app, tape, screenshots=args.screenshots, speed=args.speed, cast=args.cast)
    if player.error is not None:
        raise player.error
    if app.return_code:
        return app.return_code
    for path in [*player.saved, *([args.cast] if args.cast is not None else [])]:
        print(path)
    return 0


def _lesson(sources: Sources, args: argparse.Namespace, config: Config) -> int:
    from wordlens.core.engine import Engine

    if args.json:
        from wordlens.core.lesson import build_lesson
        from wordlens.core.reports.json_shapes import lesson_report

        _print_json(lesson_report(build_lesson(Engine.from_sources(sources), args.text or None)))
        return 0
    from wordlens.tui.launch import interactive, make_app
    from wordlens.tui.terminal import make_terminal_input_safe

    make_terminal_input_safe()
    app = make_app(Engine.from_sources(interactive(sources)), config, text=args.text,
                   restrict_vocab=sources.restrict_vocab)
    app.lesson_text = args.text
    app.run()
    return app.return_code or 0


def _neighbours(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports.json_shapes import neighbours_report

    vectors = sources.vectors_loader()(terminal_progress)
    report = neighbours_report(vectors, args.words, topn=args.topn, restrict_vocab=args.restrict_vocab)
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_neighbours

        print_neighbours(report)
    return 0


STATIC_COMMANDS = ("similarity", "analogy", "odd-one-out", "evaluate")


def _static_query(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports import json_shapes as report

    vectors = sources.vectors_loader()(terminal_progress)
    if args.command == "similarity":
        result = report.similarity_report(vectors, args.a, args.b)
    elif args.command == "analogy":
        result = report.analogy_report(vectors, args.a, args.b, args.c, method=args.method, topn=args.topn)
    elif args.command == "odd-one-out":
        result = report.odd_one_out_report(vectors, args.words)
    else:
        result = report.evaluate_report(vectors, restrict_vocab=args.restrict_vocab)
    if args.json:
        _print_json(result)
    else:
        from wordlens.tui.cli.tables import print_static_query

        print_static_query(args.command, result)
    return 0


def _compare(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.engine import Engine
    from wordlens.core.reports.json_shapes import compare_report

    engine = Engine.from_sources(sources)
    vectors = engine.load_vectors()
    model = engine.load_model()
    heads_off = _heads_off(args.ablate, model)
    first, second = (_analyze(engine, text, heads_off) for text in (args.text_a, args.text_b))
    intact = (engine.analyze(args.text_a), engine.analyze(args.text_b)) if heads_off else None
    if args.head is not None and args.layer is None:
        raise WordlensError("--head needs --layer")
    layer, head = _layer_head_indices(model.info, args.layer, args.head)
    spec = ViewSpec(aggregate="mean" if head is None else "head",
                    layer=model.info.layers - 1 if layer is None else layer, head=head or 0)
    static_map, no_map = _cached_static_map(engine)
    result = compare_report(first, second, args.word, vectors, intact=intact, spec=spec, static_map=static_map,
                            no_map=no_map)
    if args.json:
        _print_json(result)
    else:
        from wordlens.tui.cli.tables import print_comparison

        print_comparison(result)
    return 0


def _cosines(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.engine import Engine
    from wordlens.core.reports.json_shapes import sentence_cosines_report

    engine = Engine.from_sources(sources)
    engine.load_vectors(terminal_progress)
    report = sentence_cosines_report(engine.analyze(args.text), hide_function_words=args.hide_function_words)
    if args.word is not None and args.word.lower() not in (word["word"].lower() for word in report["words"]):
        raise WordlensError(f"'{args.word}' is not a word of {args.text!r} as "
                            f"{report['vectors']['name']} cuts it: "
                            + ", ".join(word["word"] for word in report["words"]))
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_sentence_cosines

        print_sentence_cosines(report, args.word)
    return 0


def _cached_static_map(engine: Engine) -> tuple[Any, str]:
    """The map into the static space if one was fitted before (it takes a minute once), else why not."""
    try:
        static_map = engine.static_map(cached_only=True)
    except InputError as error:
        return None, str(error)
    if static_map is None:
        return None, "no map into the static space fitted yet: `wordlens map TEXT` or g in the explorer fits it once"
    return static_map, ""


def _map(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.engine import Engine
    from wordlens.core.reports.json_shapes import map_report

    engine = Engine.from_sources(sources)
    vectors = engine.load_vectors(terminal_progress)
    model = engine.load_model(terminal_progress)
    layers = model.info.layers
    if args.layer is not None and args.layer > layers:
        raise WordlensError(f"--layer {args.layer} is out of range: {model.info.name} has hidden states "
                            f"0-{layers} (0 = embeddings, N = after layer N)")
    _, head = _layer_head_indices(model.info, None, args.head)
    projection = engine.static_projection(args.method, terminal_progress)
    try:
        static_map, no_paths = engine.static_map(terminal_progress), None
    except InputError as error:  # too few shared words to fit the map into the static space
        static_map, no_paths = None, str(error)
    analysis = engine.analyze(args.text)
    report = map_report(analysis, vectors, projection, static_map, layers if args.layer is None else args.layer,
                        head=head or 0)
    report["paths_unavailable"] = no_paths
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_map

        print_map(report)
    return 0


def _attention(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports.json_shapes import attention_report

    if args.head is not None and args.layer is None:
        raise WordlensError("--head needs --layer")
    aggregate = args.aggregate or ("head" if args.head is not None else "mean")
    if args.head is not None and aggregate != "head":
        raise WordlensError(f"--head selects one head; it does not combine with --aggregate {aggregate}")
    model = sources.model_loader()(lambda stage, fraction: None)
    layer, head = _layer_head_indices(model.info, args.layer, args.head)
    heads_off = _heads_off(args.ablate, model)
    default_layer = model.info.layers - 1 if aggregate == "rollout" else 0
    spec = ViewSpec(
        aggregate=aggregate,
        layer=default_layer if layer is None else layer,
        head=head or 0,
        words=args.words,
        hide_special=args.hide_special,
    )
    try:
        report = attention_report(model, args.text, spec, heads_off=heads_off)
    except NotImplementedError as error:
        raise WordlensError(str(error)) from error
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_attention

        chosen = any([args.layer is not None, args.aggregate, args.words, args.hide_special])
        print_attention(report, show_view=chosen)
    return 0


def _heads_off(ablate: str | None, model: ContextModel) -> HeadsOff:
    if ablate is None:
        return NO_HEADS_OFF
    heads_off = parse_heads(ablate)
    check_heads(heads_off, model.info)
    return heads_off


def _analyze(engine: Engine, text: str, heads_off: HeadsOff) -> Analysis:
    try:
        return engine.analyze(text, heads_off=heads_off)
    except NotImplementedError as error:
        raise WordlensError(str(error)) from error


def _mechanism(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.engine import Engine
    from wordlens.core.reports.json_shapes import mechanism_report

    engine = Engine.from_sources(sources)
    engine.load_vectors()
    model = engine.load_model()
    layer, head = _layer_head_indices(model.info, args.layer, args.head)
    if not model.can_capture:
        raise WordlensError(f"mechanism: {NOT_AVAILABLE} ({model.info.name} runs on transformers)")
    analysis = _analyze(engine, args.text, _heads_off(args.ablate, model))
    tokens = analysis.require_context().tokens
    source, target = _token_index(tokens, args.source, "--from"), _token_index(tokens, args.target, "--to")
    report = mechanism_report(analysis, layer, head, source, target, model.input_embedding_units())
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_mechanism

        print_mechanism(report)
    return 0


def _token_index(tokens: Sequence[str], given: str, option: str) -> int:
    """A token's index, given as a number or as the token's text (its first occurrence, any case)."""
    if given.isdigit():
        index = int(given)
        if index >= len(tokens):
            raise WordlensError(f"{option} {given} is out of range: the sentence has tokens 0-{len(tokens) - 1}")
        return index
    lowered = [token.lower() for token in tokens]
    if given.lower() not in lowered:
        raise WordlensError(f"{option} {given}: no such token; the tokens are {' '.join(tokens)}")
    return lowered.index(given.lower())


def _verify(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports.json_shapes import verify_report
    from wordlens.core.transformer.verify import verify_runtime

    own = sources.model_loader()(terminal_progress)
    reference = replace(sources, runtime="transformers").model_loader()(terminal_progress)
    verification = verify_runtime(own, reference)
    report = verify_report(own.info.name, verification)
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_verification

        print_verification(report)
    return 0 if verification.passed else 1


def _predict(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports.json_shapes import predict_report

    report = predict_report(sources.model_loader()(terminal_progress), args.text, args.top, args.lens)
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_predictions

        print_predictions(report)
    return 0


def _layer_head_indices(model: ModelInfo, layer: int | None, head: int | None) -> tuple[int | None, int | None]:
    """--layer N and --head H count from 1, as the screens name them (L4 H5 is --layer 4 --head 5);
    the 0-based indices of the arrays and the JSON (core/layer_names.py)."""
    if layer is not None and not 1 <= layer <= model.layers:
        raise WordlensError(f"--layer {layer} is out of range: {model.name} has {layers_range(model.layers)} "
                            "(counted from 1; 0 is the embeddings, which have no attention)")
    if head is not None and not 1 <= head <= model.heads:
        raise WordlensError(f"--head {head} is out of range: {model.name} has {heads_range(model.heads)} "
                            "(counted from 1)")
    return (None if layer is None else layer - 1), (None if head is None else head - 1)


def terminal_progress(stage: str, fraction: float) -> None:
    """Loading progress on one rewritten stderr line when stderr is a terminal (building the
    neighbour index of a huge vocabulary, once, takes minutes); cleared when a stage completes."""
    if not sys.stderr.isatty():
        return
    line = "" if fraction >= 1.0 else f"wordlens: {stage} {fraction:.0%}"
    sys.stderr.write(f"\r\033[K{line}")
    sys.stderr.flush()


def _print_json(report: dict[str, Any]) -> None:
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def entry() -> None:
    """The console script. Once the terminal is restored, skip the interpreter's teardown of
    torch and gensim (over a second after quitting the explorer): nothing is left to flush."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `wordlens ... --json | head`: the reader left, nothing to say
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
