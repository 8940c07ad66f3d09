// The legend: the status colours of permits and passports, and of road closures; each entry is
// also a filter — tap «Термін сплив» to see only the expired permits, tap again to add or drop
// a status, «Показати всі» to see every status again.
import { t, tr } from "./i18n.js";

export class Legend {
  constructor(map, style, config) {
    this.map = map;
    this.config = config;
    this.root = document.getElementById("legend");
    this.byStatusLayers = style.layers.filter((l) => l.metadata?.["hromada:byStatus"]);
    this.rangeLayers = style.layers.filter((l) => l.metadata?.["hromada:status"]);
    this.baseFilter = new Map(style.layers.map((l) => [l.id, l.filter]));
    this.shown = { term: new Set(), range: new Set() };  // empty: every status
    this.render();
    document.addEventListener("langchange", () => this.render());
  }

  render() {
    this.root.replaceChildren();
    this.root.append(this.section("term", t("legendStatus"), this.config.statuses));
    if (this.config.layers.some((l) => l.byRange)) {
      this.root.append(this.section("range", t("legendRange"), this.config.rangeStatuses));
    }
    const hint = document.createElement("p");
    hint.className = "legend-hint";
    hint.textContent = t("legendFilterHint");
    this.root.append(hint);
  }

  section(kind, title, statuses) {
    const box = document.createElement("div");
    box.className = "legend-section";
    box.dataset.kind = kind;
    const h = document.createElement("h3");
    h.textContent = title;
    const list = document.createElement("ul");
    list.className = "legend";
    for (const [status, entry] of Object.entries(statuses)) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "legend-item";
      button.dataset.status = status;
      button.dataset.kind = kind;
      button.setAttribute("aria-pressed", String(this.shown[kind].has(status)));
      const dot = document.createElement("span");
      dot.className = kind === "range" ? `dash dash-${status}` : "dot";
      dot.style.setProperty("--c", entry.colour);
      const name = document.createElement("span");
      name.textContent = tr(entry.title);
      button.append(dot, name);
      button.addEventListener("click", () => this.toggle(kind, status));
      li.append(button);
      list.append(li);
    }
    const all = document.createElement("button");
    all.type = "button";
    all.className = "legend-all link-button";
    all.textContent = t("showAll");
    all.hidden = this.shown[kind].size === 0;
    all.addEventListener("click", () => this.showOnly(kind, []));
    box.append(h, list, all);
    return box;
  }

  toggle(kind, status) {
    const set = this.shown[kind];
    if (set.has(status)) set.delete(status); else set.add(status);
    this.apply(kind);
  }

  // show only `statuses` of this kind (empty: all of them); codes the legend has not (a
  // permalink written by hand) are left out
  showOnly(kind, statuses) {
    const known = (kind === "term" ? this.config.statuses : this.config.rangeStatuses) ?? {};
    this.shown[kind] = new Set(statuses.filter((s) => Object.hasOwn(known, s)));
    this.apply(kind);
  }

  // the statuses shown, by kind, for the permalink (empty lists: every status)
  state() { return { term: [...this.shown.term], range: [...this.shown.range] }; }

  apply(kind) {
    const layers = kind === "term" ? this.byStatusLayers : this.rangeLayers;
    const wanted = [...this.shown[kind]];
    for (const layer of layers) {
      const base = this.baseFilter.get(layer.id);
      const only = wanted.length ? ["in", ["get", "status"], ["literal", wanted]] : null;
      const filter = only && base ? ["all", base, only] : only ?? base ?? null;
      this.map.setFilter(layer.id, filter);
    }
    this.render();
    document.dispatchEvent(new CustomEvent("statusfilter", { detail: { kind, statuses: wanted } }));
  }
}
