// Measuring distance and area (planar in the city's UCS-2000 TM zone, where map lengths are
// true to a few parts in 10,000), and the cursor's coordinates in WGS 84 and UCS-2000.
import { t, formatNumber } from "./i18n.js";
import { empty } from "./map.js";

export class Ucs2000 {
  constructor(config) {
    this.srid = config.ucs2000.srid;
    this.project = proj4("WGS84", config.ucs2000.proj4);
  }

  // [easting, northing] in metres of a [lon, lat]
  forward(lngLat) { return this.project.forward(lngLat); }
}

export class Coordinates {
  constructor(map, ucs) {
    this.map = map;
    this.ucs = ucs;
    this.box = document.getElementById("coords");
    map.on("mousemove", (e) => this.show(e.lngLat));
    map.on("click", (e) => this.show(e.lngLat));
    map.on("moveend", () => { if (!this.box.textContent) this.show(map.getCenter()); });
    document.addEventListener("langchange", () => { if (this.last) this.show(this.last); });
  }

  show(lngLat) {
    this.last = lngLat;
    const [east, north] = this.ucs.forward([lngLat.lng, lngLat.lat]);
    this.box.replaceChildren();
    const wgs = document.createElement("span");
    wgs.className = "wgs84";
    // degrees with a point, as GIS tools take them when pasted; the hemispheres in words
    wgs.textContent = `WGS 84: ${t("latLon", { lat: lngLat.lat.toFixed(6), lon: lngLat.lng.toFixed(6) })}`;
    const ucs = document.createElement("span");
    ucs.className = "ucs2000";
    ucs.dataset.x = north.toFixed(2);
    ucs.dataset.y = east.toFixed(2);
    // Ukrainian survey convention: X is the northing, Y the easting
    ucs.textContent = `${t("ucs2000")} (EPSG:${this.ucs.srid}): X ${north.toFixed(2)}, Y ${east.toFixed(2)}`;
    this.box.append(wgs, ucs);
  }
}

export class Measure {
  constructor(map, ucs, identify) {
    this.map = map;
    this.ucs = ucs;
    this.identify = identify;
    this.mode = null;
    this.points = [];
    this.cursor = null;
    this.result = document.getElementById("measure-result");
    this.buttons = { distance: document.getElementById("measure-distance"),
      area: document.getElementById("measure-area") };
    for (const [mode, button] of Object.entries(this.buttons)) {
      button.addEventListener("click", () => this.toggle(mode));
    }
    map.on("click", (e) => this.add(e.lngLat));
    map.on("mousemove", (e) => { if (this.mode && this.points.length) { this.cursor = e.lngLat; this.draw(); } });
    map.on("dblclick", (e) => { if (this.mode) { e.preventDefault(); this.finish(); } });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && this.mode) this.toggle(this.mode); });
    document.addEventListener("langchange", () => this.draw());
  }

  addLayers() {
    this.map.addSource("measure", { type: "geojson", data: empty() });
    this.map.addLayer({ id: "measure-fill", type: "fill", source: "measure",
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": "#1565c0", "fill-opacity": 0.15 } });
    this.map.addLayer({ id: "measure-line", type: "line", source: "measure",
      paint: { "line-color": "#1565c0", "line-width": 2, "line-dasharray": [2, 1] } });
    this.map.addLayer({ id: "measure-points", type: "circle", source: "measure",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 4, "circle-color": "#fff", "circle-stroke-color": "#1565c0",
        "circle-stroke-width": 2 } });
  }

  toggle(mode) {
    const off = this.mode === mode;
    this.mode = off ? null : mode;
    this.points = [];
    this.cursor = null;
    this.finished = false;
    for (const [m, b] of Object.entries(this.buttons)) b.setAttribute("aria-pressed", String(m === this.mode));
    this.identify.enabled = !this.mode;
    if (this.mode) this.identify.clear();
    this.map.doubleClickZoom[this.mode ? "disable" : "enable"]();
    this.map.getCanvas().style.cursor = this.mode ? "crosshair" : "";
    this.draw();
  }

  add(lngLat) {
    if (!this.mode) return;
    if (this.finished) { this.points = []; this.finished = false; }
    this.points.push([lngLat.lng, lngLat.lat]);
    this.draw();
  }

  finish() {
    this.finished = true;
    this.cursor = null;
    this.draw();
  }

  // metres in UCS-2000 of the path (and, for areas, m² of the ring)
  static measure(coords, ucs, closed) {
    const xy = coords.map((c) => ucs.forward(c));
    let length = 0;
    for (let i = 1; i < xy.length; i++) length += Math.hypot(xy[i][0] - xy[i - 1][0], xy[i][1] - xy[i - 1][1]);
    let area = 0;
    if (closed && xy.length >= 3) {
      length += Math.hypot(xy[0][0] - xy.at(-1)[0], xy[0][1] - xy.at(-1)[1]);
      for (let i = 0; i < xy.length; i++) {
        const [x1, y1] = xy[i];
        const [x2, y2] = xy[(i + 1) % xy.length];
        area += x1 * y2 - x2 * y1;
      }
      area = Math.abs(area) / 2;
    }
    return { length, area };
  }

  draw() {
    const source = this.map.getSource("measure");
    if (!this.mode) {
      source?.setData(empty());
      this.result.hidden = true;
      return;
    }
    const coords = this.cursor ? [...this.points, [this.cursor.lng, this.cursor.lat]] : this.points;
    const features = coords.map((c) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: c } }));
    const closed = this.mode === "area";
    if (coords.length >= 2) {
      const ring = closed && coords.length >= 3;
      features.push({ type: "Feature", properties: {}, geometry: ring
        ? { type: "Polygon", coordinates: [[...coords, coords[0]]] }
        : { type: "LineString", coordinates: coords } });
    }
    source?.setData({ type: "FeatureCollection", features });
    const { length, area } = Measure.measure(coords, this.ucs, closed);
    this.result.hidden = false;
    this.result.dataset.metres = length.toFixed(2);
    this.result.dataset.squareMetres = area.toFixed(2);
    if (coords.length < 2) { this.result.textContent = t("measureHint"); return; }
    this.result.textContent = closed
      ? `${t("area")}: ${formatArea(area)} (${t("perimeter")} ${formatLength(length)})`
      : `${t("distance")}: ${formatLength(length)}`;
  }
}

function formatLength(m) {
  return m >= 1000 ? `${formatNumber(m / 1000, 3)} ${t("km")}` : `${formatNumber(m, 1)} ${t("m")}`;
}

function formatArea(m2) {
  return m2 >= 10000 ? `${formatNumber(m2 / 10000, 4)} ${t("ha")}` : `${formatNumber(m2, 1)} ${t("m2")}`;
}
