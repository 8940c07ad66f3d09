// Identify what was meant: a click opens the most specific object under the cursor (a point
// over a line over a kiosk over a parcel over a building or street over a zone), a short list
// to choose from when several equally specific objects overlap there, and on empty ground what
// is there (the nearest address, the parcel, the zones). The card shows only what the public
// API returns (the server leaves personal data out for anonymous users).
import { formatNumber, t, tr } from "./i18n.js";
import { Card, el, marked, objectName, reportLink } from "./card.js";
import { highlight, ensureVisible } from "./map.js";

// how specific a hit is: lower wins; equal ranks at the top make a chooser
const COLLECTION_RANK = {
  temporary_structures: 2, ts_scheme_spots: 2, land_parcels: 3, buildings: 4, streets: 4,
  planning_zones: 5, planning_restrictions: 5, cadastral_quarters: 5, water_bodies: 5,
  community_boundaries: 6,
};
const TYPE_RANK = { circle: 0, symbol: 0.5, line: 1, fill: 5 };
const CHOOSER_MAX = 8;

export function rankOf(collection, layerType) {
  // a drawn point wins over a label (a house number) near it
  if (layerType === "circle" || layerType === "symbol") return TYPE_RANK[layerType];
  return COLLECTION_RANK[collection] ?? TYPE_RANK[layerType] ?? 5;
}

export class Identify {
  constructor(map, layers, config, fields, onSelect) {
    this.map = map;
    this.layers = layers;
    this.config = config;
    this.fields = fields;
    this.card = new Card(config, fields);
    this.onSelect = onSelect;
    this.enabled = true;
    this.current = null;  // {collection, id, feature} or {place: lngLat}
    this.box = document.getElementById("card");
    this.body = document.getElementById("card-body");
    this.returnFocus = null;  // where the keyboard goes back to when the card closes
    document.getElementById("card-close").addEventListener("click", () => this.close());
    // Escape closes the card when the keyboard is in it or nowhere (not in a dialog or a
    // field, whose own Escape it is)
    document.addEventListener("keydown", (e) => {
      const at = document.activeElement;
      if (e.key !== "Escape" || this.box.hidden || document.querySelector("dialog[open]")) return;
      if (!this.box.contains(at) && at !== document.body && at !== map.getCanvas()) return;
      this.close();
    });
    map.on("click", (e) => { if (this.enabled) this.pick(e.point, e.lngLat); });
    map.on("mousemove", (e) => {
      if (!this.enabled) return;
      const hit = this.candidates(e.point, 3).length > 0;
      map.getCanvas().style.cursor = hit ? "pointer" : "";
    });
    document.addEventListener("langchange", () => this.rerender());
  }

  // the distinct objects drawn around a screen point, most specific first
  candidates(point, r) {
    const found = this.map.queryRenderedFeatures(
      [[point.x - r, point.y - r], [point.x + r, point.y + r]],
      { layers: this.layers.queryableLayerIds() });
    const seen = new Map();
    for (const f of found) {
      const collection = f.layer.metadata?.["hromada:collection"];
      if (!collection || f.id === undefined) continue;
      const key = `${collection}/${f.id}`;
      const rank = rankOf(collection, f.layer.type);
      const old = seen.get(key);
      if (!old || rank < old.rank) seen.set(key, { collection, id: f.id, rank, feature: f });
    }
    return [...seen.values()].sort((a, b) => a.rank - b.rank);
  }

  pick(point, lngLat) {
    const touch = matchMedia("(pointer: coarse)").matches;
    const all = this.candidates(point, touch ? 10 : 5);
    const best = all.filter((c) => c.rank < 6);  // the boundary alone is "empty ground"
    if (!best.length) { this.showPlace(lngLat); return; }
    const top = best.filter((c) => c.rank === best[0].rank);
    if (top.length === 1 && (top[0].feature.properties.point_count ?? 1) > 1) {
      this.map.easeTo({ center: lngLat, zoom: Math.min(this.map.getZoom() + 2, 18) });
      return;
    }
    if (top.length > 1) { this.showChooser(best.slice(0, CHOOSER_MAX)); return; }
    this.show(top[0].collection, top[0].id, { also: best.slice(1, CHOOSER_MAX) });
  }

