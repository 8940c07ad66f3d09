"""What the sheet's tables and legend say: values as people read them, from the declarations.

Field titles are ``Field.title``, code values their ``CodeList`` titles, statuses the term
status titles; dates are written ``dd.mm.yyyy`` and decimals with a comma, as Ukrainian
documents write them. Nothing here reads the database: the values come from the same item and
report the API serves.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from extracts.catalogue import Catalogue, format_bearing
from extracts.layout import grid_step
from extracts.map_frame import HIGHLIGHT
from extracts.pdf import LegendEntry, TableBlock
from extracts.render import MapLayer
from registries.model import Field, FieldType, Registry
from registries.styles import STATUS_COLOURS, STATUS_TITLES


def decimal(value: float, digits: int, group: bool = False) -> str:
    """Return ``value`` with ``digits`` decimals and a decimal comma.

    >>> decimal(5476633.126, 2), decimal(1234.5, 1, group=True)
    ('5476633,13', '1 234,5')
    """
    text = f"{value:,.{digits}f}" if group else f"{value:.{digits}f}"
    return text.replace(",", " ").replace(".", ",")


def local_date(iso: str) -> str:
    """Return an ISO date as ``dd.mm.yyyy``.

    >>> local_date("2026-11-01")
    '01.11.2026'
    """
    try:
        return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return iso


def field_value(f: Field, value: Any, references: dict[str, str]) -> str | None:
    """Return how the sheet writes ``value`` of field ``f`` (None: nothing to print)."""
    if value is None or value == "" or value == []:
        return None
    if f.name in references:
        return references[f.name]
    if f.name == "status" and isinstance(value, str) and value in STATUS_TITLES:
        return STATUS_TITLES[value]["uk"]
    if f.choices is not None and isinstance(value, str):
        return f.choice_title(value)
    if f.type == FieldType.DATE and isinstance(value, str):
        return local_date(value)
    if f.type == FieldType.BOOLEAN:
        return "так" if value else "ні"
    if f.type == FieldType.NUMBER and isinstance(value, int | float):
        return decimal(float(value), f.scale if f.scale is not None else 2, group=True)
    if f.type == FieldType.JSON:
        return _json_text(value)
    return str(value)


def _json_text(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return "; ".join(", ".join(str(x) for x in v.values() if x not in (None, ""))
                         for v in value)
    return json.dumps(value, ensure_ascii=False)


def attribute_rows(reg: Registry, props: dict[str, Any], fields: tuple[Field, ...],
                   references: dict[str, str]) -> list[tuple[str, str]]:
    """Return (title, value) of every readable field of the object that has a value."""
    rows = []
    for f in fields:
        if f.name not in props:
            continue
        text = field_value(f, props[f.name], references)
        if text is not None:
            rows.append((f.title.get("uk") or f.name, text))
    return rows


def attributes_block(rows: list[tuple[str, str]]) -> TableBlock:
    return TableBlock("Відомості про об'єкт", None, rows, (0.42, 0.58))


def catalogue_block(cat: Catalogue, crs_short: str) -> TableBlock:
    """Return the boundary-point catalogue with its area check under it."""
    rows = [(str(p.number), decimal(p.x, 2), decimal(p.y, 2), format_bearing(p.bearing),
             decimal(p.length, 2)) for p in cat.points]
    notes = []
    inner = [p.number for p in cat.points if p.inner]
    if inner:
        notes.append(f"Точки {inner[0]}–{inner[-1]}: внутрішній контур.")
    contours = {p.contour for p in cat.points if not p.inner}
    if len(contours) > 1:
        notes.append(f"Ділянка з {len(contours)} контурів; нумерацію продовжено.")
    area = (f"Площа за координатами: {decimal(cat.area_ha, 4)} га "
            f"({decimal(cat.area_m2, 2, group=True)} м²)")
    if cat.declared_ha is not None:
        diff = cat.difference_ha or 0.0
        tolerance = max(cat.error_ha or 0.0, 0.0001)
        verdict = ("у межах допуску" if cat.within_tolerance
                   else "перевищує допуск")
        area += (f"; за документами: {decimal(cat.declared_ha, 4)} га; різниця "
                 f"{'+' if diff > 0 else ''}{decimal(diff, 4)} га — {verdict} "
                 f"({decimal(tolerance, 4)} га)")
    notes.append(area + ".")
    notes.append(f"Периметр: {decimal(cat.perimeter_m, 2, group=True)} м. Довжина лінії — до "
                 "наступної точки; дирекційний кут — від північного напрямку сітки.")
    return TableBlock(f"Каталог координат меж ({crs_short})",
                      ("№", "X, м", "Y, м", "Дир. кут", "Довжина, м"), rows,
                      (0.09, 0.26, 0.24, 0.18, 0.23), numeric=(1, 2, 4), notes=tuple(notes),
                      new_column=True)


def point_block(e: float, n: float, crs_short: str) -> TableBlock:
    return TableBlock(f"Координати ({crs_short})", ("X, м", "Y, м"),
                      [(decimal(n, 2), decimal(e, 2))], (0.5, 0.5), numeric=(0, 1),
                      new_column=True)


def zones_block(report: dict[str, Any]) -> TableBlock | None:
    zones = report.get("zones") or []
    touching = report.get("zones_touching") or []
    if not zones and not touching:
        return None
    rows = [(f"{z.get('zone_code', '')} — {z.get('zone_name') or ''}".strip(" —"),
             decimal(z["area_m2"], 1, group=True), decimal(z["share_pct"], 1)) for z in zones]
    notes = ("Торкається межі: " + ", ".join(str(z.get("zone_code")) for z in touching) + ".",
             ) if touching else ()
    return TableBlock("Територіальні зони (план зонування)", ("Зона", "Площа, м²", "Частка, %"),
                      rows, (0.6, 0.22, 0.18), numeric=(1, 2), notes=notes)


def restrictions_block(report: dict[str, Any]) -> TableBlock:
    items = report.get("restrictions") or []
    touching = report.get("restrictions_touching") or []
    rows = [(str(r.get("name") or ""), " ".join(v for v in (r.get("dzk_code"), r.get("dzk_name"))
                                                if v) or "—",
             decimal(r["area_m2"], 1, group=True), decimal(r["share_pct"], 1)) for r in items]
    notes = []
    if not items:
        notes.append("Обмежень у використанні, що поширюються на ділянку, не виявлено.")
    if touching:
        notes.append("Торкається межі: " + "; ".join(str(r.get("name")) for r in touching) + ".")
    red = report.get("red_line")
    if red:
        where = ("перетинає ділянку" if red.get("crosses_parcel")
                 else f"{decimal(red['distance_m'], 1)} м від ділянки")
        notes.append(f"Найближча червона лінія ({red.get('street') or 'без назви'}): {where}.")
    header = ("Обмеження", "Код ДЗК", "Площа, м²", "Частка, %") if rows else None
    return TableBlock("Обмеження у використанні земель", header,
                      rows, (0.42, 0.26, 0.17, 0.15), numeric=(2, 3), notes=tuple(notes))


def report_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the parcel report's facts that belong in the attribute table."""
    rows = []
    parcel = report.get("parcel", {})
    if parcel.get("purpose_name"):
        rows.append(("Вид цільового призначення (КВЦПЗ)", str(parcel["purpose_name"])))
    addresses = [a["address"] for a in report.get("addresses", []) if a.get("address")]
    if addresses:
        rows.append(("Адреси на ділянці", "; ".join(addresses)))
    b = report.get("buildings") or {}
    if b.get("count"):
        rows.append(("Будівлі на ділянці", f"{b['count']}, площа забудови "
                                           f"{decimal(b['footprint_m2'], 1, group=True)} м²"))
    neighbours = report.get("neighbours") or []
    if neighbours:
        rows.append(("Суміжні ділянки", ", ".join(n["cadastral_number"] for n in neighbours)))
    return rows


