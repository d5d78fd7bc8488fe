"""Money amounts in ad text, with their currency and pay period.

"USD 3.000 al mes", "R$ 5 mil por mês", "2.500 euros mensuales", "$800 semanales",
"sueldo diario de 50 soles", "€1500/mes" are each one amount, normalised as
"3000 USD/month" ("3000 USD" when no period is said). A bare "$" is the currency of the
ad's country (pesos in Mexico, Colombia, Argentina, Chile; dollars in Ecuador, El
Salvador, Panama, Puerto Rico; reais in Brazil), and "pesos" too. A number with neither
a currency nor a pay word next to it is not an amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpora.normalize import fold_text

_DOLLAR_COUNTRIES = {"EC": "USD", "SV": "USD", "PA": "USD", "PR": "USD", "US": "USD",
                     "MX": "MXN", "CO": "COP", "AR": "ARS", "CL": "CLP", "UY": "UYU",
                     "DO": "DOP", "CU": "CUP", "BR": "BRL"}
_PESO_COUNTRIES = {"MX": "MXN", "CO": "COP", "AR": "ARS", "CL": "CLP", "UY": "UYU",
                   "DO": "DOP", "CU": "CUP", "PH": "PHP"}
# Symbols and codes written before (or after) the amount; folded text (lowercase, no accents).
_SYMBOLS = {"us$": "USD", "u$s": "USD", "usd": "USD", "u$": "USD", "r$": "BRL", "brl": "BRL",
            "eur": "EUR", "€": "EUR", "£": "GBP", "gbp": "GBP", "s/.": "PEN", "s/": "PEN",
            "pen": "PEN", "mxn": "MXN", "cop": "COP", "clp": "CLP", "ars": "ARS", "bs.": "VES",
            "bs": "VES", "gs.": "PYG", "q": "GTQ", "l.": "HNL", "₡": "CRC", "₲": "PYG", "$": "$"}
_WORDS = {"dolares": "USD", "dolar": "USD", "dollars": "USD", "euros": "EUR", "euro": "EUR",
          "reais": "BRL", "real": "BRL", "reales": "BRL", "soles": "PEN", "sol": "PEN",
          "bolivares": "VES", "quetzales": "GTQ", "lempiras": "HNL", "colones": "CRC",
          "guaranies": "PYG", "libras": "GBP", "yenes": "JPY", "pesos": "pesos", "peso": "pesos"}
_PERIODS = [
    ("hour", r"(?:por|la|a la|/|p/|x)\s*(?:hora|hr|h)\b|por hora|a hora"),
    ("day", r"(?:al|por|/|x|p/|ao|a o)\s*dia\b|diarios?\b|diarias?\b|por jornada"),
    ("week", r"(?:a la|por|/|x|p/|ao|a)\s*semana\b|semanal(?:es)?\b|semanais\b"),
    ("fortnight", r"(?:por|/|a la)\s*(?:quincena|quinzena)\b|quincenal(?:es)?\b|quinzena(?:l|is)\b"),
    ("month", r"(?:al|por|/|x|p/|ao|a o|o)\s*mes\b|mensual(?:es)?\b|mensa(?:l|is)\b"),
    ("year", r"(?:al|por|/|ao|a o)\s*(?:ano|anos)\b|anual(?:es)?\b|anua(?:l|is)\b"),
]
_PERIOD_AFTER = re.compile(r"^[\s,.:]{0,3}(?:" + "|".join(
    f"(?P<{name}>{pattern})" for name, pattern in _PERIODS) + ")")
_PERIOD_BEFORE = re.compile(r"(?:" + "|".join(
    f"(?P<{name}>{pattern})" for name, pattern in _PERIODS) + r")\s*(?:de|:)?\s*$")

_NUMBER = r"\d{1,3}(?:[.,  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MULTIPLIER = r"(?:\s?(?:mil|k|millones|millon|milhoes|milhao|mi|m)\b)?"
_SYMBOL = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_WORD = "|".join(sorted(_WORDS, key=len, reverse=True))
_AMOUNT = re.compile(
    r"(?<![\w$€£])(?:(?P<pre>" + _SYMBOL + r")\s?(?P<n1>" + _NUMBER + r")(?P<m1>" + _MULTIPLIER
    + r")(?:\s?(?P<post1>" + _WORD + r")\b)?"
    r"|(?P<n2>" + _NUMBER + r")(?P<m2>" + _MULTIPLIER + r")\s?(?:de\s)?(?P<post2>"
    + _WORD + r"|" + _SYMBOL + r")(?![\w]))", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_MULTIPLIERS = {"mil": 1e3, "k": 1e3, "m": 1e6, "mi": 1e6, "millon": 1e6, "millones": 1e6,
                "milhao": 1e6, "milhoes": 1e6}


@dataclass(frozen=True)
class FoundMoney:
    """An amount at `start:end`: its value, ISO 4217 currency (or "?"), and period."""

    start: int
    end: int
    amount: float
    currency: str
    period: str | None

    @property
    def normalised(self) -> str:
        amount = f"{self.amount:.2f}".rstrip("0").rstrip(".")
        return f"{amount} {self.currency}" + (f"/{self.period}" if self.period else "")


def find_money(text: str, country: str | None) -> list[FoundMoney]:
    """Every amount with a currency in `text`, in order."""
    if not _DIGIT.search(text):
        return []
    folded = fold_text(text)
    found = []
    for match in _AMOUNT.finditer(folded):
        number = match.group("n1") or match.group("n2")
        multiplier = (match.group("m1") or match.group("m2") or "").strip().lower()
        symbol = (match.group("pre") or match.group("post2") or "").lower()
        word = (match.group("post1") or "").lower()
        currency = _currency(symbol, word, country)
        amount = parse_amount(number) * _MULTIPLIERS.get(multiplier, 1.0)
        end = match.end()
        period = None
        if after := _PERIOD_AFTER.match(folded[end:end + 24]):
            period = after.lastgroup
            end += after.end()
        elif before := _PERIOD_BEFORE.search(folded[max(0, match.start() - 30):match.start()]):
            period = before.lastgroup
        found.append(FoundMoney(match.start(), end, amount, currency, period))
    return found


def parse_amount(number: str) -> float:
    """A written amount as a number: "3.000" and "3,000" are 3000, "3,50" is 3.5,
    "1.500,50" and "1,500.50" are 1500.5 (the last separator followed by one or two
    digits is the decimal one)."""
    number = number.replace(" ", "").replace("\u00a0", "")
    last = max(number.rfind("."), number.rfind(","))
    if last >= 0 and len(number) - last - 1 in (1, 2):
        whole, decimals = number[:last], number[last + 1:]
    else:
        whole, decimals = number, ""
    whole = whole.replace(".", "").replace(",", "")
    return float(f"{whole}.{decimals}" if decimals else whole)


def _currency(symbol: str, word: str, country: str | None) -> str:
    country = (country or "").upper()
    if word and _WORDS[word] != "pesos":
        return _WORDS[word]
    if word == "pesos" or _WORDS.get(symbol) == "pesos":
        return _PESO_COUNTRIES.get(country, "?")
    code = _SYMBOLS.get(symbol) or _WORDS.get(symbol, "?")
    if code == "$":
        return _DOLLAR_COUNTRIES.get(country, "?")
    return code
