"""Readable Rich tables for the headless commands (their JSON twins live in wordlens.core.reports.json_shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from wordlens.core.layer_names import head_long_name, head_pair, hidden_state_name, hidden_state_short_name
from wordlens.tui.style.colors import bar, heat_style


def print_neighbours(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    vectors = report["vectors"]
    # Words and file names are Text, never markup: a word such as [bold] is printed as it is.
    console.print(Text.assemble(
        (vectors["name"], "bold"), f" · {vectors['size']:,} words · {vectors['dim']}d · "
        f"neighbours among the {vectors['restrict_vocab']:,} most frequent words"
    ))
    if vectors.get("note"):
        console.print(Text(f"note: {vectors['note']}", style="yellow"))
    for found in report["neighbours"]:
        if not found["in_vocab"] and not found.get("from_subwords"):
            console.print(Text.assemble((found["word"], "bold"), ": ", ("not in the vocabulary", "red")))
            continue
        title = Text(found["word"])
        if found.get("from_subwords"):
            title.append(" (from subwords: not in the vocabulary)", style="yellow")
        table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("word")
        table.add_column("cosine", justify="right")
        for rank, item in enumerate(found["items"], start=1):
            table.add_row(str(rank), Text(item["word"]), f"{item['cosine']:.4f}")
        console.print(table)


def print_attention(report: dict[str, Any], show_view: bool, console: Console | None = None) -> None:
    """The selected view as a table (row attends to column), or a summary of every layer; a table
    wider than the console is printed as several, each with a run of its columns (never a cut number)."""
    console = console or Console()
    tokens = report.get("token_labels", report["tokens"])
    model = report["model"]
    shape = f"{model['layers']} layers × {model['heads']} heads · {len(tokens)} tokens"
    console.print(f"[bold]{escape(model['name'])}[/] · {shape}")
    if not show_view:
        for table in _strongest_target_tables(np.asarray(report["attention"], dtype=np.float32), tokens,
                                              console.width):
            console.print(table)
        console.print("[dim]Per layer, the token each token attends to most (mean of heads). "
                      "--layer L [--head H], --aggregate, --words, --hide-special show a full table; "
                      "--json gives every weight.[/]")
        return
    title = f"{report['view_spec']['description']} · row attends to column"
    for table in _matrix_tables(np.asarray(report["view"], dtype=np.float32), report["view_labels"], title,
                                console.width):
        console.print(table)


Cell = str | Text


def _fitted_tables(title: str, first: tuple[str, list[Cell]], columns: list[tuple[str, list[Cell]]],
                   width: int, justify: JustifyMethod = "left") -> list[Table]:
    """Tables of the `first` column and as many of `columns` (header, cells) as fit in `width` each,
    in order; the title says which columns a table holds when there are several."""
    def column_width(header: str, cells: list[Cell]) -> int:
        return max([cell_len(header)] + [cell_len(cell.plain if isinstance(cell, Text) else cell) for cell in cells])

    # a column takes its widest cell, one space of padding either side and one rule between columns
    room = width - column_width(*first) - 2
    runs: list[list[int]] = [[]]
    used = 0
    for index, column in enumerate(columns):
        needed = column_width(*column) + 3
        if runs[-1] and used + needed > room:
            runs.append([])
            used = 0
        runs[-1].append(index)
        used += needed
    tables = []
    for run in runs:
        part = f" · columns {run[0] + 1}–{run[-1] + 1} of {len(columns)}" if len(runs) > 1 else ""
        table = Table(title=title + part, title_justify="left", show_edge=False, pad_edge=False)
        table.add_column(Text(first[0]), no_wrap=True)
        for index in run:
            table.add_column(Text(columns[index][0]), justify=justify, no_wrap=True)
        for row, cell in enumerate(first[1]):
            table.add_row(cell, *(columns[index][1][row] for index in run))
        tables.append(table)
    return tables


def _strongest_target_tables(attention: np.ndarray, tokens: list[str], width: int) -> list[Table]:
    head_mean = attention.mean(axis=1)  # (layers, T, T)
    columns = []
    for layer, layer_matrix in enumerate(head_mean):
        targets = layer_matrix.argmax(axis=1)
        columns.append((f"L{layer + 1}", [Text(f"{tokens[int(target)]} {layer_matrix[row, target]:.2f}")
                                          for row, target in enumerate(targets)]))
    return _fitted_tables("strongest target per layer", ("token", [Text(token) for token in tokens]), columns, width)


def _matrix_tables(matrix: np.ndarray, tokens: list[str], title: str, width: int) -> list[Table]:
    columns = [(token, [Text(f"{value:.2f}", style=heat_style(float(value))) for value in matrix[:, column]])
               for column, token in enumerate(tokens)]
    return _fitted_tables(title, ("from \\ to", [Text(token) for token in tokens]), columns, width, justify="right")


def print_static_query(command: str, result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    vectors = result["vectors"]
    console.print(f"[bold]{escape(vectors['name'])}[/] · {vectors['size']:,} words · {vectors['dim']}d")
    if command == "similarity":
        console.print(f"cosine({escape(result['a'])}, {escape(result['b'])}) = [bold]{result['cosine']:.4f}[/]")
    elif command == "analogy":
        a, b, c = result["query"]
        method = {"add": "3CosAdd", "mul": "3CosMul"}[result["method"]]
        console.print(f"{escape(a)} : {escape(b)} :: {escape(c)} : ?   "
                      f"[dim]({method}; the query words are excluded)[/]")
        table = Table(show_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("word")
        table.add_column("score", justify="right")
        for rank, item in enumerate(result["items"], start=1):
            table.add_row(str(rank), Text(item["word"]), f"{item['score']:.4f}")
        console.print(table)
    elif command == "odd-one-out":
        console.print(f"odd one out of {escape(', '.join(result['words']))}: [bold]{escape(result['odd_one_out'])}[/]")
    else:
        _print_evaluation(result, console)
    if result.get("from_subwords"):
        console.print(Text(f"from subwords (out of vocabulary, its vector built from character n-grams): "
                           f"{', '.join(result['from_subwords'])}", style="dim"))


def _print_evaluation(result: dict[str, Any], console: Console) -> None:
    analogies = result["analogies"]
    table = Table(title="gensim's benchmarks", title_justify="left", show_edge=False)
    table.add_column("benchmark")
    table.add_column("score", justify="right")
    table.add_column("notes", style="dim")
    table.add_row("analogies (questions-words)", f"{analogies['accuracy']:.4f} accuracy",
                  f"{analogies['correct']:,} of {analogies['correct'] + analogies['incorrect']:,}; "
                  f"{analogies['skipped_oov']} skipped (OOV); top {analogies['restrict_vocab']:,} words; "
                  f"{analogies['seconds']:.1f} s")
    for key, title in (("wordsim353", "WordSim353"), ("simlex999", "SimLex-999")):
        pairs = result[key]
        table.add_row(title, f"{pairs['spearman']:.4f} Spearman",
                      f"Pearson {pairs['pearson']:.4f}; {pairs['oov_percent']:.1f}% pairs OOV")
    console.print(table)
    sections = Table(title="analogies by section", title_justify="left", show_edge=False)
    sections.add_column("section")
    sections.add_column("accuracy", justify="right")
    sections.add_column("questions", justify="right", style="dim")
    for section in analogies["sections"]:
        answered = section["correct"] + section["incorrect"]
        sections.add_row(section["section"], f"{section['accuracy']:.3f}", str(answered))
    console.print(sections)


def print_comparison(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    first, second = result["texts"]
    console.print(f"[bold]{escape(result['word'])}[/] in  A: {escape(repr(first))}\n{' ' * len(result['word'])}    B: "
                  f"{escape(repr(second))}")
    console.print(f"static cosine ({escape(result['vectors']['name'])}): [bold]{result['static_cosine']:.3f}[/] "
                  "[dim](one vector per word, whatever the sentence)[/]")
    table = Table(title=Text(f"contextual cosine, {result['model']['name']}"), title_justify="left", show_edge=False)
    table.add_column("layer", justify="right")
    table.add_column("cosine", justify="right")
    table.add_column("")
    for layer, value in enumerate(result["layers"]):
        table.add_row(hidden_state_name(layer), f"{value:.3f}", bar(max(0.0, value), 30))
    console.print(table)
    difference = result["attention_difference"]
    if difference is not None:
        values = np.asarray(difference)
        layer, head = np.unravel_index(values.argmax(), values.shape)
        console.print(f"attention between the shared words differs most at {head_long_name(int(layer), int(head))} "
                      f"(mean |A - B| {values.max():.3f}); least at {values.min():.3f}")
    if "side_by_side" in result:
        print_side_by_side(result["word"], result["side_by_side"], console)


def print_side_by_side(word: str, pair: dict[str, Any], console: Console) -> None:
    """The shared word's attention row in each sentence, word by word, and what each use reads as."""
    table = Table(title=Text(f"'{word}' attends to ({pair['view']}), A beside B"), title_justify="left",
                  show_edge=False)
    sides = pair["sentences"]
    for name in ("A", "B"):
        table.add_column(name, overflow="fold")
        table.add_column("weight", justify="right")
    for row in range(max(len(side["words"]) for side in sides)):
        cells: list[Any] = []
        for side in sides:
            if row < len(side["words"]):
                style = "bold" if row == side["word_index"] else ""
                cells += [Text(side["words"][row], style=style), f"{side['attention'][row]:.2f}"]
            else:
                cells += ["", ""]
        table.add_row(*cells)
    table.add_row(*[cell for side in sides for cell in (Text("[specials]", style="dim"), f"{side['specials']:.2f}")])
    console.print(table)
    for name, side in zip("AB", sides, strict=True):
        most = side["attends_most"]
        console.print(Text(f"{name}: attends most to {most['word']} {most['weight']:.2f}"))
    if pair["reading_unavailable"]:
        console.print(Text(f"in-context readings: {pair['reading_unavailable']}", style="dim"))
        return
    console.print(Text(f"read as static words, {hidden_state_name(pair['reading_hidden_state'])} "
                       f"(map fit {pair['map_fit']:.2f}):", style="dim"))
    for name, side in zip("AB", sides, strict=True):
        words = "  ".join(f"{item['word']} {item['cosine']:.2f}" for item in side["reading"] or [])
        console.print(Text(f"{name}: {words}"))