def legend_entries(layers: list[MapLayer], *, target: bool, points: bool,
                   scale: int) -> list[LegendEntry]:
    """Return the legend of what the map shows: only layers with features in the frame."""
    out: list[LegendEntry] = []
    if target:
        out.append(LegendEntry("target", "Об'єкт витягу"))
    if points:
        out.append(LegendEntry("points", "Межова точка та її номер"))
    for layer in reversed(layers):  # top layers first, as a reader scans a map
        if not layer.features:
            continue
        s, title = layer.style, layer.reg.title.get("uk", layer.reg.id)
        kind = {"Point": "point", "LineString": "line", "MultiLineString": "line"}.get(
            str(layer.reg.geometry), "fill")
        if s.by_status:
            present = sorted({f.status for f in layer.features if f.status},
                             key=lambda st: list(STATUS_COLOURS).index(st)
                             if st in STATUS_COLOURS else 99)
            for st in present:
                c = STATUS_COLOURS.get(st, s.colour)
                out.append(LegendEntry(kind, f"{title}: {STATUS_TITLES[st]['uk'].lower()}",
                                       fill=c, stroke=s.outline or c, opacity=max(s.opacity,
                                                                                  0.6)))
            continue
        line = s.outline if kind == "line" and s.colour.lower() == "#ffffff" else s.colour
        out.append(LegendEntry(kind, title, fill=s.colour,
                               stroke=line if kind == "line" else (s.outline or s.colour),
                               opacity=s.opacity))
        if layer.note and any(f.label for f in layer.features):
            sample = next(f.label for f in layer.features if f.label)
            out.append(LegendEntry("label", layer.note, fill="#4e342e", stroke=sample))
    out.append(LegendEntry("grid", f"Сітка через 10 см ({grid_step(scale):g} м)"))
    return out


__all__ = ["HIGHLIGHT", "attribute_rows", "attributes_block", "catalogue_block",
           "legend_entries", "point_block", "report_rows", "restrictions_block",
           "zones_block"]
