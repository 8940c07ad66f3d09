"""Colours a resident can read: status colours told apart with colour-blind eyes, text contrast.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira and Fernandes
(2009, severity 1.0) on linear sRGB; colours are compared in CIELAB with CIEDE2000. Contrast is
WCAG 2.1's ratio (AA: 4.5:1 for text).
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest

from registries.styles import RANGE_COLOURS, STATUS_COLOURS, contrast_ratio, text_on

MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
}
MIN_DELTA_E = 15.0  # CIEDE2000: clearly different at a glance (≈ 2.3 is just noticeable)
CSS = Path(__file__).resolve().parent.parent / "app" / "static" / "portal" / "portal.css"


def linear(colour: str) -> list[float]:
    out = []
    for i in (1, 3, 5):
        v = int(colour[i:i + 2], 16) / 255
        out.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    return out


def lab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def simulate(colour: str, vision: str) -> tuple[float, float, float]:
    m = MACHADO[vision]
    v = linear(colour)
    seen = [min(1.0, max(0.0, sum(m[i][j] * v[j] for j in range(3)))) for i in range(3)]
    return lab(seen)


def ciede2000(c1: tuple[float, float, float], c2: tuple[float, float, float]) -> float:
    """Return the CIEDE2000 colour difference (Sharma, Wu, Dalal 2005)."""
    (l1, a1, b1), (l2, a2, b2) = c1, c2
    cb = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cb ** 7 / (cb ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    dhh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lb, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hb = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hb = (h1p + h2p) / 2
    else:
        hb = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hb - 30)) + 0.24 * math.cos(math.radians(2 * hb))
         + 0.32 * math.cos(math.radians(3 * hb + 6)) - 0.2 * math.cos(math.radians(4 * hb - 63)))
    dth = 30 * math.exp(-(((hb - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbp ** 7 / (cbp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lb - 50) ** 2 / math.sqrt(20 + (lb - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(2 * dth)) * rc
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2
                     + rt * (dc / sc) * (dhh / sh))


def test_ciede2000_matches_the_published_test_data() -> None:
    # Sharma, Wu and Dalal (2005), table 1, pairs 1 and 17
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def test_the_simulation_confuses_what_colour_blind_people_confuse() -> None:
    """The check has teeth: classic red and green merge for deuteranopes."""
    red, green = "#c62828", "#2e7d32"  # the geoportal's former expired and valid
    assert ciede2000(simulate(red, "normal vision"), simulate(green, "normal vision")) > 40
    assert ciede2000(simulate(red, "deuteranopia"), simulate(green, "deuteranopia")) < 10


@pytest.mark.parametrize("palette", [STATUS_COLOURS, RANGE_COLOURS],
                         ids=["permit statuses", "road closure statuses"])
@pytest.mark.parametrize("vision", list(MACHADO))
def test_status_colours_stay_apart_for_colour_blind_eyes(palette: dict[str, str],
                                                         vision: str) -> None:
    close = [(a, b, round(d, 1)) for a, b in itertools.combinations(palette, 2)
             if (d := ciede2000(simulate(palette[a], vision), simulate(palette[b], vision)))
             < MIN_DELTA_E]
    assert close == [], f"too alike with {vision}: {close}"


@pytest.mark.parametrize("colour", sorted({*STATUS_COLOURS.values(), *RANGE_COLOURS.values()}))
def test_status_badge_text_meets_wcag_aa(colour: str) -> None:
    assert contrast_ratio(text_on(colour), colour) >= 4.5


def test_page_text_colours_meet_wcag_aa() -> None:
    css = CSS.read_text(encoding="utf-8")
    variables = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    for name in ("muted", "accent", "text"):
        assert contrast_ratio(variables[name], "#ffffff") >= 4.5, name
        assert contrast_ratio(variables[name], "#f5f7fa") >= 4.5, name  # panels, status bar
    assert contrast_ratio("#ffffff", variables["bar"]) >= 4.5  # the header
