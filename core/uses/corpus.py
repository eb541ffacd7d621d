"""The sentences a uses index is built over: the bundled corpus (gensim's own test data, already
installed, never downloaded) or the user's text files.

The bundled corpus is the Lee news corpus (`lee_background.cor`, one article per line) and the
Wikipedia excerpt gensim tests its wiki reader on (206 articles, markup stripped by gensim's own
`filter_wiki`). Both hold `bank` by rivers and `bank` as lenders.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from wordlens.core.errors import LoadError
from wordlens.core.text import clean_text

BUNDLED_CORPUS_NAME = "gensim test data (Lee news + enwiki excerpt)"
LEE_FILE = "lee_background.cor"
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
# The excerpt's 107 articles hold 23,000 sentences (650,000 tokens): embedding them all takes
# longer than the 5 minutes on 2 cores the index may take, so each article gives its first ones.
WIKI_SENTENCES_PER_ARTICLE = 120
MIN_WORDS = 4  # shorter pieces are headings, captions or list debris, not sentences
MAX_CHARS = 600  # a longer "sentence" is a table or a list run together: cut at a space

# A sentence ends at . ! or ? (closing quotes/brackets kept) before whitespace and a capital,
# a digit or an opening quote; not after an initial ("J. Smith") or a common abbreviation.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Lt|Rev|Inc|Ltd|Co|vs|etc|No|Mt|"
                           r"U\.S|e\.g|i\.e|approx|ca|c))\.$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Sentence:
    text: str
    source: str  # where it comes from: "lee_background.cor:12", "enwiki: Anarchism", "notes.txt:3"


@dataclass(frozen=True)
class CorpusSource:
    """A corpus named and identified without reading it (an index cached for it needs no parse)."""

    name: str
    identity: str  # what the index cache is keyed by: the files' paths, sizes and modification times
    read: Callable[[], tuple[Sentence, ...]]

    def sentences(self) -> tuple[Sentence, ...]:
        return self.read()


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph (see _SENTENCE_END), each at most MAX_CHARS long."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        candidate = paragraph[start:match.start()].rstrip()
        if _ABBREVIATION.search(candidate):
            continue
        pieces.append(candidate)
        start = match.end()
    pieces.append(paragraph[start:].strip())
    return [_cut(piece) for piece in pieces if piece]


def _cut(sentence: str) -> str:
    if len(sentence) <= MAX_CHARS:
        return sentence
    space = sentence.rfind(" ", 0, MAX_CHARS)
    return sentence[:space if space > 0 else MAX_CHARS]


def _is_sentence(text: str) -> bool:
    return len(_WORD.findall(text)) >= MIN_WORDS


def sentences_of(paragraphs: Iterable[tuple[str, str]]) -> Iterator[Sentence]:
    """(text, source) paragraphs -> their sentences, cleaned of control characters, whitespace collapsed."""
    for paragraph, source in paragraphs:
        flat = " ".join(clean_text(paragraph).split())
        for sentence in split_sentences(flat):
            if _is_sentence(sentence):
                yield Sentence(sentence, source)


def gensim_test_data() -> Path:
    """gensim's installed test_data folder, found without importing gensim."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise LoadError("gensim is not installed (run: make install): the bundled corpus is its test data")
    folder = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"
    for name in (LEE_FILE, WIKI_FILE):
        if not (folder / name).is_file():
            raise LoadError(f"the bundled corpus file {folder / name} is missing; reinstall gensim")
    return folder


def _lee_paragraphs(path: Path) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield line, f"{path.name}:{number}"


# Lines of filter_wiki's output that are not prose: headings (it leaves "== History =="), table
# rows and cells, templates it could not remove, and files/categories.
_NOT_PROSE = re.compile(r"^\s*(=|\||\{|\}|!|<|\[\[|Category:|File:|Image:|thumb\|)")


def _wiki_paragraphs(path: Path) -> Iterator[tuple[str, str]]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    with bz2.open(path, "rb") as dump:
        for title, text, _page_id in extract_pages(dump):
            if not text or text.lstrip().lower().startswith("#redirect"):
                continue
            for line in filter_wiki(text).splitlines():
                line = line.strip().lstrip("*#:;").strip()
                if line and not _NOT_PROSE.match(line):
                    yield line, f"enwiki: {title}"


def _identity(paths: Sequence[Path]) -> str:
    parts = []
    for path in paths:
        stat = path.stat()
        parts.append(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def bundled_corpus() -> CorpusSource:
    """The Lee news corpus and the enwiki excerpt (reading them takes seconds: the wiki is parsed)."""
    folder = gensim_test_data()
    lee, wiki = folder / LEE_FILE, folder / WIKI_FILE

    def read() -> tuple[Sentence, ...]:
        per_article: dict[str, int] = {}
        wiki_sentences = []
        for sentence in sentences_of(_wiki_paragraphs(wiki)):
            per_article[sentence.source] = per_article.get(sentence.source, 0) + 1
            if per_article[sentence.source] <= WIKI_SENTENCES_PER_ARTICLE:
                wiki_sentences.append(sentence)
        return tuple(sentences_of(_lee_paragraphs(lee))) + tuple(wiki_sentences)

    return CorpusSource(BUNDLED_CORPUS_NAME, f"bundled:{WIKI_SENTENCES_PER_ARTICLE}:" + _identity([lee, wiki]), read)


def text_files(paths: Sequence[str | Path]) -> list[Path]:
    """The text files named: a folder gives its *.txt files (sorted). LoadError for a missing path."""
    files: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            found = sorted(path.glob("*.txt"))
            if not found:
                raise LoadError(f"{path}: a folder with no .txt files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such file or folder")
    if not files:
        raise LoadError("no corpus files given")
    return files


def _file_paragraphs(path: Path) -> Iterator[tuple[str, str]]:
    """A file's paragraphs, each with its source (the file and its first line): a paragraph ends at
    a blank line or a line ending a sentence, so one document per line and wrapped prose both read right."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise LoadError(f"{path}: cannot be read ({error.strerror})") from error
    if "\x00" in text[:4096]:
        raise LoadError(f"{path}: not a text file")
    paragraph: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not paragraph:
                first = number
            paragraph.append(line)
        if paragraph and (not line.strip() or _ENDS_SENTENCE.search(line)):
            yield " ".join(paragraph), f"{path.name}:{first}"
            paragraph = []
    if paragraph:
        yield " ".join(paragraph), f"{path.name}:{first}"


_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]*\s*$")


def corpus_of_files(paths: Sequence[str | Path]) -> CorpusSource:
    """The user's own corpus: text files (one document per file or per line), split into sentences.
    LoadError for a missing path here; for an unreadable file or one without sentences when read."""
    files = text_files(paths)

    def read() -> tuple[Sentence, ...]:
        sentences = tuple(sentence for path in files for sentence in sentences_of(_file_paragraphs(path)))
        if not sentences:
            raise LoadError(f"no sentences of {MIN_WORDS}+ words in {', '.join(str(path) for path in files)}")
        return sentences

    name = files[0].name if len(files) == 1 else f"{files[0].name} and {len(files) - 1} more"
    return CorpusSource(name, "files:" + _identity(files), read)
