"""Words of French text for the full-text search: folding, Snowball stemming, the visitor's query
read into terms and phrases, and the <mark> highlighting of matched words. No database here:
the index (actions/search.py) and both engines' queries (actions/querysets.py) build on it.

Both engines see the same words: the text is folded (contrat.text.fold) and cut into words
here, in Python. SQLite's FTS5 index then holds each word's stem (`stem`, snowballstemmer); the
PostgreSQL search document reads the same words through the `french_unaccent` configuration,
whose `french_stem` dictionary is the same Snowball French stemmer (migration 0014, checked
word by word in tests/actions/test_search.py). The query's stems are computed here for both.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import snowballstemmer
from django.db import transaction
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from .text import fold

# A word: letters and digits (any script), with the combining marks of a decomposed accent.
WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")
# At most this many terms are read from a query, each at most this long: a pasted page
# costs no more than a short query.
MAX_TERMS = 10
MAX_WORD_LENGTH = 40
# A term this short matches whole words only: "eu" must not read every word starting with it.
PREFIX_MIN_LENGTH = 3
# Function words left out of a query's loose terms (never out of a quoted phrase, nor when the
# query has nothing else): "gestion de l'eau" asks for "gestion" and "eau". The index keeps
# them (both engines alike), so that a phrase still finds them in place.
STOP_WORDS = frozenset(
    ("a", "au", "aux", "avec", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "il")
    + ("l", "la", "le", "les", "leur", "leurs", "n", "ou", "par", "pour", "qu", "que", "qui")
    + ("s", "sa", "se", "ses", "son", "sur", "un", "une", "y")
)

_stemmer = snowballstemmer.stemmer("french")


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Snowball French stem of a folded word: 'ludotheques' -> 'ludothequ'. Cached: the
    portal's texts share a vocabulary of a few thousand words."""
    return _stemmer.stemWord(word)


def query_stem(word: str) -> str:
    """The stem a query's word looks for (as a prefix): the stem of its singular when that is
    shorter. Snowball cuts 'verger' to 'verg' but 'vergers' to 'verger' only: 'vergers' then
    finds 'verger' too."""
    full = stem(word)
    if word[-1:] in ("s", "x"):
        singular = stem(word[:-1])
        if len(singular) >= PREFIX_MIN_LENGTH and full.startswith(singular):
            return singular
    return full


def words(text: str | None) -> list[str]:
    """'Ludothèque itinérante (l’ESS)' -> ['ludotheque', 'itinerante', 'l', 'ess']."""
    return WORD.findall(fold(text or ""))


def index_words(text: str | None) -> str:
    """The text as the index holds it: its words' stems, in order, separated by spaces."""
    return " ".join(stem(word) for word in words(text))


