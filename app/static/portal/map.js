// The map: the project's own MapLibre style (vector tiles, status colours), an optional raster
// base layer, the highlight of the chosen object, and the timings of the first paint.
const HIGHLIGHT = "#ff6f00";

export async function createMap(config, view) {
  const style = await getJson(config.styleUrl);
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
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  const metrics = {};
  map.once("render", () => { metrics.firstRenderMs = performance.now(); });
  map.once("load", () => { metrics.loadMs = performance.now(); addHighlightLayers(map); });
  map.once("idle", () => { metrics.firstIdleMs = performance.now(); });
  const loaded = new Promise((resolve) => map.once("load", resolve));
  return { map, style, metrics, loaded };
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
    metadata: { "hromada:collection": "basemap" },
  });
}

function addHighlightLayers(map) {
  map.addSource("highlight", { type: "geojson", data: empty() });
  map.addLayer({ id: "highlight-fill", type: "fill", source: "highlight",
    filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": HIGHLIGHT, "fill-opacity": 0.25 } });
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

// fly to a geometry: points at street zoom, areas and lines fitted to the screen
export function flyToGeometry(map, geometry, { padding = 60 } = {}) {
  const [w, s, e, n] = bounds(geometry);
  if (geometry.type === "Point" || (e - w < 1e-5 && n - s < 1e-5)) {
    map.flyTo({ center: [(w + e) / 2, (s + n) / 2], zoom: Math.max(map.getZoom(), 17.5),
      essential: true });
  } else {
    map.fitBounds([[w, s], [e, n]], { padding, maxZoom: 18, essential: true });
  }
}
