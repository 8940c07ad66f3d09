// The geoportal page: wires the map, the layer panel and legend, search, identify, the list
// view, measure, permalink, print and the language switch. `window.portal` exposes the state
// for tests and benchmarks; other features hook in through portal.hooks (run once the map is
// ready, e.g. an editor for signed-in staff) and card.registerCardLink.
import { applyStrings, initialLang, lang, setLang, t, tr } from "./i18n.js";
import { createMap, flyToGeometry } from "./map.js";
import { LayerPanel } from "./layers.js";
import { Legend } from "./legend.js";
import { Fields } from "./format.js";
import { SearchBox } from "./search.js";
import { Identify, toast } from "./identify.js";
import { ObjectList } from "./list.js";
import { Coordinates, Measure, Ucs2000 } from "./measure.js";
import { Permalink, readPermalink } from "./permalink.js";
import { PrintDialog } from "./print.js";
import { RasterLayers } from "./rasters.js";
import { objectName, registerCardLink } from "./card.js";

const config = JSON.parse(document.getElementById("portal-config").textContent);
const portal = { config, ready: false, metrics: {}, errors: [], hooks: [] };
window.portal = portal;

async function start() {
  const link = readPermalink();
  initialLang();
  applyStrings(document);
  describePage();
  const panel = setupSidePanel();

  const { map, style, metrics, loaded } = await createMap(config, link.view);
  portal.map = map;
  portal.style = style;
  portal.metrics = metrics;
  map.on("error", (e) => { portal.errors.push(String(e.error?.message ?? e.error)); });
  const geolocate = new maplibregl.GeolocateControl({
    positionOptions: { enableHighAccuracy: true }, trackUserLocation: false,
    fitBoundsOptions: { maxZoom: 17 } });
  map.addControl(geolocate, "top-right");
  geolocate.on("error", () => toast(t("locationFailed")));
  await loaded;

  const fields = new Fields(config);
  const layers = new LayerPanel(map, style, config);
  if (link.layers) layers.showOnly(link.layers);
  const legend = new Legend(map, style, config);
  const ucs = new Ucs2000(config);
  let selected = null;
  for (const [kind, statuses] of Object.entries(link.statuses ?? {})) legend.showOnly(kind, statuses);
  const permalink = new Permalink(map, () => ({ object: selected, lang: lang(),
    layers: layers.visibleCollections(), statuses: legend.state() }));
  const identify = new Identify(map, layers, config, fields, (sel) => {
    selected = sel?.collection ? { collection: sel.collection, id: sel.id } : null;
    permalink.update();
  });
  const list = new ObjectList(map, config, fields, identify);
  new Coordinates(map, ucs);
  const measure = new Measure(map, ucs, identify);
  measure.addLayers();
  new PrintDialog(map, config);
  // "Повідомити про помилку" on every card: the report dialog is its own module; a card
  // drawn before it came (a permalink's, on a slow network) is drawn again with the link
  import("/static/feedback/feedback.js")
    .then((m) => {
      registerCardLink((collection, feature) => m.reportLink(map, collection, feature,
        () => objectName(fields, collection, feature.properties)));
      identify.rerender();
    })
    .catch((err) => console.warn("feedback:", err.message));
  const card = document.getElementById("card");
  const search = new SearchBox(config, async (hit) => {
    flyToGeometry(map, hit.geometry, { card });
    const feature = await identify.show(hit.collection, hit.id);
    if (feature) identify.focusCard(document.getElementById("search-input"));
    if (feature?.geometry && feature.geometry.type !== "Point") flyToGeometry(map, feature.geometry, { card });
  });

  document.getElementById("lang-switch").addEventListener("click", () => {
    setLang(lang() === "uk" ? "en" : "uk");
    permalink.update();
  });
  document.addEventListener("langchange", describePage);
  panel.onList = () => list.refresh();

  if (link.object) {
    const feature = await identify.show(link.object.collection, link.object.id);
    if (feature?.geometry && !link.view) flyToGeometry(map, feature.geometry, { card });
  }
  // a permalink changed in the address bar (only the fragment: no reload) or a link within
  // the page: the view, layers, status filters, language and object it names (the page's own
  // updates replace the history entry, which fires no hashchange)
  window.addEventListener("hashchange", async () => {
    const next = readPermalink();
    if (next.lang && next.lang !== lang()) setLang(next.lang);
    if (next.layers) layers.showOnly(next.layers);
    // the legend's status filters: a link naming a view says them all (none: every status,
    // as the page writes its own links); a link naming only an object leaves them be
    if (next.view || next.statuses) {
      for (const kind of ["term", "range"]) legend.showOnly(kind, next.statuses?.[kind] ?? []);
    }
    if (next.view) map.jumpTo({ center: next.view.center, zoom: next.view.zoom });
    const same = next.object && selected && selected.collection === next.object.collection
      && String(selected.id) === String(next.object.id);
    if (next.object && !same) {
      const feature = await identify.show(next.object.collection, next.object.id);
      if (feature?.geometry && !next.view) flyToGeometry(map, feature.geometry, { card });
    }
    permalink.update();
  });
  const rasters = new RasterLayers(map);  // published plans and orthophotos under the vectors
  await rasters.load().catch((err) => console.warn("rasters:", err.message));
  Object.assign(portal, { layers, legend, identify, list, measure, search, permalink, ucs,
    fields, geolocate, rasters, ready: true });
  for (const hook of portal.hooks) await hook(portal);
  document.body.dataset.ready = "true";
  // signed-in staff get the editor; the server serves its code to them alone (editor_routes.py)
  if (document.cookie.includes("gis_csrf=")) {
    import("/static/editor/editor.js").then((m) => m.start(portal))
      .catch((err) => console.warn("editor:", err.message));
  }
}

