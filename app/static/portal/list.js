// The list view: the objects of one registry in the current map view, filterable by status
// (all expiring permits in this district), permits soonest to expire first; a row opens the
// object's card and shows it on the map. It follows the map while it is open.
import { formatDate, t, tn, tr } from "./i18n.js";
import { el, marked, objectName } from "./card.js";
import { flyToGeometry } from "./map.js";

const LIMIT = 100;
const MIN_ZOOM = 12;

export class ObjectList {
  constructor(map, config, fields, identify) {
    this.map = map;
    this.config = config;
    this.fields = fields;
    this.identify = identify;
    this.pane = document.getElementById("pane-list");
    this.registry = document.getElementById("list-registry");
    this.status = document.getElementById("list-status");
    this.results = document.getElementById("list-results");
    this.note = document.getElementById("list-note");
    this.request = 0;
    this.fillRegistries();
    this.registry.addEventListener("change", () => { this.fillStatuses(); this.refresh(); });
    this.status.addEventListener("change", () => this.refresh());
    let timer = null;
    map.on("moveend", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { if (this.isOpen()) this.refresh(); }, 250);
    });
    document.addEventListener("langchange", () => {
      const [r, s] = [this.registry.value, this.status.value];
      this.fillRegistries(r);
      this.fillStatuses(s);
      if (this.isOpen()) this.refresh();
    });
  }

  isOpen() { return !this.pane.hidden && this.pane.closest(".side")?.classList.contains("open"); }

  listable() {
    return this.config.layers.filter((l) => l.group !== "basemap" && l.geometry !== "MultiLineString"
      || l.byRange);
  }

  fillRegistries(keep) {
    const current = keep ?? this.registry.value;
    this.registry.replaceChildren();
    for (const layer of this.listable()) {
      const option = el("option", null, tr(layer.title));
      option.value = layer.id;
      this.registry.append(option);
    }
    const preferred = this.config.layers.find((l) => l.byStatus)?.id;
    this.registry.value = current || preferred || this.registry.options[0]?.value;
    if (!keep) this.fillStatuses();
  }

  fillStatuses(keep) {
    const layer = this.config.layers.find((l) => l.id === this.registry.value);
    const statuses = layer?.byStatus ? this.config.statuses
      : layer?.byRange ? this.config.rangeStatuses : null;
    this.status.replaceChildren();
    const all = el("option", null, t("allStatuses"));
    all.value = "";
    this.status.append(all);
    for (const [code, entry] of Object.entries(statuses ?? {})) {
      const option = el("option", null, tr(entry.title));
      option.value = code;
      this.status.append(option);
    }
    this.status.disabled = !statuses;
    this.status.value = keep && statuses?.[keep] ? keep : "";
  }

  // show the list of `collection` (optionally only `status`) and load it
  open(collection, status = "") {
    if (collection) { this.registry.value = collection; this.fillStatuses(); }
    this.status.value = status;
    this.refresh();
  }

  async refresh() {
    const collection = this.registry.value;
    if (!collection) return;
    const mine = ++this.request;
    if (this.map.getZoom() < MIN_ZOOM) {
      this.results.replaceChildren();
      this.note.textContent = t("zoomForList");
      return;
    }
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const params = new URLSearchParams({ f: "json", limit: String(LIMIT), bbox });
    if (this.status.value) params.set("status", this.status.value);
    // rows of another registry or status no longer answer what is asked: gone at once (a map
    // move keeps the rows until the new ones come, so the list does not flicker)
    const key = `${collection}|${this.status.value}`;
    if (this.results.dataset.key !== key) this.results.replaceChildren();
    this.note.textContent = t("loading");
    let doc;
    try {
      const r = await fetch(`/collections/${encodeURIComponent(collection)}/items?${params}`,
        { headers: { Accept: "application/geo+json" } });
      if (!r.ok) throw new Error(String(r.status));
      doc = await r.json();
    } catch {
      if (mine === this.request) this.note.textContent = t("loadFailed");
      return;
    }
    if (mine !== this.request) return;
    const features = [...doc.features].sort(byTerm);
    const matched = doc.numberMatched ?? features.length;
    this.note.textContent = !features.length ? t("listEmpty")
      : matched > features.length ? tn("listMore", matched, { shown: features.length })
        : tn("listCount", matched);
    // the rows are drawn anew: the keyboard on a row (or coming back to one from the card)
    // stays with the same object's new row instead of dropping to the page's body
    const focused = this.results.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    const back = this.identify.returnFocus;
    const backId = back && this.results.contains(back) ? back.dataset.id : null;
    this.results.replaceChildren(...features.map((f) => this.row(collection, f)));
    this.results.dataset.collection = collection;
    this.results.dataset.key = key;
    const rowOf = (id) => (id ? this.results.querySelector(`.list-row[data-id="${CSS.escape(id)}"]`) : null);
    rowOf(focused)?.focus({ preventScroll: true });
    if (backId) this.identify.returnFocus = rowOf(backId) ?? this.registry;
  }

  row(collection, feature) {
    const p = feature.properties ?? {};
    const li = el("li");
    const button = el("button", "list-row");
    button.type = "button";
    button.dataset.id = String(feature.id);
    // the registry's own words (a number, an address: Ukrainian) marked so on the English page
    button.append(marked(el("span", "name", objectName(this.fields, collection, p))));
    const layer = this.fields.layer(collection);
    const statuses = layer?.byStatus ? this.config.statuses : layer?.byRange ? this.config.rangeStatuses : null;
    const meta = el("span", "meta");
    if (statuses?.[p.status]) {
      const badge = el("span", "status-badge small", tr(statuses[p.status].title));
      badge.style.setProperty("--c", statuses[p.status].colour);
      badge.style.setProperty("--t", statuses[p.status].text);
      badge.dataset.status = p.status;
      meta.append(badge);
    }
    const until = p.valid_until ?? p.closed_until;
    const where = p.location_text ?? p.address_text;
    if (where || until) {
      const detail = el("span", "detail");
      if (where) detail.append(marked(el("span", null, where)));
      if (where && until) detail.append(" · ");
      if (until) detail.append(`${t("until")} ${formatDate(until)}`);
      meta.append(detail);
    }
    button.append(meta);
    button.addEventListener("click", async () => {
      if (feature.geometry) flyToGeometry(this.map, feature.geometry, { card: document.getElementById("card") });
      // the keyboard to the card's title, as after a search; Escape brings it back to the row
      if (await this.identify.show(collection, feature.id)) this.identify.focusCard(button);
    });
    li.append(button);
    return li;
  }
}

function byTerm(a, b) {
  const ua = a.properties?.valid_until ?? a.properties?.closed_until ?? "9999";
  const ub = b.properties?.valid_until ?? b.properties?.closed_until ?? "9999";
  return ua < ub ? -1 : ua > ub ? 1 : Number(a.id) - Number(b.id);
}