def print_mechanism(report: dict[str, Any], console: Console | None = None) -> None:
    """Why this weight: query x key per dimension, the logit, the row's softmax, the static side."""
    console = console or Console()
    tokens = report.get("token_labels", report["tokens"])
    source, target = report["from"], report["to"]
    layer, head = report["layer"], report["head"]
    title = Text(f"{report['model']['name']} · {head_long_name(layer, head)} · ", style="bold")
    title.append(f"{tokens[source]} → {tokens[target]}")
    if report["heads_off"]:
        title.append(" · heads off: " + ", ".join(head_pair(a, b) for a, b in report["heads_off"]), style="yellow")
    console.print(title)
    console.print(f"layer {layer + 1}'s input: {report['layer_input']}", markup=False)
    dimensions = Table(title="the dimensions that contribute most (query × key)", title_justify="left",
                       show_edge=False)
    for name in ("dimension", "query", "key", "product"):
        dimensions.add_column(name, justify="right")
    for d in report["top_dimensions"]:
        dimensions.add_row(str(d["dimension"]), f"{d['query']:+.3f}", f"{d['key']:+.3f}", f"{d['product']:+.3f}")
    console.print(dimensions)
    total = sum(report["products"])
    console.print(f"sum of the {len(report['products'])} products {total:+.3f} × scale {report['scale']:.4f} "
                  f"= logit {report['logit']:+.3f}", markup=False)
    row = Table(title="the whole row: softmax of the logits = the model's attention", title_justify="left",
                show_edge=False)
    row.add_column("to")
    row.add_column("logit", justify="right")
    row.add_column("weight", justify="right")
    row.add_column("")
    for index, (token, logit, weight) in enumerate(zip(tokens, report["row_logits"], report["row_weights"],
                                                       strict=True)):
        label = Text(("▶ " if index == target else "  ") + token, style="bold" if index == target else "")
        row.add_row(label, "masked" if logit is None else f"{logit:+.3f}", f"{weight:.3f}", bar(weight, 20))
    console.print(row)
    static = report["static"]
    words = f"{static['from_word'] or tokens[source]} / {static['to_word'] or tokens[target]}"
    glove = "—" if static["glove_cosine"] is None else f"{static['glove_cosine']:.3f}"
    table = "—" if static["input_table_cosine"] is None else f"{static['input_table_cosine']:.3f}"
    console.print(Text(f"the same pair out of context ({words}): GloVe cosine {glove}, "
                       f"cosine of their rows in the model's input table {table}; in this sentence the weight is "
                       f"{report['weight']:.3f}"))


