"""The SMS segment counter (lib/segments.py): GSM-7 160/153 with two-septet extension
characters, otherwise UCS-2 70/67 in UTF-16 code units."""

import pytest

from lib.segments import GSM_7, GSM_BASIC, GSM_EXTENSION, UCS_2, count, replace_typographic

# Written as escapes: they look like plain characters in an editor (and to ruff).
EN_DASH, EM_DASH, ELLIPSIS, NBSP = "\u2013", "\u2014", "\u2026", "\u00a0"
OPEN_DQ, CLOSE_DQ, LOW_DQ = "\u201c", "\u201d", "\u201e"  # curly and low double quotes
OPEN_SQ, CLOSE_SQ = "\u2018", "\u2019"  # curly single quotes


def test_the_alphabet_has_the_127_basic_characters_and_10_extension_ones():
    # 128 code points, one of which is the escape to the extension table.
    assert len(GSM_BASIC) == 127
    assert len(GSM_EXTENSION) == 10  # form feed, ^ { } \\ [ ~ ] | €
    assert not GSM_BASIC & GSM_EXTENSION


def test_empty_text_is_no_sms():
    result = count("")

    assert (result.encoding, result.units, result.segments) == (GSM_7, 0, 0)
    assert result.remaining == 160


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm_messages_hold_160_septets_or_153_per_part(length, segments):
    result = count("a" * length)

    assert (result.encoding, result.units, result.segments) == (GSM_7, length, segments)
    assert result.per_segment == (160 if length <= 160 else 153)


def test_remaining_is_what_still_fits_in_the_last_sms():
    assert count("a" * 150).remaining == 10
    assert count("a" * 161).remaining == 153 * 2 - 161


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_messages_hold_70_code_units_or_67_per_part(length, segments):
    result = count("Ж" * length)

    assert (result.encoding, result.units, result.segments) == (UCS_2, length, segments)
    assert result.per_segment == (70 if length <= 70 else 67)


def test_extension_characters_count_two_septets():
    assert count("€" * 80).units == 160
    assert count("€" * 80).segments == 1
    assert count("€" * 81).segments == 2
    for char in "^{}\\[~]|€\f":
        assert count(char).units == 2, repr(char)
        assert count(char).encoding == GSM_7


def test_an_extension_character_is_not_split_between_two_parts():
    # 152 septets, then "€" would take the 153rd and the first of part two: it moves over.
    result = count("a" * 152 + "€" + "a" * 152)

    assert result.units == 306
    assert result.segments == 3


def test_umlauts_sharp_s_and_scandinavian_letters_stay_gsm7():
    text = "Grüße aus Köln, Malmö und Åre! Ä Ö Ü ä ö ü ß å Å é É ñ Ñ à ø Ø æ Æ"
    result = count(text)

    assert result.encoding == GSM_7
    assert result.units == len(text)
    assert result.non_gsm == []


def test_an_en_dash_makes_the_whole_message_ucs2():
    result = count(f"Termin: Montag {EN_DASH} Freitag")

    assert result.encoding == UCS_2
    assert result.non_gsm == [EN_DASH]
    assert result.per_segment == 70


@pytest.mark.parametrize(
    "char", [EN_DASH, EM_DASH, OPEN_DQ, CLOSE_DQ, LOW_DQ, OPEN_SQ, CLOSE_SQ, ELLIPSIS, NBSP]
)
def test_typographic_characters_are_not_gsm7(char):
    assert count(f"a{char}b").non_gsm == [char]


def test_each_offending_character_is_listed_once_in_order():
    text = f"{OPEN_DQ}Hi{CLOSE_DQ} {EN_DASH} so{ELLIPSIS} {OPEN_DQ}ok{CLOSE_DQ}"

    assert count(text).non_gsm == [OPEN_DQ, CLOSE_DQ, EN_DASH, ELLIPSIS]


def test_an_emoji_counts_two_code_units():
    result = count("Danke 🙂")

    assert result.encoding == UCS_2
    assert result.units == 8
    assert result.non_gsm == ["🙂"]


def test_an_emoji_is_not_split_between_two_parts():
    # 66 code units, then the emoji's surrogate pair would straddle the first two parts.
    result = count("Ж" * 66 + "🙂" + "Ж" * 66)

    assert result.units == 134
    assert result.segments == 3


def test_replace_typographic_makes_a_ucs2_text_gsm7():
    text = (
        f"{LOW_DQ}Hallo{OPEN_DQ} {EN_DASH} wir öffnen um 9{NBSP}Uhr{ELLIPSIS} "
        f"{OPEN_SQ}Danke{CLOSE_SQ} {EM_DASH} {OPEN_DQ}bis bald{CLOSE_DQ}"
    )
    replaced = replace_typographic(text)

    assert count(text).encoding == UCS_2
    assert replaced == '"Hallo" - wir öffnen um 9 Uhr... \'Danke\' - "bis bald"'
    assert count(replaced).encoding == GSM_7


def test_replace_typographic_leaves_other_characters_alone():
    assert replace_typographic("Grüße 🙂 Ж") == "Grüße 🙂 Ж"
    assert count(replace_typographic(f"Hej {EN_DASH} 🙂")).non_gsm == ["🙂"]
