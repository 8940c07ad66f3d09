// The attribute form, built from the registry's declaration (GET /registries/{id}/form): titles,
// code lists with their titles, required fields, patterns, read-only derived fields.
import { tr } from "/static/portal/i18n.js";
import { s } from "./strings.js";

export class AttributeForm {
  constructor(schema, values, { editable }) {
    this.schema = schema;
    this.loaded = { ...values };
    this.editable = editable;
    this.inputs = new Map();
    this.element = document.createElement("form");
    this.element.className = "editor-form";
    this.element.noValidate = true;
    this.element.addEventListener("submit", (e) => e.preventDefault());
    this.render(values);
    this.onLang = () => this.render(this.values(true));
    document.addEventListener("langchange", this.onLang);
  }

  dispose() { document.removeEventListener("langchange", this.onLang); }

  render(values) {
    this.element.replaceChildren();
    this.inputs.clear();
    for (const f of this.schema.fields) {
      const row = document.createElement("label");
      row.className = "editor-field";
      row.dataset.field = f.name;
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = tr(f.title) + (f.required && !f.readOnly ? " *" : "");
      if (f.personal) {
        const badge = document.createElement("small");
        badge.className = "personal";
        badge.textContent = s("personal");
        title.append(" ", badge);
      }
      const input = this.input(f, values[f.name]);
      const error = document.createElement("small");
      error.className = "error";
      error.setAttribute("role", "alert");
      row.append(title, input, error);
      if (f.description) row.title = tr(f.description);
      this.element.append(row);
      this.inputs.set(f.name, input);
    }
  }

  input(f, value) {
    let input;
    if (f.choices) {
      input = document.createElement("select");
      const none = new Option("—", "");
      input.append(none);
      for (const c of f.choices) input.append(new Option(`${tr(c.title)}`, c.code));
      input.value = value ?? "";
    } else if (f.type === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = value === true;
    } else if (f.type === "json") {
      input = document.createElement("textarea");
      input.rows = 2;
      input.value = value == null ? "" : JSON.stringify(value);
    } else {
      input = document.createElement("input");
      // numbers are typed as text: a number input dropped the decimal comma a Ukrainian
      // keyboard types («0,5» became 5) and read what it could not parse («1e») as empty,
      // clearing the field; read() takes either separator and check() names a non-number
      input.type = f.type === "date" ? "date" : "text";
      if (NUMERIC.has(f.type)) input.inputMode = f.type === "number" ? "decimal" : "numeric";
      if (f.pattern) input.dataset.pattern = f.pattern;
      input.value = value ?? "";
    }
    input.name = f.name;
    input.disabled = !this.editable || f.readOnly;
    if (f.required) input.required = true;
    input.addEventListener("input", () => this.clearError(f.name));
    return input;
  }

  // typed values of every stored field (all: derived ones too)
  values(all = false) {
    const out = {};
    for (const f of this.schema.fields) {
      if (f.readOnly && !all) continue;
      const input = this.inputs.get(f.name);
      out[f.name] = read(f, input);
    }
    return out;
  }

  // the fields whose value differs from the one loaded
  changes() {
    const now = this.values();
    const out = {};
    for (const [name, value] of Object.entries(now)) {
      if (JSON.stringify(value ?? null) !== JSON.stringify(this.loaded[name] ?? null)) out[name] = value;
    }
    return out;
  }

  // client-side checks of what the declaration says (the server checks again): how many
  // fields are wrong (0: none), each marked at its row
  check(values) {
    let wrong = 0;
    for (const f of this.schema.fields) {
      if (f.readOnly) continue;
      const value = values[f.name];
      if (f.required && (value === null || value === undefined || value === "")) {
        this.showError(f.name, s("required")); wrong += 1;
      } else if (NUMERIC.has(f.type) && Number.isNaN(value)) {
        this.showError(f.name, s(f.type === "number" ? "notNumber" : "notWhole")); wrong += 1;
      } else if (f.pattern && typeof value === "string" && value && !matches(f.pattern, value)) {
        this.showError(f.name, `${s("pattern")} ${tr(f.format)}`); wrong += 1;
      }
    }
    return wrong;
  }

  has(name) { return this.inputs.has(name); }

  showError(name, message, lang = null) {
    const row = this.element.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!row) return false;
    row.classList.add("invalid");
    const error = row.querySelector(".error");
    error.textContent = message;
    if (lang) error.lang = lang; else error.removeAttribute("lang");
    row.scrollIntoView({ block: "nearest" });
    return true;
  }

  clearError(name) {
    const row = this.element.querySelector(`[data-field="${CSS.escape(name)}"]`);
    row?.classList.remove("invalid");
    if (row) {
      row.querySelector(".error").textContent = "";
      row.querySelector(".error").removeAttribute("lang");
    }
  }

  set(values) { this.loaded = { ...values }; this.render(values); }
}

const NUMERIC = new Set(["integer", "number", "reference"]);

function read(f, input) {
  if (f.type === "boolean") return input.checked;
  const raw = input.value.trim();
  if (raw === "") return null;
  // a whole number, or a decimal with a point or a comma; anything else is NaN (check())
  if (f.type === "integer" || f.type === "reference") return /^[-+]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (f.type === "number") {
    const text = raw.replace(/\s/g, "").replace(",", ".");
    return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : NaN;
  }
  if (f.type === "json") { try { return JSON.parse(raw); } catch { return raw; } }
  return raw;
}

function matches(pattern, value) {
  try { return new RegExp(pattern, "u").test(value); } catch { return true; }
}