def print_verification(report: dict[str, Any], console: Console | None = None) -> None:
    """Per layer the largest |wordlens - transformers|, and the verdict against the tolerance."""
    console = console or Console()
    console.print(Text(f"{report['model']}: {report['own_runtime']} against {report['reference_runtime']}, "
                       f"{len(report['sentences'])} sentences"))
    if report["own_runtime"] == "TransformersNetwork":
        console.print("[dim]this model already runs on transformers: both sides are the same code[/]")
    table = Table(title="largest absolute difference", title_justify="left", show_edge=False)
    table.add_column("layer", justify="right")
    table.add_column("attentions", justify="right")
    table.add_column("hidden state after it", justify="right")
    for row in report["layers"]:
        attention = "—" if row["attention"] is None else f"{row['attention']:.2e}"
        name = row["layer"] if row["layer"] == "embeddings" else str(row["layer"] + 1)
        table.add_row(name, attention, f"{row['hidden_state']:.2e}")
    console.print(table)
    if not report["same_tokens"]:
        console.print("[red]the two tokenizers gave different tokens[/]")
    verdict = "[green]agree[/]" if report["passed"] else "[red]differ[/]"
    console.print(f"largest {report['largest']:.2e}, tolerance {report['tolerance']:.0e}: the runtimes {verdict}")