  showChooser(candidates) {
    this.current = { chooser: candidates };
    this.open();
    const list = el("ul", "chooser");
    for (const c of candidates) {
      const li = el("li");
      const button = el("button", "chooser-item");
      button.type = "button";
      button.dataset.collection = c.collection;
      button.dataset.id = String(c.id);
      const layer = this.fields.layer(c.collection);
      // the object's own words (a number, a name: Ukrainian) marked so on the English page
      button.append(el("span", "kind", layer ? tr(layer.title) : c.collection),
        marked(el("span", "name", objectName(this.fields, c.collection, c.feature.properties))));
      button.addEventListener("click", () => this.show(c.collection, c.id,
        { also: candidates.filter((o) => o !== c) }));
      li.append(button);
      list.append(li);
    }
    this.body.replaceChildren(el("h2", "card-title", t("chooseObject")), list);
    this.box.dataset.kind = "chooser";
    highlight(this.map, null);
  }

  async show(collection, id, { also = [] } = {}) {
    this.current = { collection, id, feature: null, also };
    this.open();
    this.box.dataset.kind = "object";
    this.body.replaceChildren(el("p", "muted", t("loading")));
    // an object of one of the map's registries, by its number: a link naming another (a
    // mistyped or stale permalink, «obj=land_parcels/..» whose dots the browser resolved into
    // the collection's own address) names nothing here
    if (!this.fields.layer(collection) || !/^[1-9]\d{0,18}$/.test(String(id))) {
      this.body.replaceChildren(el("p", "error", t("noSuchObject")));
      return null;
    }
    try {
      const feature = await getJson(`/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}?f=json`);
      if (this.current?.collection !== collection || String(this.current?.id) !== String(id)) return null;
      this.current.feature = feature;
      highlight(this.map, feature.geometry);
      this.render();
      ensureVisible(this.map, feature.geometry, this.box);
      this.onSelect?.(this.current);
      return feature;
    } catch (err) {
      this.body.replaceChildren(el("p", "error", t(err.status === 404 ? "noSuchObject" : "loadFailed")));
      return null;
    }
  }

  render() {
    const { collection, feature, also } = this.current;
    const below = [];
    if (collection === "addresses") below.push(this.addressParcel(feature));
    if (also?.length) below.push(this.alsoHere(also));
    this.body.replaceChildren(...this.card.render(collection, feature, { below }));
    this.box.dataset.collection = collection;
  }

  rerender() {
    if (this.current?.feature) this.render();
    else if (this.current?.chooser) this.showChooser(this.current.chooser);
    else if (this.current?.place) this.showPlace(this.current.place, { keepView: true });
  }

  alsoHere(others) {
    const box = el("div", "also-here");
    box.append(el("h3", null, t("alsoHere")));
    const list = el("ul");
    for (const c of others) {
      const layer = this.fields.layer(c.collection);
      const a = el("button", "link-button", `${layer ? tr(layer.title) : c.collection}: `);
      a.append(marked(el("span", null,
        objectName(this.fields, c.collection, c.feature?.properties ?? c.properties))));
      a.type = "button";
      a.dataset.collection = c.collection;
      a.addEventListener("click", () => this.show(c.collection, c.id));
      const li = el("li");
      li.append(a);
      list.append(li);
    }
    box.append(list);
    return box;
  }

  // an address card's way to its parcel: the parcel card and the parcel report
  addressParcel(feature) {
    const box = el("div", "address-parcel");
    const number = feature.properties?.cadastral_number;
    if (!number) return box;
    box.append(el("h3", null, t("parcelOfAddress")));
    const open = el("button", "link-button open-parcel", `${t("openParcel")} ${number}`);
    open.type = "button";
    open.addEventListener("click", async () => {
      const found = await getJson(`/collections/land_parcels/items?f=json&limit=1&cadastral_number=${encodeURIComponent(number)}`);
      const parcel = found.features?.[0];
      if (parcel) this.show("land_parcels", parcel.id);
    });
    box.append(open, document.createTextNode(" · "), reportLink(number));
    return box;
  }

