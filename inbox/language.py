"""A small guess at the language of a message body — German, Swedish or English — so the
full-text index stems it with the right dictionary ("Lieferungen" finds "Lieferung").

Counting common short words is enough for the messages customers write; a body with none
of them (a tracking number, "Danke!") gets no stemming and is still found by its plain words.
"""

import re

STOPWORDS = {
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ich",
            "sie",
            "wir",
            "ein",
            "eine",
            "einen",
            "mit",
            "auf",
            "für",
            "von",
            "zu",
            "den",
            "dem",
            "des",
            "bitte",
            "danke",
            "noch",
            "mein",
            "meine",
            "ihr",
            "ihre",
            "sind",
            "war",
            "haben",
            "hat",
            "wird",
            "kann",
            "können",
            "wie",
            "was",
            "wann",
            "warum",
            "aber",
            "oder",
            "auch",
            "schon",
            "nur",
            "sehr",
            "guten",
            "tag",
            "hallo",
        ]
    ),
    "sv": frozenset(
        [
            "och",
            "att",
            "det",
            "är",
            "inte",
            "jag",
            "du",
            "vi",
            "en",
            "ett",
            "med",
            "på",
            "för",
            "av",
            "till",
            "den",
            "som",
            "har",
            "kan",
            "vill",
            "min",
            "mitt",
            "mina",
            "tack",
            "hej",
            "var",
            "när",
            "varför",
            "men",
            "eller",
            "också",
            "redan",
            "bara",
            "mycket",
            "god",
            "dag",
            "skulle",
            "hur",
            "vad",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "not",
            "i",
            "you",
            "we",
            "a",
            "an",
            "with",
            "on",
            "for",
            "of",
            "to",
            "it",
            "my",
            "your",
            "our",
            "please",
            "thanks",
            "thank",
            "hello",
            "hi",
            "was",
            "were",
            "have",
            "has",
            "will",
            "can",
            "could",
            "would",
            "how",
            "what",
            "when",
            "why",
            "but",
            "or",
            "also",
            "already",
            "only",
            "very",
            "good",
        ]
    ),
}
# Letters only one of the languages uses tip the balance when the words do not.
LETTERS = {"de": "üß", "sv": "å"}
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
SAMPLE = 2000


def guess_language(text: str) -> str:
    """ "de", "sv", "en", or "" when the text gives no sign of any of them."""
    sample = text[:SAMPLE].lower()
    words = WORD.findall(sample)
    scores = {lang: sum(word in stop for word in words) for lang, stop in STOPWORDS.items()}
    for lang, letters in LETTERS.items():
        scores[lang] += sum(sample.count(letter) for letter in letters)
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] == 0 or ranked[0] == ranked[1]:
        return ""
    return best
