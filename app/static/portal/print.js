// The print dialog: a true-scale PDF extract in UCS-2000 of the current view or of the object
// selected on the map, on the paper, orientation and scale chosen. The PDF comes from the
// extracts endpoint (settings.portal.extracts_url, "/extracts" by default); the layers shown
// on the map are drawn on the sheet too. Without an endpoint the dialog says so.
import { el, registerCardLink } from "./card.js";
import { formatNumber, t } from "./i18n.js";

// every card links to its object's true-scale extract (the PDF, fitted to the object)
export function extractLink(extractsUrl, collection, feature) {
  if (!extractsUrl) return null;
  const p = feature.properties ?? {};
  const a = el("a", "extract-link", t("extractPdf"));
  a.href = collection === "land_parcels" && p.cadastral_number
    ? `${extractsUrl}/parcels/${encodeURIComponent(p.cadastral_number)}`
    : `${extractsUrl}/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(feature.id)}`;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

export class PrintDialog {
  constructor(map, config) {
    this.map = map;
    this.config = config;
    this.dialog = document.getElementById("print-dialog");
    this.form = this.dialog.querySelector("form");
    this.download = document.getElementById("print-download");
    this.note = document.getElementById("print-note");
    this.addChoices();
    registerCardLink((collection, feature) => extractLink(config.extractsUrl, collection, feature));
    document.getElementById("print").addEventListener("click", () => this.open());
    this.download.addEventListener("click", () => this.go());
    document.addEventListener("langchange", () => this.describe());
  }

  // what to print (the view or the selected object) and "fit", built here so that the page's
  // template keeps its markup
  addChoices() {
    const what = document.createElement("fieldset");
    what.id = "print-what";
    const legend = document.createElement("legend");
    legend.dataset.i18n = "printWhat";
    what.append(legend);
    for (const [value, key] of [["view", "printView"], ["object", "printObject"]]) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name: "what", value, checked: value === "view" });
      const span = document.createElement("span");
      span.dataset.i18n = key;
      label.append(input, " ", span);
      what.append(label);
    }
    this.form.querySelector("h2").after(what);
    const fit = new Option("", "fit");
    fit.dataset.i18n = "printFit";
    document.getElementById("print-scale").append(fit);
  }

  selected() {
    const current = window.portal?.identify?.current;
    return current?.feature ? { collection: current.collection, id: current.id } : null;
  }

  describe() {
    for (const el of this.dialog.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    const ready = Boolean(this.config.extractsUrl);
    this.download.disabled = !ready;
    const objectChoice = this.form.querySelector("input[name=what][value=object]");
    objectChoice.disabled = !this.selected();
    if (objectChoice.disabled) this.form.querySelector("input[name=what][value=view]").checked = true;
    this.note.textContent = ready ? t("printReady") : t("printSoon");
  }

  open() {
    const objectChoice = this.form.querySelector("input[name=what][value=object]");
    if (this.selected()) objectChoice.checked = true;
    this.describe();
    this.dialog.showModal();
  }

  visibleLayers() {
    const style = this.map.getStyle();
    return this.config.layers.map((l) => l.id).filter((id) => style.layers.some(
      (layer) => layer.metadata?.["hromada:collection"] === id
        && this.map.getLayoutProperty(layer.id, "visibility") !== "none"));
  }

  url() {
    const form = new FormData(this.form);
    const params = new URLSearchParams({ scale: form.get("scale"), paper: form.get("paper"),
      orientation: form.get("orientation") });
    const layers = this.visibleLayers();
    if (layers.length) params.set("layers", layers.join(","));
    const object = form.get("what") === "object" ? this.selected() : null;
    if (object) {
      params.set("collection", object.collection);
      params.set("id", object.id);
    } else if (form.get("scale") === "fit") {
      const b = this.map.getBounds();
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map((v) => v.toFixed(6)).join(","));
    } else {
      const c = this.map.getCenter();
      params.set("center", `${c.lng.toFixed(6)},${c.lat.toFixed(6)}`);
    }
    return `${this.config.extractsUrl}?${params}`;
  }

  async go() {
    if (!this.config.extractsUrl) return;
    this.download.disabled = true;
    this.note.textContent = t("printMaking");
    try {
      const r = await fetch(this.url(), { credentials: "same-origin" });
      if (!r.ok) {
        this.note.textContent = await this.failure(r);
        return;
      }
      const number = r.headers.get("X-Extract-Number") ?? "";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await r.blob());
      link.download = `extract-${number}.pdf`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      this.note.textContent = `${t("printDone")} № ${number}`;
      this.note.dataset.number = number;
    } catch {
      this.note.textContent = t("printFailed");
    } finally {
      this.download.disabled = false;
    }
  }

  // the server's problem, said in the page's language (its own text is English)
  async failure(r) {
    const problem = await r.json().catch(() => ({}));
    if (r.status === 429) return `${t("printTooMany")} ${r.headers.get("Retry-After") ?? "60"} ${t("seconds")}`;
    if (r.status === 400 && problem.parameter === "scale" && problem.fits_at) {
      return `${t("printDoesNotFit")} 1:${problem.fits_at}`;
    }
    if (r.status === 400 && problem.parameter === "scale") return t("printTooLarge");
    if (r.status === 400 && problem.outside_km) {
      return t("printOutside", { n: formatNumber(problem.outside_km) });
    }
    return `${t("printFailed")} (${r.status})`;
  }
}
