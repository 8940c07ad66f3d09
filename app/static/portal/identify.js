// Identify: a click on an object opens its registry card. The card shows only what the public
// API returns (the server leaves personal data out for anonymous users); the status is coloured
// as on the map and the days left are counted from valid_until in the city's time zone.
import { t, tr, fieldLabel, formatNumber, lang } from "./i18n.js";
import { highlight } from "./map.js";

// which fields a registry's card shows first, in this order; others follow when non-empty
const CARD_FIELDS = {
  advertising_structures: ["permit_number", "distributor_name", "distributor_edrpou",
    "issuing_body", "issued_on", "decision_number", "decision_date", "structure_type",
    "width_m", "height_m", "location_text"],
  temporary_structures: ["passport_number", "owner_name", "owner_edrpou", "issuing_body",
    "issued_on", "decision_number", "decision_date", "structure_kind", "purpose",
    "specialisation", "area_m2", "location_text"],
  land_parcels: ["cadastral_number", "area_declared_ha", "purpose_code", "purpose_text",
    "ownership_form", "category", "holder_name", "registered_on"],
};
const TITLE_FIELD = ["permit_number", "passport_number", "full_address", "cadastral_number",
  "name", "zone_code", "spot_number", "quarter_number"];
const HIDDEN = new Set(["valid_from", "valid_until", "dismantling_ordered_on", "dismantled_on",
  "annulled_on", "status", "street_id", "building_id", "scheme_spot_id"]);
// clicks prefer points over lines over areas; the boundary is only chosen when nothing else is
const TYPE_RANK = { circle: 0, symbol: 0, line: 1, fill: 2 };

export function todayIn(timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date());  // YYYY-MM-DD
}

export function daysBetween(fromIso, toIso) {
  const [a, b] = [fromIso, toIso].map((d) => Date.UTC(...d.split("-").map((x, i) => Number(x) - (i === 1 ? 1 : 0))));
  return Math.round((b - a) / 86400000);
}

