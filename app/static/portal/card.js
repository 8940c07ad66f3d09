// The card of one registry object: its registry, what names it, its status (coloured as on the
// map, with the days left counted in the city's time zone), every public field in declaration
// order through its title and code list, and links (the parcel report, an address's parcel,
// the open data). Other modules add links with registerCardLink(fn) (fn(collection, feature)
// returns an element or null).
import { formatDate, lang, t, tn, tr } from "./i18n.js";

// fields shown elsewhere on the card (status block, title) or that are internal references
const SHOWN_APART = new Set(["status", "valid_from", "valid_until", "dismantling_ordered_on",
  "dismantled_on", "annulled_on", "closed_from", "closed_until", "full_address", "katottg",
  "koatuu"]);
const linkMakers = [];
const CYRILLIC = /[\u0400-\u04FF]/;

// the registry's own words (a name, an address: Ukrainian) on the English page are marked so,
// for a screen reader's voice (WCAG 3.1.2); our words are in the page's language already.
// The search box's hits and the list's rows mark theirs the same way.
export function marked(node) {
  if (lang() === "en" && CYRILLIC.test(node.textContent)) node.lang = "uk";
  return node;
}

export function registerCardLink(fn) { linkMakers.push(fn); }

export function todayIn(timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date());  // YYYY-MM-DD
}

export function daysBetween(fromIso, toIso) {
  const [a, b] = [fromIso, toIso].map((d) => {
    const [y, m, day] = d.split("-").map(Number);
    return Date.UTC(y, m - 1, day);
  });
  return Math.round((b - a) / 86400000);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// what names an object in lists and headings: its label field, through its code list
export function objectName(fields, collection, properties) {
  const layer = fields.layer(collection);
  const p = properties ?? {};
  if (p.full_address) return String(p.full_address);
  if (layer?.label && p[layer.label] !== undefined && p[layer.label] !== null) {
    if (collection === "streets") return streetName(fields, p);
    return fields.text(collection, layer.label, p[layer.label]) ?? String(p[layer.label]);
  }
  return layer ? tr(layer.title) : collection;
}

function streetName(fields, p) {
  const type = fields.codeTitle("streets", "street_type", p.street_type) ?? "";
  return lang() === "en" && p.name_en
    ? `${p.name_en} ${type}`.trim() : `${type} ${p.name}`.trim();
}

export class Card {
  constructor(config, fields) {
    this.config = config;
    this.fields = fields;
  }

  // the card's elements for a feature of `collection`
  render(collection, feature, extra = {}) {
    const p = feature.properties ?? {};
    const layer = this.fields.layer(collection);
    const parts = [el("h2", "card-title", layer ? tr(layer.title) : collection),
      marked(el("p", "card-key", objectName(this.fields, collection, p)))];
    const status = this.statusBlock(collection, p);
    if (status) parts.push(status);
    const dl = document.createElement("dl");
    const key = layer?.label;
    for (const f of layer?.fields ?? []) {
      if (SHOWN_APART.has(f.name) || f.references || f.name === key) continue;
      const text = this.fields.text(collection, f.name, p[f.name]);
      if (text === null || this.fields.repeats(collection, f.name, p)) continue;
      dl.append(el("dt", null, tr(f.title)), marked(el("dd", `f-${f.name}`, text)));
    }
    if (dl.children.length) parts.push(dl);
    if (extra.below) parts.push(...extra.below);
    parts.push(this.links(collection, feature));
    return parts;
  }

  statusBlock(collection, p) {
    const layer = this.fields.layer(collection);
    if (layer?.byStatus && this.config.statuses[p.status]) return this.termBlock(p);
    if (layer?.byRange && this.config.rangeStatuses[p.status]) return this.rangeBlock(p);
    return null;
  }

  badge(status, entry) {
    const badge = el("span", "status-badge", tr(entry.title));
    badge.style.setProperty("--c", entry.colour);
    badge.style.setProperty("--t", entry.text);
    badge.dataset.status = status;
    return badge;
  }

  termBlock(p) {
    const box = el("div", "status-block");
    box.append(el("span", "muted", `${t("status")}: `), this.badge(p.status, this.config.statuses[p.status]));
    if (p.valid_from && p.valid_until) {
      box.append(el("p", "term",
        `${t("term")}: ${t("from")} ${formatDate(p.valid_from)} ${t("until")} ${formatDate(p.valid_until)}`));
    }
    const events = [["dismantling_ordered_on", "dismantlingOrdered"], ["dismantled_on", "dismantledOn"],
      ["annulled_on", "annulledOn"]];
    for (const [name, key] of events) {
      if (p[name]) box.append(el("p", `event ${name}`, t(key, { date: formatDate(p[name]) })));
    }
    const ended = ["annulled", "dismantled", "dismantling_ordered"].includes(p.status);
    if (p.valid_until && !ended) {
      const days = daysBetween(todayIn(this.config.timeZone), p.valid_until);
      const text = days > 0 ? tn("daysLeft", days) : days === 0 ? t("endsToday")
        : tn("expiredAgo", -days);
      const left = el("p", "days-left", text);
      left.dataset.days = String(days);
      box.append(left);
    }
    return box;
  }

  rangeBlock(p) {
    const box = el("div", "status-block");
    box.append(el("span", "muted", `${t("status")}: `), this.badge(p.status, this.config.rangeStatuses[p.status]));
    if (p.closed_from && p.closed_until) {
      box.append(el("p", "term", t("closedRange",
        { from: formatDate(p.closed_from), to: formatDate(p.closed_until) })));
    }
    return box;
  }

  links(collection, feature) {
    const p = feature.properties ?? {};
    const links = el("p", "card-links");
    const add = (node) => {
      if (!node) return;
      if (links.children.length) links.append(document.createTextNode(" · "));
      links.append(node);
    };
    if (collection === "land_parcels" && p.cadastral_number) {
      add(reportLink(p.cadastral_number));
    }
    for (const make of linkMakers) add(make(collection, feature));
    const json = el("a", "open-data", t("allData"));
    json.href = `/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(feature.id)}?f=json`;
    json.target = "_blank";
    json.rel = "noopener";
    add(json);
    return links;
  }
}

export function reportLink(cadastralNumber) {
  const a = el("a", "parcel-report", t("parcelReport"));
  // the report in the portal's language
  a.href = `/reports/parcels/${encodeURIComponent(cadastralNumber)}?f=html${lang() === "en" ? "&lang=en" : ""}`;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}