@dataclass(frozen=True)
class Term:
    """A quoted phrase (its words' stems, in order), or a word: its stem (and its singular's,
    when shorter: see `query_stem`), or any word starting with it as typed, from
    PREFIX_MIN_LENGTH letters on ('ludo' finds 'ludothèque'; 'cibs' finds 'CIBS' but not
    'cibles', whose stem 'cibl' merely starts like its stem 'cib')."""

    stems: tuple[str, ...]
    phrase: bool = False
    prefix: str = ""

    @classmethod
    def word(cls, word: str) -> "Term":
        stems = tuple(dict.fromkeys([stem(word), query_stem(word)]))
        return cls(stems, prefix=word if len(word) >= PREFIX_MIN_LENGTH else "")

    def matches(self, word: str, word_stem: str) -> bool:
        """Whether a word of a text (folded, and its stem) is one this term looks for: the
        highlighting asks, with the same rules as both engines' queries."""
        if self.phrase:
            return word_stem in self.stems
        return word_stem in self.stems or bool(self.prefix and word_stem.startswith(self.prefix))

    def fts5(self) -> str:
        # Every stem is letters and digits only: quoted, FTS5 reads none as an operator.
        if self.phrase:
            return '"' + " ".join(self.stems) + '"'
        options = [f'"{s}"' for s in self.stems] + ([f'"{self.prefix}"*'] if self.prefix else [])
        return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"

    def tsquery(self, weight: str = "") -> str:
        if self.phrase:
            return "(" + " <-> ".join(f"{s}:{weight}" if weight else s for s in self.stems) + ")"
        options = [f"{s}:{weight}" if weight else s for s in self.stems]
        if self.prefix:
            options.append(f"{self.prefix}:*{weight}")
        return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor typed, read into terms that must all match. Never fails: quotes that do
    not close, operators of either engine (* - : ^ NEAR & | !), control characters are words'
    separators or plain words."""

    text: str = ""
    terms: tuple[Term, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self, column: str = "") -> str:
        """The FTS5 MATCH expression (restricted to `column` if given)."""
        expression = " AND ".join(term.fts5() for term in self.terms)
        return f"{column} : ({expression})" if column else expression

    def tsquery(self, weight: str = "") -> str:
        """The PostgreSQL tsquery (to_tsquery('simple', …)), restricted to `weight` if given."""
        return " & ".join(term.tsquery(weight) for term in self.terms)

    def matches(self, word: str) -> bool:
        """Whether this word of a text (as written) is one the query found."""
        folded = fold(word)
        folded_stem = stem(folded)
        return any(term.matches(folded, folded_stem) for term in self.terms)


def _clean(text: str) -> str:
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in fold(text or ""))
    # fold() writes « » as << >>: quotes too.
    return text.replace("<<", '"').replace(">>", '"')


def parse_query(text: str | None) -> SearchQuery:
    """'Ludothèques "risques majeurs" de' -> the phrase "risqu majeur" and the word
    ludothequ / ludotheques… ("de" is a function word). A quote left open quotes nothing."""
    cleaned = _clean(text or "")
    parts = cleaned.split('"')
    if len(parts) % 2 == 0:  # an odd number of quotes: the last one opens nothing
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    loose, terms = [], []
    for index, part in enumerate(parts):
        found = [word[:MAX_WORD_LENGTH] for word in WORD.findall(part)]
        if index % 2 and len(found) > 1:
            terms.append(Term(tuple(stem(word) for word in found[:MAX_TERMS]), phrase=True))
        else:
            loose += found
    content = [word for word in loose if word not in STOP_WORDS]
    for word in content or loose:
        terms.append(Term.word(word))
    unique = list(dict.fromkeys(terms))
    return SearchQuery(text=text or "", terms=tuple(unique[:MAX_TERMS]))


def text_matches(query: SearchQuery, *texts: str | None) -> bool:
    """Whether every term of `query` is found in one of `texts` (a phrase within one text):
    the search of short lists read whole anyway, such as the structures."""
    stemmed = [[stem(word) for word in words(text)] for text in texts]
    folded = [word for text in texts for word in words(text)]
    for term in query.terms:
        if not term.phrase:
            found = any(term.matches(word, stem(word)) for word in folded)
        else:
            size = len(term.stems)
            found = any(
                tuple(stems[i : i + size]) == term.stems
                for stems in stemmed
                for i in range(len(stems) - size + 1)
            )
        if not found:
            return False
    return True


def highlight(text: str | None, query: SearchQuery | None) -> str:
    """`text` HTML-escaped, with each word the query matches inside <mark>…</mark>."""
    text = str(text or "")
    if not query:
        return conditional_escape(text)
    html, end = [], 0
    for match in WORD.finditer(text):
        if query.matches(match.group()):
            html.append(conditional_escape(text[end : match.start()]))
            html.append(f"<mark>{conditional_escape(match.group())}</mark>")
            end = match.end()
    html.append(conditional_escape(text[end:]))
    return mark_safe("".join(html))


def excerpt(text: str | None, query: SearchQuery | None, *, width: int = 30) -> str:
    """About `width` words of `text` around its first matched word, highlighted, or '' when
    the query matches no word of it."""
    text = str(text or "")
    if not query:
        return ""
    spans = list(WORD.finditer(text))
    first = next((i for i, m in enumerate(spans) if query.matches(m.group())), None)
    if first is None:
        return ""
    start = max(0, first - width // 3)
    stop = min(len(spans), start + width)
    begin = spans[start].start()
    finish = spans[stop - 1].end() if stop < len(spans) else len(text)
    before = "… " if start else ""
    after = " …" if stop < len(spans) else ""
    return mark_safe(
        conditional_escape(before)
        + highlight(text[begin:finish], query)
        + conditional_escape(after)
    )


def search_index_flush(using: str = "default") -> None:
    """Run now the search index's pending update of this transaction, if any (queued by
    actions/search.py, which marks its on_commit callback `flushes_search_index`): a search
    then reads what its own transaction wrote. Here, so that the querysets need not import
    the index service (which imports the models)."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return
    for entry in connection.run_on_commit:
        for part in entry:
            if getattr(part, "flushes_search_index", False):
                part()
                return


# Words shorter than this are never corrected: too many near neighbours.
SUGGEST_MIN_LENGTH = 4


def suggest(text: str | None, vocabulary: dict[str, str]) -> str:
    """The query with each word the texts do not hold replaced by the closest one they do
    ('ludotheqe itinerente' -> 'ludothèque itinérante'), or '' when nothing is to correct.
    `vocabulary`: {folded word: the word as written}. The same on both engines (difflib's
    ratio, in Python): the typos a search for nothing most likely holds."""
    import difflib

    known = vocabulary.keys()
    corrected, changed = [], False
    for word in words(text):
        if len(word) < SUGGEST_MIN_LENGTH or word in vocabulary:
            corrected.append(vocabulary.get(word, word))
            continue
        close = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
        if close:
            corrected.append(vocabulary[close[0]])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else ""
