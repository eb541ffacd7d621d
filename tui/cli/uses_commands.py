"""`wordlens index` (build the uses index of a corpus) and `wordlens uses` (a word's nearest uses in it)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from wordlens.core.engine import Sources
from wordlens.core.errors import InputError, WordlensError
from wordlens.core.uses.corpus import CorpusSource, bundled_corpus, corpus_of_files
from wordlens.core.uses.uses_index import DEFAULT_TOP, IndexSettings

ENGINES = ("local", "ray")


def add_parsers(commands: Any, sources: argparse.ArgumentParser) -> None:
    index = commands.add_parser(
        "index", parents=[sources], help="build the uses index of a corpus (default: the bundled one)",
        description="Embed every token of a corpus at the chosen layers and index it for `wordlens uses` and the "
        "explorer's uses section. PATH: text files or folders of .txt files (one document per file or per line); "
        "none: the bundled corpus (gensim's Lee news corpus and Wikipedia excerpt).")
    index.add_argument("paths", nargs="*", metavar="PATH")
    index.add_argument("--layers", type=_layers, default=None, metavar="L[,L...]",
                       help="hidden-state layers to index (0 = embeddings, the last = the model's output; "
                       "`all`; default: the middle and the last, e.g. 3,6)")
    index.add_argument("--engine", choices=ENGINES, default="local",
                       help="local (default): this process; ray: model actors on a Ray cluster (pip install "
                       "'wordlens[ray]')")
    index.add_argument("--ray-address", default=None, metavar="ADDRESS",
                       help="the Ray cluster to join (default: start a local one)")
    index.add_argument("--actors", type=int, default=2, metavar="N", help="Ray model actors (default 2)")
    index.add_argument("--json", action="store_true", help="print JSON")

    uses = commands.add_parser("uses", parents=[sources],
                               help="a word's nearest uses in the corpus: sentences where the model's hidden state "
                               "for a token is closest to this one")
    uses.add_argument("text", metavar="TEXT")
    uses.add_argument("--word", required=True, metavar="W", help="the word of TEXT (its first token is the query)")
    uses.add_argument("--layer", type=int, default=None, metavar="L",
                      help="hidden-state layer (0 = embeddings; default: the last indexed)")
    uses.add_argument("--top", type=int, default=DEFAULT_TOP, metavar="K",
                      help=f"how many uses (default {DEFAULT_TOP})")
    uses.add_argument("--corpus", nargs="+", default=None, metavar="PATH",
                      help="the corpus files given to `wordlens index` (default: the bundled corpus)")
    uses.add_argument("--json", action="store_true", help="print JSON")


def _layers(text: str) -> tuple[int, ...] | None:
    if text.strip() == "all":
        return tuple(range(1000))  # cut to the model's layers in run_index
    try:
        layers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer numbers separated by commas, e.g. 3,6: {text!r}") from None
    if not layers or min(layers) < 0:
        raise argparse.ArgumentTypeError(f"expected layer numbers 0 or more, e.g. 3,6: {text!r}")
    return layers


def corpus_from(paths: list[str] | None) -> CorpusSource:
    return corpus_of_files(paths) if paths else bundled_corpus()


def run_index(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.tui.cli.main import terminal_progress

    if args.actors < 1:
        raise WordlensError("--actors must be at least 1")
    if args.engine != "ray" and args.ray_address:
        raise WordlensError("--ray-address applies to --engine ray")
    corpus = corpus_from(args.paths)  # bad paths fail here, before the model loads
    model = sources.model_loader()(terminal_progress)
    layers = args.layers
    if layers == tuple(range(1000)):
        layers = tuple(range(model.info.layers + 1))
    settings = IndexSettings(layers=layers)
    settings.layers_for(model.info.layers)
    began = time.perf_counter()
    if args.engine == "ray":
        from wordlens.core.uses.ray_engine import build_index_with_ray

        index = build_index_with_ray(model, sources, corpus, settings, address=args.ray_address,
                                     actors=args.actors, progress=terminal_progress)
    else:
        from wordlens.core.uses.uses_index import build_index

        index = build_index(model, corpus, settings, progress=terminal_progress)
    seconds = time.perf_counter() - began
    report = {"model": model.info.name, "corpus": corpus.name, "engine": args.engine, "layers": list(index.layers),
              "sentences": index.sentence_count, "tokens": index.token_count, "bytes": index.size_on_disk(),
              "seconds": round(seconds, 2), "folder": str(index.folder)}
    if args.json:
        _print_json(report)
    else:
        print(f"indexed {report['sentences']:,} sentences, {report['tokens']:,} tokens of {corpus.name} at layers "
              f"{', '.join(map(str, index.layers))} ({args.engine}, {seconds:.1f} s, "
              f"{report['bytes'] / 2**20:.1f} MB): {index.folder}")
    return 0


def run_uses(sources: Sources, args: argparse.Namespace) -> int:
    from wordlens.core.reports.json_shapes import uses_report
    from wordlens.core.uses.uses_index import load_or_build, uses_of_word
    from wordlens.tui.cli.main import terminal_progress

    if args.top < 1:
        raise InputError("--top must be at least 1")
    corpus = corpus_from(args.corpus)
    model = sources.model_loader()(terminal_progress)
    if args.layer is not None and not 0 <= args.layer <= model.info.layers:
        raise InputError(f"--layer {args.layer} is out of range: {model.info.name} has hidden states "
                         f"0-{model.info.layers}")
    index = load_or_build(model, corpus, IndexSettings(), progress=terminal_progress)
    token, layer, found = uses_of_word(model, index, args.text, args.word, args.layer, args.top)
    report = uses_report(args.word, token, layer, model.info.name, corpus.name, found)
    if args.json:
        _print_json(report)
    else:
        from wordlens.tui.cli.tables import print_uses

        print_uses(report)
    return 0


def _print_json(report: dict[str, Any]) -> None:
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