export class Identify {
  constructor(map, layers, config, onSelect) {
    this.map = map;
    this.layers = layers;
    this.config = config;
    this.onSelect = onSelect;
    this.enabled = true;
    this.current = null;  // {collection, id, feature}
    this.card = document.getElementById("card");
    this.body = document.getElementById("card-body");
    document.getElementById("card-close").addEventListener("click", () => this.clear());
    map.on("click", (e) => { if (this.enabled) this.pick(e.point, e.lngLat); });
    for (const id of layers.queryableLayerIds()) {
      map.on("mouseenter", id, () => { if (this.enabled) map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
    }
    document.addEventListener("langchange", () => { if (this.current?.feature) this.render(); });
  }

  pick(point, lngLat) {
    const r = 5;
    const found = this.map.queryRenderedFeatures(
      [[point.x - r, point.y - r], [point.x + r, point.y + r]],
      { layers: this.layers.queryableLayerIds() });
    const candidates = found
      .filter((f) => f.id !== undefined && f.layer.metadata?.["hromada:collection"])
      .sort((a, b) => rank(a) - rank(b));
    const hit = candidates[0];
    if (!hit) { this.clear(); return; }
    const collection = hit.layer.metadata["hromada:collection"];
    if ((hit.properties.point_count ?? 1) > 1) {
      this.map.easeTo({ center: lngLat, zoom: Math.min(this.map.getZoom() + 2, 18) });
      toast(t("cluster"));
      return;
    }
    this.show(collection, hit.id);
  }

  async show(collection, id) {
    this.current = { collection, id, feature: null };
    this.open();
    this.body.replaceChildren(el("p", "muted", t("loading")));
    try {
      const r = await fetch(`/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}?f=json`,
        { headers: { Accept: "application/geo+json" } });
      if (!r.ok) throw new Error(String(r.status));
      const feature = await r.json();
      if (this.current?.collection !== collection || this.current?.id !== id) return;
      this.current.feature = feature;
      highlight(this.map, feature.geometry);
      this.render();
      this.onSelect?.(this.current);
      return feature;
    } catch (err) {
      this.body.replaceChildren(el("p", "error", t("loadFailed")));
      return null;
    }
  }

  open() {
    this.card.hidden = false;
    document.body.classList.add("card-open");
  }

  clear() {
    this.current = null;
    this.card.hidden = true;
    document.body.classList.remove("card-open");
    highlight(this.map, null);
    this.onSelect?.(null);
  }

  render() {
    const { collection, feature } = this.current;
    const p = feature.properties;
    const layer = this.config.layers.find((l) => l.id === collection);
    const parts = [];
    const heading = el("h2", "card-title", layer ? tr(layer.title) : collection);
    const key = TITLE_FIELD.find((f) => p[f]);
    parts.push(heading);
    if (key) parts.push(el("p", "card-key", String(p[key])));
    if (p.status && this.config.statuses[p.status]) parts.push(this.statusBlock(p));
    const dl = document.createElement("dl");
    const first = CARD_FIELDS[collection] ?? [];
    const rest = Object.keys(p).filter((k) => !first.includes(k) && !HIDDEN.has(k)).sort();
    for (const name of [...first, ...(CARD_FIELDS[collection] ? [] : rest)]) {
      const value = p[name];
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("dt", null, fieldLabel(name)), el("dd", `f-${name}`, display(name, value)));
    }
    parts.push(dl);
    const links = el("p", "card-links");
    if (collection === "land_parcels" && p.cadastral_number) {
      const a = el("a", "parcel-report", t("parcelReport"));
      a.href = `/reports/parcels/${encodeURIComponent(p.cadastral_number)}?f=html`;
      a.target = "_blank";
      links.append(a, document.createTextNode(" · "));
    }
    if (this.config.extractsUrl) {  // a true-scale PDF of the object, fitted (print.js: options)
      const x = el("a", "extract-link", t("extractPdf"));
      x.href = collection === "land_parcels" && p.cadastral_number
        ? `${this.config.extractsUrl}/parcels/${encodeURIComponent(p.cadastral_number)}`
        : `${this.config.extractsUrl}/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(feature.id)}`;
      x.target = "_blank";
      links.append(x, document.createTextNode(" · "));
    }
    const json = el("a", null, t("allData"));
    json.href = `/collections/${collection}/items/${feature.id}?f=json`;
    json.target = "_blank";
    links.append(json);
    parts.push(links);
    // "Повідомити про помилку": the report dialog is its own module (app/static/feedback/)
    const report = el("p", "card-report");
    parts.push(report);
    import("/static/feedback/feedback.js")
      .then((m) => report.append(m.reportLink(this.map, collection, feature)))
      .catch(() => {});
    this.body.replaceChildren(...parts);
    this.card.dataset.collection = collection;
  }

  statusBlock(p) {
    const { colour, title } = this.config.statuses[p.status];
    const box = el("div", "status-block");
    const badge = el("span", "status-badge", tr(title));
    badge.style.setProperty("--c", colour);
    badge.dataset.status = p.status;
    box.append(el("span", "muted", `${t("status")}: `), badge);
    if (p.valid_from && p.valid_until) {
      const term = el("p", "term",
        `${t("term")}: ${t("from")} ${date(p.valid_from)} ${t("until")} ${date(p.valid_until)}`);
      box.append(term);
      const ended = ["annulled", "dismantled", "dismantling_ordered"].includes(p.status);
      const days = daysBetween(todayIn(this.config.timeZone), p.valid_until);
      if (!ended) {
        const text = days >= 0 ? `${formatNumber(days)} ${t("daysLeft")}`
          : `${formatNumber(-days)} ${t("expiredDaysAgo")}`;
        const left = el("p", "days-left", text);
        left.dataset.days = String(days);
        box.append(left);
      }
    }
    return box;
  }
}

function rank(f) {
  const collection = f.layer.metadata["hromada:collection"];
  const boundary = collection === "community_boundaries" || collection === "cadastral_quarters";
  return (TYPE_RANK[f.layer.type] ?? 3) + (boundary ? 10 : 0);
}

function date(iso) {
  const [y, m, d] = iso.split("-");
  return lang() === "en" ? iso : `${d}.${m}.${y}`;
}

function display(name, value) {
  if (typeof value === "boolean") return value ? "✓" : "—";
  if (typeof value === "number") return formatNumber(value, Number.isInteger(value) ? 0 : name.endsWith("_ha") ? 4 : 2);
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(value))) return date(String(value));
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let toastTimer = null;
export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 2500);
}
