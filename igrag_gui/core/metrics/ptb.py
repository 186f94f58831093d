"""A pure-Python twin of what pycocoevalcap's ``PTBTokenizer`` returns for a caption.

pycocoevalcap runs Stanford's PTBTokenizer (CoreNLP 3.4.1, ``-preserveLines -lowerCase``) in a
Java subprocess and then drops the tokens in its ``PUNCTUATIONS`` list. This module gives the
same tokens without Java, so BLEU, ROUGE-L and CIDEr work on any machine and training's
validation does not start a JVM at every evaluation. It covers what captions contain (words,
capitals, numbers, contractions and possessives, hyphens, abbreviations, brackets, quotes,
dashes, symbols); ``tests/core/test_metrics_tokenizer.py`` compares it with the Java tokenizer
token for token on thousands of varied captions.

Two quirks are kept on purpose because the Java pipeline has them: brackets become ``-lrb-``
and friends (lower-cased, so pycocoevalcap's ``-LRB-`` filter misses them and they count as
words), and ``!!`` or ``?!`` stay one token (not in the filter either).
"""

from __future__ import annotations

import re

# pycocoevalcap.tokenizer.ptbtokenizer.PUNCTUATIONS, after -lowerCase the bracket names no longer match
PUNCTUATIONS = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                          ".", "?", "!", ",", ":", "-", "--", "...", ";"])

# Words PTBTokenizer keeps with their final period (a subset of PTBLexer's abbreviation lists:
# titles, months, days, states and the like).
_ABBREVIATIONS = frozenset("""
mr mrs ms dr st vs inc co jr sr prof gen gov sen rep lt col sgt capt cmdr adm maj messrs mme mlle
ltd corp bros dept est fig no op pp vol rev hon pres supt ave blvd rd mt ft
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo mont neb
nev okla ore pa penn tenn tex va vt wash wis wisc wyo etc al
""".split())

_BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-"}
_CHAR_MAP = str.maketrans({"\u2018": "`", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                           "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                           "\u2013": " -- ", "\u2014": " -- ", "\u2015": " -- ", "\u00a0": " "})
# one token of a whitespace-free chunk, most specific first
_TOKEN_TEXT = r"""
    (?P<url>(?:https?|ftp)://\S+|www\.\S+)
  | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<acronym>(?:[^\W\d_]\.){2,})                         # u.s.a. p.m. i.e.
  | (?i:(?P<lead>['\u2019](?:cause|em|til|tis|twas|n'|\d\ds?)(?![^\W_])))  # 'cause '90s
  | (?P<amp>[A-Z]+&[A-Z]+)                                    # AT&T R&B
  | (?P<abbrev>(?<![^\W_])(?=[A-Za-z]{1,5}\.)(?i:ABBREVIATIONS)\.(?![.\w]))  # mr. etc. (the period stays)
  | (?P<word>[#@]?[^\W_]+(?:(?:[-'\u2019/]|[.,:](?=\d)|\.(?=[^\W\d_]))[^\W_]+)*)
  | (?P<decimal>\.\d+)
  | (?P<smiley>[:;]-?[()])                                   # ;) becomes ;-rrb-
  | (?P<dots>\.{2,})
  | (?P<dashes>-{2,})
  | (?P<marks>[?!]+)
  | (?P<other>\S)
""".replace("ABBREVIATIONS", "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)))
_TOKEN = re.compile(_TOKEN_TEXT, re.VERBOSE)
# the same without the URL and e-mail alternatives, which cost a scan at every position
_TOKEN_PLAIN = re.compile(_TOKEN_TEXT.split("\n", 3)[3].lstrip().lstrip("|"), re.VERBOSE)
_SIMPLE = re.compile(r"[A-Za-z0-9 ]*[A-Za-z0-9](?:, [A-Za-z0-9 ]*[A-Za-z0-9])*(?: ?[.!?])? *")
_CONTRACTION = re.compile(r"(?i)^(.+?)(n['\u2019]t|['\u2019](?:s|m|d|ll|re|ve))$")
_SPLIT_WORDS = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta"),
                "wanna": ("wan", "na"), "lemme": ("lem", "me"), "gimme": ("gim", "me"),
                "gotcha": ("got", "cha"), "'tis": ("'t", "is"), "'twas": ("'t", "was")}
# abbreviations that, ending a sentence, also give the sentence its own "." token
_SENTENCE_FINAL = frozenset("""
etc al seq jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri
inc co cos corp ltd plc dept univ jr sr bros blvd rd esq no nos ft sq est
""".split())
# after an acronym ("U.S.", "p.m."), a sentence ends only before one of these (PTBLexer's list,
# as far as captions go; measured against the Java tokenizer)
_STARTERS = re.compile(r"\s+(?:A|A(?i:n)|T(?i:he)|I(?i:t)|H(?i:e)|S(?i:he)|T(?i:hey)|"
                       r"W(?i:e)|T(?i:his)|T(?i:hat)|T(?i:here)|I(?i:n)|A(?i:t)|S(?i:ome)|"
                       r"B(?i:ut)|I(?i:f)|A(?i:s)|H(?i:er)|O(?i:ur)|W(?i:hat)|W(?i:hen)|"
                       r"O(?i:ne)|Y(?i:et)|S(?i:o)|A(?i:fter)|T(?i:hen)|T(?i:hese)|"
                       r"W(?i:hile)|M(?i:any)|M(?i:rs?)\.)\s")


def ptb_tokens(caption: str, next_caption: str | None = None) -> list[str]:
    """PTBTokenizer's tokens for one caption (``-preserveLines -lowerCase``), punctuation
    included. ``next_caption`` is the text after it in the tokenizer's input: PTBTokenizer gives a
    sentence-final abbreviation ("etc.", "U.S.") an extra "." when the next line starts with a
    capital letter, and pycocoevalcap tokenizes all captions as one text."""
    text = caption.replace("\n", " ")
    if _SIMPLE.fullmatch(text):  # most captions: words and numbers, commas, perhaps a final mark
        words = text.lower().replace(",", " ,").split()
        if not _SPLIT_WORDS.keys().isdisjoint(words) or (words[-1][:-1] in _SPLIT_WORDS):
            return _tokens(text, next_caption)  # "gonna" becomes "gon na"
        if len(words[-1]) > 1 and words[-1][-1] in ".!?":
            last = words[-1]
            if last[-1] == "." and last[:-1] in _ABBREVIATIONS:
                return _tokens(text, next_caption)  # "mr." keeps its period; "etc." may add one
            words[-1:] = [last[:-1], last[-1]] if len(last) > 1 else [last]
        return words
    return _tokens(text, next_caption)


def _tokens(text: str, next_caption: str | None) -> list[str]:
    text = text.translate(_CHAR_MAP).replace("&amp;", "&")
    n = len(text)
    out: list[str] = []
    append = out.append
    pattern = _TOKEN if ("@" in text or "://" in text or "www." in text) else _TOKEN_PLAIN
    for m in pattern.finditer(text):
        kind, tok = m.lastgroup, m.group()
        start, pos = m.span()
        if kind == "word":
            low = tok.lower()
            if tok.isalnum() and low not in _SPLIT_WORDS:
                append(low)
            else:
                _word(low, out)
        elif kind == "abbrev":
            low = tok.lower()
            append(low)
            if low[:-1] in _SENTENCE_FINAL and (pos == n or text[pos].isspace()) \
                    and _sentence_ends(_after(text, pos, next_caption)):
                append(".")
        elif kind == "acronym":
            append(tok.lower())
            if (pos == n or text[pos].isspace()) and _STARTERS.match(_after(text, pos, next_caption) + " "):
                append(".")
        elif kind == "lead":
            out.extend(_SPLIT_WORDS.get(tok.lower(), (tok.lower(),)))
        elif kind == "smiley":
            append(tok[:-1] + _BRACKETS[tok[-1]])
        elif kind == "dashes":
            append("--")
        elif kind == "other":
            chunk_start = start == 0 or text[start - 1].isspace()
            chunk_end = pos == n or text[pos].isspace()
            if tok == '"':
                opens = not chunk_end and text[pos] not in ")]}" and (chunk_start or text[start - 1] in "([{")
                append("``" if opens else "''")
            elif tok in "'\u2019":
                append("`" if chunk_start and not chunk_end else "'")
            else:
                append(_BRACKETS.get(tok, tok.lower()))
        else:
            append(tok.lower())
    return out


def _after(text: str, pos: int, next_caption: str | None) -> str:
    """What follows position ``pos``: the rest of the line, then a newline and the next line."""
    following = "" if next_caption is None else "\n" + next_caption.replace("\n", " ").translate(_CHAR_MAP)
    return text[pos:] + following


def tokenize(caption: str, next_caption: str | None = None) -> str:
    """What pycocoevalcap's ``PTBTokenizer.tokenize`` returns for one caption: the tokens without
    its punctuation marks, joined by single spaces."""
    fast = _plain(caption)
    if fast is not None:
        return fast
    return " ".join([t for t in ptb_tokens(caption, next_caption) if t not in PUNCTUATIONS])


def _plain(caption: str) -> str | None:
    """``tokenize`` of a plain caption (words, numbers, commas, a final mark) without the lexer,
    or None for anything else. Most captions are plain; this is what makes the Python path fast."""
    if not _SIMPLE.fullmatch(caption):
        return None
    words = caption.lower().replace(",", " ").split()
    last = words[-1]
    if len(last) == 1 and last in ".!?":  # "a dog ." (a mark on its own)
        words.pop()
    elif last[-1] in ".!?":
        if last[:-1] in _ABBREVIATIONS or last[:-1] in _SPLIT_WORDS:
            return None
        words[-1] = last[:-1]
    if not _SPLIT_WORDS.keys().isdisjoint(words):
        return None
    return " ".join(words)


def tokenize_all(captions: dict) -> dict:
    """``PTBTokenizer().tokenize`` without Java: ``{id: [{"caption": str}, ...]}`` in,
    ``{id: [tokenized str, ...]}`` out."""
    lines = [c["caption"] for values in captions.values() for c in values]
    last = len(lines) - 1
    done = []
    for i, line in enumerate(lines):
        fast = _plain(line)
        done.append(fast if fast is not None else
                    tokenize(line, None if i == last else "\n".join(lines[i + 1:i + 4])))
    tokenized = iter(done)
    return {key: [next(tokenized) for _ in values] for key, values in captions.items()}


def _sentence_ends(after: str) -> bool:
    """PTBLexer's sentence end after an abbreviation such as "etc.": the end of the text, or a
    space followed by another space or a capital letter."""
    return not after or (after[0].isspace() and (len(after) == 1 or after[1].isspace() or after[1].isupper()))


def _word(tok: str, out: list[str]) -> None:
    """A lower-cased word that may hold apostrophes or hyphens: contractions split off."""
    if tok in _SPLIT_WORDS:
        out.extend(_SPLIT_WORDS[tok])
        return
    i = tok.find("'n'")
    if i > 0:  # rock'n'roll
        first, middle, rest = tok[:i], tok[i:i + 3], tok[i + 3:]
        out.append(first)
        out.append(middle)
        if rest:
            _word(rest, out)
        return
    m = _CONTRACTION.match(tok)
    out.extend((m.group(1), m.group(2).replace("\u2019", "'")) if m else (tok,))
