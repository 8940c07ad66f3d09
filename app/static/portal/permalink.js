// The permalink: map position, the layers that are on, the selected object and the language in
// the URL's fragment, e.g.
// #map=17.00/49.41345/27.00124&layers=land_parcels,addresses&obj=advertising_structures/42&lang=en
// and the legend's status filter: &status=expired (permits, passports), &closure=active (road
// closures)
import { t } from "./i18n.js";
import { toast } from "./identify.js";

const STATUS_PARAMS = { term: "status", range: "closure" };  // the legend's kinds

export function readPermalink() {
  const params = new URLSearchParams(location.hash.slice(1));
  const out = {};
  const [zoom, lat, lon] = (params.get("map") ?? "").split("/").map(Number);
  // a view MapLibre can show, or none (the city's): #map=99/999/999 threw in the map's
  // constructor, and the geoportal never started
  if ([zoom, lat, lon].every(Number.isFinite) && params.get("map") && zoom >= 0 && zoom <= 24
      && Math.abs(lat) <= 85 && Math.abs(lon) <= 180) out.view = { zoom, center: [lon, lat] };
  const obj = params.get("obj");
  if (obj && obj.includes("/")) {
    const [collection, id] = obj.split("/");
    out.object = { collection, id };
  }
  if (params.has("layers")) out.layers = params.get("layers").split(",").filter(Boolean);
  if (params.get("lang")) out.lang = params.get("lang");
  for (const [kind, name] of Object.entries(STATUS_PARAMS)) {
    if (params.get(name)) (out.statuses ??= {})[kind] = params.get(name).split(",").filter(Boolean);
  }
  return out;
}

export class Permalink {
  constructor(map, getState) {
    this.map = map;
    this.getState = getState;
    map.on("moveend", () => this.update());
    document.addEventListener("layerchange", () => this.update());
    document.addEventListener("statusfilter", () => this.update());
    document.getElementById("permalink").addEventListener("click", () => this.copy());
  }

  url() {
    const c = this.map.getCenter();
    const { object, lang, layers, statuses } = this.getState();
    const parts = [`map=${this.map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`];
    if (layers) parts.push(`layers=${layers.map(encodeURIComponent).join(",")}`);
    if (object) parts.push(`obj=${encodeURIComponent(object.collection)}/${encodeURIComponent(object.id)}`);
    for (const [kind, name] of Object.entries(STATUS_PARAMS)) {
      if (statuses?.[kind]?.length) parts.push(`${name}=${statuses[kind].map(encodeURIComponent).join(",")}`);
    }
    if (lang && lang !== "uk") parts.push(`lang=${lang}`);
    // the language lives in the fragment: a ?lang= the page was opened with would
    // otherwise outvote the switch on the next reload
    const query = new URLSearchParams(location.search);
    query.delete("lang");
    const rest = query.toString();  // (URLSearchParams.size is too new for older browsers)
    const search = rest ? `?${rest}` : "";
    return `${location.origin}${location.pathname}${search}#${parts.join("&")}`;
  }

  update() { history.replaceState(null, "", this.url()); }

  async copy() {
    this.update();
    try {
      await navigator.clipboard.writeText(location.href);
      toast(t("linkCopied"));
    } catch {
      toast(t("linkShown"));  // clipboard needs a secure context or a permission
    }
  }
}
