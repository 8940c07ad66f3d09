"""Requests at the edges of OGC API – Features (a bbox across the antimeridian)."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg


def get(server: str, path: str, headers: dict[str, str] | None = None,
        **params: Any) -> httpx.Response:
    return httpx.get(f"{server}{path}", params=params, headers=headers, timeout=60)


def test_a_bbox_across_the_antimeridian_is_its_two_halves(server: str,
                                                          demo_url: str) -> None:
    """OGC API Features Part 1, 7.15.3: a box over 180° has its west-most edge first (minx >
    maxx). It was refused as "lower corner above its upper one"."""
    with psycopg.connect(demo_url) as conn:
        total, x0, y0, x1, y1 = conn.execute(
            "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT count(*) "
            "AS n, ST_Extent(ST_Transform(geom, 4326))::geometry AS e "
            "FROM open_data.land_parcel) s").fetchone()  # type: ignore[misc]
    cut = round((x0 + x1) / 2, 4)  # a meridian through the city
    south, north = round(y0 - 0.01, 4), round(y1 + 0.01, 4)

    def matched(**params: str) -> int:
        r = get(server, "/collections/land_parcels/items", f="json", limit="1", **params)
        assert r.status_code == 200, r.text
        return int(r.json()["numberMatched"])

    west = matched(bbox=f"-180,{south},{cut},{north}")
    east = matched(bbox=f"{cut},{south},180,{north}")
    assert 0 < west < total and 0 < east < total  # the meridian cuts the city in two
    assert matched(bbox=f"170,{south},{cut},{north}") == west  # [170, 180] and [-180, cut]
    assert matched(bbox=f"{cut},{south},-179,{north}") == east  # [cut, 180] and [-180, -179]
    assert matched(bbox=f"{south},170,{north},{cut}",  # the same box in EPSG:4326's axis order
                   **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}) == west
    assert matched(filter=f"S_INTERSECTS(geometry, BBOX(170, {south}, {cut}, {north}))") == west
    html = get(server, "/collections/land_parcels/items", f="html", limit="1",
               bbox=f"170,{south},{cut},{north}")
    assert html.status_code == 200
    # a projected box stays a box: minx > maxx there is still a mistake
    r = get(server, "/collections/land_parcels/items", f="json",
            bbox="5480000,-140000,5470000,-130000",
            **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/6383"})
    assert r.status_code == 400 and "lower corner" in r.json()["detail"]
