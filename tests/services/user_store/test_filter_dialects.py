"""What makes one compiled filter select the same rows on PostgreSQL as on SQLite and in memory: case folded
as Python's ``str.lower()`` folds it, and text ordered by code point (services/user_store/filter_dialects.py).

Each check runs over the whole Unicode range on the real server of tests/conftest.py's ``postgres_server``.
"""

import sys
import unicodedata

from sqlalchemy import column
from sqlalchemy.dialects import postgresql, sqlite

from services.user_store.filter_dialects import FOLDING_COLLATION, folded, json_text
from shared.devtools.local_postgres import fetch_rows

#: Every code point PostgreSQL's text can hold (no NUL, no surrogates).
CODE_POINTS = "generate_series(1, 1114111) AS n WHERE n NOT BETWEEN 55296 AND 57343"
FOLD = f'lower(({{text}}) COLLATE "{FOLDING_COLLATION}")'

#: Code points Unicode 15.0 added that ICU 72 (Debian 12's; PostgreSQL's ICU) counts as cased or
#: case-ignorable, and Python 3.11's Unicode 14 database does not know: beside one of them a capital sigma
#: is final to ICU and not to Python. Lao Yamakkan; Arabic small marks; a Khojki vowel sign; Kawi marks;
#: Egyptian hieroglyph format controls; Latin Extended-G small letters; Cyrillic Extended-D modifier
#: letters and a combining letter; Nag Mundari marks.
NEW_IN_UNICODE_15 = frozenset(code for first, last in [
    (0x0ECE, 0x0ECE), (0x10EFD, 0x10EFF), (0x11241, 0x11241), (0x11F00, 0x11F01), (0x11F36, 0x11F3A),
    (0x11F40, 0x11F40), (0x11F42, 0x11F42), (0x13439, 0x13440), (0x13447, 0x13455), (0x1DF25, 0x1DF2A),
    (0x1E030, 0x1E06D), (0x1E08F, 0x1E08F), (0x1E4EB, 0x1E4EF),
] for code in range(first, last + 1))


def every_code_point() -> range:
    return range(1, sys.maxunicode + 1)


def text_of(code: int) -> str | None:
    return None if 0xD800 <= code <= 0xDFFF else chr(code)


async def test_icu_lower_folds_every_code_point_as_python_does(postgres_server):
    """Full mappings included (İ becomes "i" and a combining dot; libc's lower() gives "i")."""
    rows = await fetch_rows(postgres_server, f"SELECT n, {FOLD.format(text='chr(n)')} FROM {CODE_POINTS} "
                                             f"AND {FOLD.format(text='chr(n)')} <> chr(n)")
    in_postgres = dict(rows)
    in_python = {code: char.lower() for code in every_code_point()
                 if (char := text_of(code)) is not None and char.lower() != char}
    assert in_postgres == in_python
    assert in_python[0x130] == "i\u0307"


async def test_final_sigma_beside_every_code_point_is_python_s(postgres_server):
    """A capital sigma lower-cases to ς at a word's end, else σ (Unicode's Final_Sigma, which Python and ICU
    apply): the same beside every code point, but those of NEW_IN_UNICODE_15 that Python does not know."""
    differing: set[int] = set()
    for shape, sql in [("Α{}Σ", "'Α' || chr(n) || 'Σ'"), ("ΑΣ{}", "'ΑΣ' || chr(n)")]:
        rows = await fetch_rows(postgres_server,
                                f"SELECT n FROM {CODE_POINTS} AND strpos({FOLD.format(text=sql)}, 'ς') > 0")
        in_postgres = {code for (code,) in rows}
        in_python = {code for code in every_code_point()
                     if (char := text_of(code)) is not None and "ς" in shape.format(char).lower()}
        differing |= in_postgres ^ in_python
    assert differing == {code for code in NEW_IN_UNICODE_15 if unicodedata.category(chr(code)) == "Cn"}


async def test_a_word_s_final_sigma_folds_as_python_s(postgres_server):
    words = ["ΟΔΟΣ", "ΟΔΟΣ ΚΑΙ", "Σ", "ΑΣΑ", "Α.Σ", "ΑΣ.", "ΑΣ\u0301", "İSTANBUL"]
    rows = await fetch_rows(postgres_server, f"SELECT {FOLD.format(text='word')} FROM unnest($1::text[]) "
                                             "WITH ORDINALITY AS words(word, position) ORDER BY position", words)
    assert [lowered for (lowered,) in rows] == [word.lower() for word in words]


async def test_the_test_cluster_orders_text_by_code_point(postgres_server):
    """Columns (userName's key, externalId, ...) are compared and sorted in the database's collation: the
    test clusters' C.UTF-8 (shared/devtools/local_postgres.py) orders by code point, as SQLite and Python."""
    texts = [text for code in range(1, sys.maxunicode + 1, 97) if (text := text_of(code)) is not None]
    texts += ["a", "B", "ab", "a b", "Zoë", "zoe", "İ", "i\u0307", "\U0001f600", "~", "é", "e\u0301"]
    rows = await fetch_rows(postgres_server, "SELECT t FROM unnest($1::text[]) AS t ORDER BY t", texts)
    assert [text for (text,) in rows] == sorted(texts)


async def test_folded_text_is_ordered_by_code_point(postgres_server):
    """lower() under ICU would order as ICU does (a, _, B, b): ``folded`` collates its result "C" again."""
    texts = ["b", "B", "a", "_", "Z", "-", "é", "E", "ÿ", "\u212a", "ǅ"]
    order_by = folded(column("t")).compile(dialect=postgresql.dialect())
    rows = await fetch_rows(postgres_server, f"SELECT t FROM unnest($1::text[]) AS t ORDER BY {order_by}, t", texts)
    assert [text for (text,) in rows] == sorted(texts, key=lambda text: (text.lower(), text))
    assert str(folded(column("t")).compile(dialect=sqlite.dialect())) == "lower(t)"  # Python's, registered


def test_paths_are_part_of_the_cache_key():
    """PostgreSQL's SQL holds the path itself: a statement cached for one path must not serve another."""
    resource = column("resource")
    assert json_text(resource, ("title",))._generate_cache_key() != json_text(resource, ("nickName",))._generate_cache_key()