  // empty ground: what is here — the nearest address, the parcel and the zones it lies in
  async showPlace(lngLat, { keepView = false } = {}) {
    const { lng, lat } = lngLat;
    this.current = { place: { lng, lat } };
    this.open();
    this.box.dataset.kind = "place";
    this.body.replaceChildren(el("h2", "card-title", t("place")), el("p", "muted", t("loading")));
    highlight(this.map, { type: "Point", coordinates: [lng, lat] });
    const q = `lon=${lng.toFixed(7)}&lat=${lat.toFixed(7)}`;
    const here = await getJson(`/search/place?${q}`).catch(() => null);
    if (this.current?.place?.lng !== lng || this.current?.place?.lat !== lat) return;
    const dl = document.createElement("dl");
    const row = (title, nodes, cls) => {
      const dd = el("dd", cls);
      dd.append(...nodes);
      dl.append(el("dt", null, title), dd);
    };
    const button = (text, collection, id) => {
      const b = marked(el("button", "link-button", text));  // an address, a zone's name
      b.type = "button";
      b.dataset.collection = collection;
      b.addEventListener("click", () => this.show(collection, id));
      return b;
    };
    const address = here?.address;
    row(t("nearestAddress"), address
      ? [button(address.label, address.collection, address.id),
        document.createTextNode(` (${t("distanceTo", { d: formatNumber(address.distance_m) })})`)]
      : [document.createTextNode(t("noAddressNear"))], "place-address");
    const parcel = here?.land_parcels?.[0];
    if (here && "land_parcels" in here) {
      const purpose = parcel && this.fields.text("land_parcels", "purpose_code", parcel.purpose_code);
      row(t("parcelHere"), parcel
        ? [button(parcel.cadastral_number, "land_parcels", parcel.id),
          document.createTextNode(purpose ? ` — ${purpose}` : "")]
        : [document.createTextNode(t("noParcelHere"))], "place-parcel");
    }
    const lists = [["water_bodies", "name", null], ["planning_zones", "zone_code", "zonesHere"],
      ["planning_restrictions", "kind", "restrictionsHere"]];
    for (const [collection, key, title] of lists) {
      const items = here?.[collection] ?? [];
      if (!items.length) continue;
      const nodes = [];
      items.forEach((o, i) => {
        if (i) nodes.push(document.createTextNode("; "));
        const name = collection === "planning_zones" && o.zone_name ? `${o.zone_code} — ${o.zone_name}`
          : this.fields.text(collection, key, o[key]) ?? String(o[key]);
        nodes.push(button(name, collection, o.id));
      });
      const layer = this.fields.layer(collection);
      row(title ? t(title) : tr(layer?.title), nodes, `place-${collection}`);
    }
    row(t("coordinates"), [document.createTextNode(t("latLon", { lat: lat.toFixed(6), lon: lng.toFixed(6) }))]);
    this.body.replaceChildren(el("h2", "card-title", t("place")), dl);
    if (!keepView) ensureVisible(this.map, { type: "Point", coordinates: [lng, lat] }, this.box);
    this.onSelect?.(null);
  }

  open() {
    this.box.hidden = false;
    document.body.classList.add("card-open");
  }

  // the keyboard to the card (its title), as after choosing a search hit: it was left on
  // the page's body, and the card's close button lay some ninety tabs away; ``from`` gets it
  // back when the card closes
  focusCard(from = null) {
    const title = this.body.querySelector("h2") ?? document.getElementById("card-close");
    title.setAttribute("tabindex", "-1");
    title.focus({ preventScroll: true });
    this.returnFocus = from;
  }

  // closing the card keeps the object highlighted on the map until another is chosen
  close() {
    const back = this.box.contains(document.activeElement) ? this.returnFocus : null;
    this.current = null;
    this.returnFocus = null;
    this.box.hidden = true;
    document.body.classList.remove("card-open");
    this.onSelect?.(null);
    back?.focus();
  }

  clear() {
    this.close();
    highlight(this.map, null);
  }
}

async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) throw Object.assign(new Error(`${url}: ${r.status}`), { status: r.status });
  return r.json();
}

let toastTimer = null;
export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 2500);
}
