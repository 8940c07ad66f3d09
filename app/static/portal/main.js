// The geoportal page: wires the map, the layer panel, search, identify, measure, permalink,
// print and the language switch. `window.portal` exposes the state for tests and benchmarks.
import { applyStrings, initialLang, lang, setLang } from "./i18n.js";
import { createMap, flyToGeometry } from "./map.js";
import { LayerPanel, renderLegend } from "./layers.js";
import { SearchBox } from "./search.js";
import { Identify, toast } from "./identify.js";
import { Coordinates, Measure, Ucs2000 } from "./measure.js";
import { Permalink, readPermalink } from "./permalink.js";
import { PrintDialog } from "./print.js";

const config = JSON.parse(document.getElementById("portal-config").textContent);
const portal = { config, ready: false, metrics: {}, errors: [] };
window.portal = portal;

async function start() {
  const link = readPermalink();
  initialLang();
  applyStrings(document);
  renderLegend(config);
  setupPanelToggle();

  const { map, style, metrics, loaded } = await createMap(config, link.view);
  portal.map = map;
  portal.metrics = metrics;
  map.on("error", (e) => { portal.errors.push(String(e.error?.message ?? e.error)); });
  await loaded;

  const layers = new LayerPanel(map, style, config);
  const ucs = new Ucs2000(config);
  let selected = null;
  const permalink = new Permalink(map, () => ({ object: selected, lang: lang() }));
  const identify = new Identify(map, layers, config, (sel) => {
    selected = sel ? { collection: sel.collection, id: sel.id } : null;
    permalink.update();
  });
  new Coordinates(map, ucs);
  const measure = new Measure(map, ucs, identify);
  measure.addLayers();
  new PrintDialog(map, config);
  const search = new SearchBox(config, async (hit) => {
    flyToGeometry(map, hit.geometry);
    const feature = await identify.show(hit.collection, hit.id);
    if (feature?.geometry && feature.geometry.type !== "Point") flyToGeometry(map, feature.geometry);
  });

  document.getElementById("lang-switch").addEventListener("click", () => {
    setLang(lang() === "uk" ? "en" : "uk");
    renderLegend(config);
    permalink.update();
  });
  document.addEventListener("langchange", () => renderLegend(config));

  if (link.object) {
    const feature = await identify.show(link.object.collection, link.object.id);
    if (feature?.geometry && !link.view) flyToGeometry(map, feature.geometry);
  }
  Object.assign(portal, { layers, identify, measure, search, permalink, ucs, ready: true });
  document.body.dataset.ready = "true";
  // signed-in staff get the editor; the server serves its code to them alone (editor_routes.py)
  if (document.cookie.includes("gis_csrf=")) {
    import("/static/editor/editor.js").then((m) => m.start(portal))
      .catch((err) => console.warn("editor:", err.message));
  }
}

function setupPanelToggle() {
  const button = document.getElementById("panel-toggle");
  const side = document.getElementById("side");
  const narrow = window.matchMedia("(max-width: 720px)");
  const set = (open) => {
    side.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    // the map's size changes with the panel on wide screens
    requestAnimationFrame(() => portal.map?.resize());
  };
  set(!narrow.matches);
  button.addEventListener("click", () => set(!side.classList.contains("open")));
}

start().catch((err) => {
  console.error(err);
  toast(`${err.message}`);
  document.body.dataset.ready = "error";
});
