"""Fail when a German or Swedish catalogue has an untranslated or fuzzy entry, or when its
compiled .mo file does not hold every string of the .po (run `make messages` after changes)."""

import ast
import gettext
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Entry:
    fuzzy: bool = False
    msgctxt: str = ""
    msgid: str = ""
    msgstrs: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """How the compiled catalogue names it: "context\x04msgid" when it has a context."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt else self.msgid


def parse(po: Path) -> list[Entry]:
    entries, entry, current = [], Entry(), None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current is not None:
                entries.append(entry)
            entry, current = Entry(), None
        elif line.startswith("#,") and "fuzzy" in line:
            entry.fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if current == "msgid":
                entry.msgid += text
            elif current == "msgctxt":
                entry.msgctxt += text
            elif current == "msgstr":
                entry.msgstrs[-1] += text
        else:
            keyword, _, value = line.partition(" ")
            text = ast.literal_eval(value)
            if keyword == "msgid":
                current, entry.msgid = "msgid", text
            elif keyword.startswith("msgstr"):
                current = "msgstr"
                entry.msgstrs.append(text)
            elif keyword == "msgctxt":
                current, entry.msgctxt = "msgctxt", text
            else:  # msgid_plural
                current = None
    return entries


def check(po: Path) -> list[str]:
    entries = [e for e in parse(po) if e.msgid]
    problems = [f"{po}: fuzzy: {e.msgid[:60]!r}" for e in entries if e.fuzzy]
    problems += [f"{po}: untranslated: {e.msgid[:60]!r}" for e in entries if not all(e.msgstrs)]
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [*problems, f"{mo} is missing: run `make messages`"]
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    compiled = {key if isinstance(key, str) else key[0] for key in catalog}
    # An entry with a context is compiled under "context\x04msgid".
    missing = [e.msgid for e in entries if e.key not in compiled]
    if missing:
        problems.append(
            f"{mo} lacks {len(missing)} strings, e.g. {missing[0][:50]!r}: run `make messages`"
        )
    return problems


def main() -> int:
    catalogues = sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po"))
    problems = [problem for po in catalogues for problem in check(po)]
    for problem in problems:
        print(problem)
    if not catalogues:
        print("no catalogues found under locale/")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