// the page's title and heading in the page's language
function describePage() {
  document.title = tr(config.portalName);  // the server's name for it (CitySettings.portal_name)
  document.getElementById("page-heading").textContent = tr(config.portalName);
  document.getElementById("map").setAttribute("aria-label", t("mapLabel"));
}

// the side panel: open beside the map on a wide screen, a drawer on a phone; its tabs (layers
// and legend, list) and the legend button that opens it on a phone
function setupSidePanel() {
  const button = document.getElementById("panel-toggle");
  const side = document.getElementById("side");
  const narrow = window.matchMedia("(max-width: 720px)");
  const state = { onList: null };
  const set = (open) => {
    side.classList.toggle("open", open);
    document.body.classList.toggle("side-open", open);
    button.setAttribute("aria-expanded", String(open));
    // the map's size changes with the panel on wide screens
    requestAnimationFrame(() => portal.map?.resize());
  };
  const tab = (name) => {
    for (const b of side.querySelectorAll("[role=tab]")) {
      const on = b.dataset.tab === name;
      b.setAttribute("aria-selected", String(on));
      document.getElementById(b.getAttribute("aria-controls")).hidden = !on;
    }
    if (name === "list") state.onList?.();
  };
  set(!narrow.matches);
  button.addEventListener("click", () => set(!side.classList.contains("open")));
  for (const b of side.querySelectorAll("[role=tab]")) b.addEventListener("click", () => tab(b.dataset.tab));
  document.getElementById("side-close").addEventListener("click", () => set(false));
  // the legend: at the top of the side panel on a wide screen, a sheet over the map one tap
  // away on a phone
  const legendBox = document.getElementById("legend-box");
  const legendButton = document.getElementById("legend-toggle");
  const showLegend = (open) => {
    legendBox.classList.toggle("open", open);
    legendButton.setAttribute("aria-expanded", String(open));
  };
  const placeLegend = () => {
    if (narrow.matches) document.querySelector(".layout").append(legendBox);
    else document.getElementById("pane-layers").prepend(legendBox);
    showLegend(false);
  };
  placeLegend();
  narrow.addEventListener("change", placeLegend);
  legendButton.addEventListener("click", () => showLegend(!legendBox.classList.contains("open")));
  document.getElementById("legend-close").addEventListener("click", () => showLegend(false));
  // the phone's menu of tools: a tool chosen from it closes it (the print dialog opened under
  // it), and so do Escape and a tap elsewhere
  const moreTools = document.getElementById("more-tools");
  const tools = document.getElementById("tools");
  const showTools = (open) => {
    tools.classList.toggle("open", open);
    moreTools.setAttribute("aria-expanded", String(open));
  };
  moreTools.addEventListener("click", () => showTools(!tools.classList.contains("open")));
  tools.addEventListener("click", (e) => { if (e.target.closest("button")) showTools(false); });
  document.addEventListener("pointerdown", (e) => {
    if (tools.classList.contains("open") && !tools.contains(e.target) && !moreTools.contains(e.target)) showTools(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && tools.classList.contains("open")) { showTools(false); moreTools.focus(); }
  });
  portal.openSide = (name = "layers") => { tab(name); set(true); };
  return state;
}

start().catch((err) => {
  console.error(err);
  toast(`${err.message}`);
  document.body.dataset.ready = "error";
});
