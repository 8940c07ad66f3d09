// Plain words for values: every code through its code list's title, dates and numbers as
// people write them, lists and JSON records (a street's former names) as text — never a raw
// code or "[object Object]". Field titles and code lists come from the portal config, which the
// server derives from the registry declarations.
import { formatDate, formatList, formatNumber, lang, t, tr } from "./i18n.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export class Fields {
  constructor(config) {
    this.config = config;
    this.byLayer = new Map();
    for (const layer of config.layers) {
      this.byLayer.set(layer.id, new Map(layer.fields.map((f) => [f.name, f])));
    }
  }

  layer(id) { return this.config.layers.find((l) => l.id === id); }

  field(layerId, name) { return this.byLayer.get(layerId)?.get(name); }

  // the title of a field in the current language (the name itself only if undeclared)
  title(layerId, name) {
    const f = this.field(layerId, name);
    return f ? tr(f.title) : name;
  }

  // how a code of a field reads ("citylight" → «сіті-лайт»)
  codeTitle(layerId, name, code) {
    const codes = this.field(layerId, name)?.codes;
    return codes && codes[code] ? tr(codes[code]) : null;
  }

  // the value of a field as text, or null when there is nothing to show
  text(layerId, name, value) {
    if (value === null || value === undefined || value === "") return null;
    const f = this.field(layerId, name);
    if (f?.mask && value === f.mask.uk) return tr(f.mask);  // «фізична особа», our stand-in
    const coded = this.codeTitle(layerId, name, value);
    if (coded) return coded;
    if (name === "purpose_code") return this.purpose(value);
    if (name === "dzk_code") return this.restriction(value);
    return plain(value, f, this);
  }

  // a text field that only repeats what another shows: the purpose's classifier name; the
  // stand-in for a natural person's name («фізична особа») beside the row of the person's
  // kind, which says the same (the public sees the kind only)
  repeats(layerId, name, p) {
    const f = this.field(layerId, name);
    if (f?.mask && p[name] === f.mask.uk && f.maskedBy && this.field(layerId, f.maskedBy)
        && this.text(layerId, f.maskedBy, p[f.maskedBy]) !== null) return true;
    return name === "purpose_text" && lang() === "uk" && p.purpose_text
      && this.config.classifiers.purposes[p.purpose_code] === p.purpose_text;
  }

  purpose(code) {
    const c = this.config.classifiers;
    if (lang() === "uk" && c.purposes[code]) return `${code} — ${c.purposes[code]}`;
    const section = c.purposeSections[String(code).slice(0, 2)];
    return section ? `${code} (${tr(section)})` : String(code);
  }

  restriction(code) {
    const name = this.config.classifiers.restrictions[code];
    return name && lang() === "uk" ? `${code} — ${name}` : String(code);
  }

  // a street type as a word of the current language (for former names)
  streetType(code) { return this.codeTitle("streets", "street_type", code) ?? code; }
}

function plain(value, field, fields) {
  const type = field?.type;
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (typeof value === "number") {
    const digits = type === "number" ? (field.scale ?? 2) : Number.isInteger(value) ? 0 : 2;
    return formatNumber(value, digits);
  }
  if (typeof value === "string" && ISO_DATE.test(value)) return formatDate(value);
  if (typeof value === "string" && type === "json") {
    try { return plain(JSON.parse(value), field, fields); } catch { return value; }
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => record(v, fields)).filter(Boolean);
    return items.length ? formatList(items) : null;
  }
  if (typeof value === "object") return record(value, fields);
  return String(value);
}

// one JSON record as text: a former street name reads «вулиця Леніна (до 19.02.2016, рішення
// № 12 від 19.02.2016)»; any other record as its values, dates and numbers formatted
function record(value, fields) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value !== "object") return plain(value, null, fields);
  if (Array.isArray(value)) return plain(value, null, fields);
  if (value.name) {
    const type = value.street_type ? fields.streetType(value.street_type) : "";
    const name = lang() === "uk" ? `${type} ${value.name}`.trim() : `${value.name} ${type}`.trim();
    const notes = [];
    if (value.until) notes.push(t("formerUntil", { date: formatDate(value.until) }));
    if (value.decision) notes.push(String(value.decision));
    return notes.length ? `${name} (${notes.join(", ")})` : name;
  }
  const parts = Object.values(value).map((v) => record(v, fields)).filter(Boolean);
  return parts.join(", ") || null;
}