def print_predictions(report: dict[str, Any], console: Console | None = None) -> None:
    """The next tokens after the text and, with --lens, one row per layer (its top tokens)."""
    console = console or Console()
    model = report["model"]
    console.print(Text.assemble((model["name"], "bold"), f" · next token after {len(report['tokens'])} tokens"))
    table = Table(show_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("token")
    table.add_column("prob", justify="right")
    for rank, prediction in enumerate(report["predictions"], start=1):
        table.add_row(str(rank), Text(repr(prediction["text"])), f"{prediction['prob']:.4f}")
    console.print(table)
    if "lens" not in report:
        return
    lens = Table(title="logit lens: each layer's hidden state through the final norm and output layer",
                 title_justify="left", show_edge=False)
    lens.add_column("layer", justify="right", style="dim")
    for rank in range(len(report["predictions"])):
        lens.add_column(f"#{rank + 1}")
    for row in report["lens"]:
        name = hidden_state_short_name(row["layer"])
        cells = [Text.assemble((repr(p["text"]), "bold"), (f" {p['prob']:.2f}", "dim")) for p in row["predictions"]]
        lens.add_row(name, *cells)
    console.print(lens)


def print_map(report: dict[str, Any], console: Console | None = None) -> None:
    """The map's coordinates: the static points, then each token's path and its model-space point."""
    console = console or Console()
    table = Table(title=f"static map ({report['method']}, fitted once on the vectors' most frequent words)",
                  title_justify="left", show_edge=False)
    for column in ("word", "x", "y", "in sentence"):
        table.add_column(column, justify="left" if column == "word" else "right")
    for point in report["static"]:
        in_sentence = "yes" if point["in_sentence"] else ""
        table.add_row(Text(point["word"]), f"{point['x']:.3f}", f"{point['y']:.3f}", in_sentence)
    console.print(table)
    layer = report["layer"]
    space = {item["token_index"]: item for item in report["model_space"] if item["layer"] == layer}
    paths = Table(title=f"tokens: path on the static map (hidden state: x, y; 0 = embeddings) and model space "
                  f"{hidden_state_name(layer)}",
                  title_justify="left", show_edge=False)
    for column in ("token", "path on the static map", "model space x, y"):
        paths.add_column(column)
    by_token = {path["token_index"]: path for path in report["paths"]}
    for index, item in sorted(space.items()):
        path = by_token.get(index)
        steps = "  ".join(f"{p['layer']}: {p['x']:.2f},{p['y']:.2f}" for p in path["points"]) if path else "-"
        paths.add_row(Text(item["token"]), steps, f"{item['x']:.3f}, {item['y']:.3f}")
    console.print(paths)


def print_uses(report: dict[str, Any], console: Console | None = None) -> None:
    """`uses`: one concordance line per use (keyword in context, the token in bold), cosine, source.
    Sentences from the corpus are Text, never markup."""
    from wordlens.core.uses.concordance import concordance_line

    console = console or Console()
    console.print(Text.assemble(
        (report["word"], "bold"), f" ('{report['token']}') at layer {report['layer']} of {report['model']}: "
        f"nearest uses in {report['corpus']} (cosine of hidden states; one use per sentence)"))
    width = max(30, min(100, console.width - 40))
    table = Table(show_edge=False)
    table.add_column("cosine", justify="right")
    table.add_column("in context", no_wrap=True)
    table.add_column("source", style="dim", no_wrap=True, overflow="ellipsis")
    for use in report["uses"]:
        line = concordance_line(use["sentence"], use["start"], use["end"], width)
        table.add_row(f"{use['cosine']:.3f}", Text.assemble(line.left, (line.keyword, "bold reverse"), line.right),
                      Text(use["source"]))
    console.print(table)


def print_sentence_cosines(report: dict[str, Any], word: str | None = None, console: Console | None = None) -> None:
    """`cosines`: each word's statically nearest word in the sentence (or one word's cosine to every other),
    the words split to be looked up, and whether function words are hidden."""
    console = console or Console()
    words = report["words"]
    hidden = report["function_words"]
    if word is None:
        console.print(Text(f"static nearest in the sentence ({report['vectors']['name']})", style="bold"))
        table = Table(show_edge=False)
        for name in ("word", "nearest", "cosine"):
            table.add_column(name, justify="right" if name == "cosine" else "left", overflow="fold")
        for entry in words:
            nearest = entry["nearest_in_sentence"]
            table.add_row(Text(entry["word"]), Text("—" if nearest is None else nearest["word"]),
                          "oov" if not entry["in_vocab"] else "—" if nearest is None else f"{nearest['cosine']:.2f}")
    else:
        row = next(index for index, entry in enumerate(words) if entry["word"].lower() == word.lower())
        console.print(Text(f"static cosine of '{words[row]['word']}' to each word ({report['vectors']['name']})",
                           style="bold"))
        table = Table(show_edge=False)
        table.add_column("word", overflow="fold")
        table.add_column("cosine", justify="right")
        for column, entry in enumerate(words):
            if column != row:
                value = report["cosine"][row][column]
                table.add_row(Text(entry["word"]), "—" if value is None else f"{value:.2f}")
    console.print(table)
    last_split = None
    for entry in words:
        if entry["split_from"] is not None and entry["split_from"] != last_split:
            parts = " + ".join(entry["looked_up_as"])
            console.print(Text(f"'{entry['split_from']}' looked up as {parts}: {report['vectors']['name']} has "
                               f"these, not '{entry['split_from']}'", style="dim"))
        last_split = entry["split_from"]
    if hidden["hidden"]:
        console.print(Text(f"function words and punctuation hidden ({hidden['source']}): — in their place",
                           style="dim"))
