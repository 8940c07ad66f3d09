// The map: the city's own MapLibre style (its base map and registries from this server's
// vector tiles, labels in the page's language), an optional raster base layer, the highlight
// of the chosen object, keeping it in sight above a card, and the timings of the first paint.
import { lang, t } from "./i18n.js";

const HIGHLIGHT = "#ff6f00";

export async function createMap(config, view) {
  // the style comes with the page (no request before the first tile); labels in the language
  const style = config.style ? structuredClone(config.style)
    : await getJson(`${config.styleUrl}${lang() === "en" ? "?lang=en" : ""}`);
  for (const layer of style.layers) {
    const texts = layer.metadata?.["hromada:text"];
    if (texts) layer.layout["text-field"] = texts[lang()];
  }
  if (config.basemap) addBasemap(style, config.basemap);
  const map = new maplibregl.Map({
    container: "map",
    style,
    // a permalink's view, or the style's (the city centre at zoom 13)
    ...(view ? { center: view.center, zoom: view.zoom }
      : style.center ? { center: style.center, zoom: style.zoom ?? 13 }
        : { bounds: config.bounds }),
    maxPitch: 0,
    dragRotate: false,
    pitchWithRotate: false,
    attributionControl: { compact: true },
    locale: mapLocale(),
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.scaleBar = new maplibregl.ScaleControl({ unit: "metric" });
  map.addControl(map.scaleBar, "bottom-left");
  const metrics = {};
  map.once("render", () => { metrics.firstRenderMs = performance.now(); });
  map.once("load", () => { metrics.loadMs = performance.now(); addHighlightLayers(map); });
  map.once("idle", () => { metrics.firstIdleMs = performance.now(); });
  // the first moment a label is on screen: the map reads as a city map from then on
  const labelled = () => {
    if (metrics.firstLabelMs) return;
    const labels = style.layers.filter((l) => l.type === "symbol").map((l) => l.id);
    if (labels.length && map.queryRenderedFeatures({ layers: labels }).length) {
      metrics.firstLabelMs = performance.now();
      map.off("render", labelled);
    }
  };
  map.on("render", labelled);
  document.addEventListener("langchange", () => setLabelLanguage(map, style));
  const loaded = new Promise((resolve) => map.once("load", resolve));
  return { map, style, metrics, loaded };
}

// every string of MapLibre's that a control of ours shows, in the page's language
function mapLocale() {
  return { "NavigationControl.ZoomIn": t("zoomIn"), "NavigationControl.ZoomOut": t("zoomOut"),
    "GeolocateControl.FindMyLocation": t("myLocation"),
    "GeolocateControl.LocationNotAvailable": t("locationFailed"),
    "Map.Title": t("mapLabel"), "AttributionControl.ToggleAttribution": t("attribution"),
    "ScaleControl.Meters": t("metres"), "ScaleControl.Kilometers": t("kilometres") };
}

// the controls MapLibre has drawn already, by class, and the string each is titled with
const BUTTON_TITLES = { "maplibregl-ctrl-zoom-in": "zoomIn", "maplibregl-ctrl-zoom-out": "zoomOut",
  "maplibregl-ctrl-geolocate": "myLocation", "maplibregl-ctrl-attrib-button": "attribution" };

// MapLibre reads its strings when a control is drawn, from the locale the map was made with
// (it has no setter): a switch of language updates that locale, the labels drawn already and
// draws the scale bar again
function relabelControls(map) {
  Object.assign(map._locale, mapLocale());
  map.getCanvas().setAttribute("aria-label", t("mapLabel"));
  for (const [cls, key] of Object.entries(BUTTON_TITLES)) {
    for (const b of map.getContainer().querySelectorAll(`.${cls}`)) {  // attribution: a <summary>
      b.title = t(key);
      b.setAttribute("aria-label", t(key));
    }
  }
  if (map.scaleBar) {
    map.removeControl(map.scaleBar);
    map.scaleBar = new maplibregl.ScaleControl({ unit: "metric" });
    map.addControl(map.scaleBar, "bottom-left");
  }
}

// labels follow the page's language: each label layer carries both text fields
export function setLabelLanguage(map, style) {
  for (const layer of style.layers) {
    const texts = layer.metadata?.["hromada:text"];
    if (texts && map.getLayer(layer.id)) map.setLayoutProperty(layer.id, "text-field", texts[lang()]);
  }
  relabelControls(map);
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function addBasemap(style, basemap) {
  style.sources.basemap = {
    type: "raster", tiles: [basemap.tiles], tileSize: 256, maxzoom: basemap.maxzoom,
    attribution: basemap.attribution,
  };
  const at = style.layers.findIndex((l) => l.type === "background") + 1;
  style.layers.splice(at, 0, {
    id: "basemap", type: "raster", source: "basemap",
    metadata: { "hromada:collection": "basemap", "hromada:role": "raster" },
  });
}

function addHighlightLayers(map) {
  map.addSource("highlight", { type: "geojson", data: empty() });
  map.addLayer({ id: "highlight-fill", type: "fill", source: "highlight",
    filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": HIGHLIGHT, "fill-opacity": 0.2 } });
  map.addLayer({ id: "highlight-line", type: "line", source: "highlight",
    filter: ["!=", ["geometry-type"], "Point"],
    paint: { "line-color": HIGHLIGHT, "line-width": 3 } });
  map.addLayer({ id: "highlight-point", type: "circle", source: "highlight",
    filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)",
      "circle-stroke-color": HIGHLIGHT, "circle-stroke-width": 3 } });
}

export function empty() { return { type: "FeatureCollection", features: [] }; }

export function highlight(map, geometry) {
  const source = map.getSource("highlight");
  if (!source) return;
  source.setData(geometry ? { type: "Feature", properties: {}, geometry } : empty());
}

// the bounding box [w, s, e, n] of a GeoJSON geometry
export function bounds(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return box;
}

// the part of the map a card leaves free: a sheet along the bottom on a phone, a panel on
// the right on a wide screen
export function cardPadding(map, card) {
  const pad = { top: 40, bottom: 40, left: 40, right: 40 };
  const m = map.getContainer().getBoundingClientRect();
  // the card, and any panel that says it lies over the map (the editor's, top left)
  const over = new Set([card, ...document.querySelectorAll("[data-covers-map]")]);
  for (const el of over) {
    if (!el || el.hidden) continue;
    const c = el.getBoundingClientRect();
    if (!c.width || !c.height) continue;
    if (c.width >= m.width * 0.9) pad.bottom = Math.max(pad.bottom, m.bottom - c.top + 16);
    else if (c.left + c.width / 2 < m.left + m.width / 2) pad.left = Math.max(pad.left, c.right - m.left + 16);
    else pad.right = Math.max(pad.right, m.right - c.left + 16);
  }
  return pad;
}

// fly to a geometry: points at street zoom, areas and lines fitted to what the card leaves free
export function flyToGeometry(map, geometry, { card = null } = {}) {
  const [w, s, e, n] = bounds(geometry);
  const padding = cardPadding(map, card);
  if (geometry.type === "Point" || (e - w < 1e-5 && n - s < 1e-5)) {
    map.flyTo({ center: [(w + e) / 2, (s + n) / 2], zoom: Math.max(map.getZoom(), 17.5),
      offset: offsetOf(padding), essential: true });
  } else {
    map.fitBounds([[w, s], [e, n]], { padding, maxZoom: 18, essential: true });
  }
}

// keep a chosen object in sight: when the card covers its middle, move the map (not the zoom)
export function ensureVisible(map, geometry, card) {
  if (!geometry) return;
  // a flight under way (a search's) is not cut short at the zoom it has reached: the view
  // is checked where it ends
  if (map.isMoving()) { map.once("moveend", () => ensureVisible(map, geometry, card)); return; }
  const [w, s, e, n] = bounds(geometry);
  const p = map.project([(w + e) / 2, (s + n) / 2]);
  const pad = cardPadding(map, card);
  const { width, height } = map.getContainer().getBoundingClientRect();
  const inside = p.x > pad.left && p.x < width - pad.right && p.y > pad.top && p.y < height - pad.bottom;
  if (!inside) {
    map.easeTo({ center: [(w + e) / 2, (s + n) / 2], offset: offsetOf(pad), duration: 300 });
  }
}

// where the middle of the free part lies from the map's middle (an offset, not the map's
// padding, which would stay and shift every later view)
function offsetOf(pad) { return [(pad.left - pad.right) / 2, (pad.top - pad.bottom) / 2]; }
