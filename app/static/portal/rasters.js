// The published rasters (scanned plans, orthophotos: /rasters) on the map, under the
// registries' vectors: orthophotos as a base over the city's ground, plans over them, each
// off at first, with its own switch and opacity in a group of the layer panel. Titles come
// from the raster catalogue, which holds them in Ukrainian: the English page shows a raster's
// name (its Latin id) instead, never a mix of the two languages.
import { formatDate, lang, t } from "./i18n.js";

const BASE_KINDS = new Set(["rgb", "rgba", "gray", "gray-alpha"]);  // photographs
const PLAN_OPACITY = 0.7;  // a plan over the ground, which shows through

export class RasterLayers {
  constructor(map) {
    this.map = map;
    this.rasters = [];
    document.addEventListener("langchange", () => this.render());
  }

  // read the public rasters and add them to the map (hidden) and the panel
  async load() {
    const response = await fetch("/rasters", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const listed = (await response.json()).rasters ?? [];
    // the panel lists plans first (top), then photographs, each kind by name; the map draws
    // them in the same order: added bottom first, each just under the registries' vectors
    listed.sort((a, b) => (BASE_KINDS.has(a.kind) - BASE_KINDS.has(b.kind)) || a.name.localeCompare(b.name));
    const under = this.map.getStyle().layers
      .find((l) => l.metadata?.["hromada:role"] === "overlay")?.id;
    for (const raster of [...listed].reverse()) {
      const tj = await fetch(`/rasters/${encodeURIComponent(raster.name)}/tilejson.json`);
      if (!tj.ok) continue;
      const tilejson = await tj.json();
      const id = `raster-${raster.name}`;
      // same-origin tile paths: the page's Content-Security-Policy allows nothing else
      this.map.addSource(id, { type: "raster", tileSize: 256, bounds: tilejson.bounds,
        minzoom: 0, maxzoom: tilejson.maxzoom,
        tiles: [`/rasters/${encodeURIComponent(raster.name)}/{z}/{x}/{y}.png`] });
      const opacity = BASE_KINDS.has(raster.kind) ? 1 : PLAN_OPACITY;
      this.map.addLayer({ id, type: "raster", source: id,
        layout: { visibility: "none" }, paint: { "raster-opacity": opacity },
        metadata: { "hromada:role": "raster", "hromada:raster": raster.name } }, under);
      this.rasters.unshift({ ...raster, layer: id, opacity });
    }
    this.render();
  }

  // the catalogue's English title (its name when none was given): never Ukrainian among English
  title(raster) { return lang() === "uk" ? raster.title : (raster.title_en || raster.name); }

  setVisible(name, visible) {
    const raster = this.rasters.find((r) => r.name === name);
    if (raster) this.map.setLayoutProperty(raster.layer, "visibility", visible ? "visible" : "none");
  }

  setOpacity(name, opacity) {
    const raster = this.rasters.find((r) => r.name === name);
    if (!raster) return;
    raster.opacity = opacity;
    this.map.setPaintProperty(raster.layer, "raster-opacity", opacity);
  }

  render() {
    let root = document.getElementById("raster-groups");
    if (!this.rasters.length) { root?.remove(); return; }
    if (!root) {
      root = document.createElement("div");
      root.id = "raster-groups";
      document.getElementById("layer-groups").after(root);
    }
    const box = document.createElement("details");
    box.className = "layer-group";
    box.open = true;
    box.dataset.group = "rasters";
    const summary = document.createElement("summary");
    const heading = document.createElement("span");
    heading.textContent = t("rasters");
    summary.append(heading);
    const list = document.createElement("ul");
    for (const raster of this.rasters) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.dataset.raster = raster.name;
      check.checked = this.map.getLayoutProperty(raster.layer, "visibility") !== "none";
      check.addEventListener("change", () => this.setVisible(raster.name, check.checked));
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = this.title(raster);
      label.append(check, name);
      if (raster.dated) {
        const when = document.createElement("small");
        when.textContent = formatDate(raster.dated);
        label.append(" ", when);
      }
      const opacity = document.createElement("label");
      opacity.className = "opacity";
      const text = document.createElement("span");
      text.textContent = t("opacity");
      const range = document.createElement("input");
      range.type = "range"; range.min = "0"; range.max = "100";
      range.value = String(Math.round(raster.opacity * 100));
      range.dataset.rasterOpacity = raster.name;
      range.setAttribute("aria-label", `${t("opacity")}: ${this.title(raster)}`);
      range.addEventListener("input", () => this.setOpacity(raster.name, range.value / 100));
      opacity.append(text, range);
      item.append(label, opacity);
      list.append(item);
    }
    box.append(summary, list);
    root.replaceChildren(box);
  }
}
