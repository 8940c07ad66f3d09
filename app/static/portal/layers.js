// The layer panel: the base map and the registries by group (cadastre, addresses, advertising,
// temporary structures, planning …), what is on at first (the server says: planning layers
// wait until chosen), visibility, opacity per group, and the state a permalink keeps.
import { t, tr, formatNumber } from "./i18n.js";

const OPACITY_PAINT = {
  fill: ["fill-opacity"], line: ["line-opacity"], circle: ["circle-opacity", "circle-stroke-opacity"],
  raster: ["raster-opacity"], symbol: ["text-opacity"],
};
const GROUND = "basemap-ground";  // the base map's own ground (territory, green, zoned land)

export class LayerPanel {
  constructor(map, style, config) {
    this.map = map;
    this.config = config;
    this.byCollection = new Map();  // collection id → style layers drawing it
    for (const layer of style.layers) {
      const meta = layer.metadata ?? {};
      const id = meta["hromada:collection"] ?? (meta["hromada:role"] === "basemap" ? GROUND : null);
      if (!id) continue;
      if (!this.byCollection.has(id)) this.byCollection.set(id, []);
      this.byCollection.get(id).push(layer);
    }
    this.baseOpacity = new Map();  // style layer id → {paint property → declared value}
    for (const layers of this.byCollection.values()) {
      for (const layer of layers) {
        const base = {};
        for (const prop of OPACITY_PAINT[layer.type] ?? []) base[prop] = layer.paint?.[prop] ?? 1;
        this.baseOpacity.set(layer.id, base);
      }
    }
    for (const layer of config.layers) {
      if (!layer.on) this.setVisible(layer.id, false);
    }
    this.render();
    map.on("zoomend", () => this.markZoom());
    document.addEventListener("langchange", () => this.render());
  }

  // style layer ids a click may identify (visible registry layers, not the raster)
  queryableLayerIds() {
    const ids = [];
    for (const [collection, layers] of this.byCollection) {
      if (collection === "basemap" || collection === GROUND) continue;
      for (const l of layers) {
        if (this.map.getLayer(l.id) && this.map.getLayoutProperty(l.id, "visibility") !== "none") ids.push(l.id);
      }
    }
    return ids;
  }

  layersOf(collection) { return this.byCollection.get(collection) ?? []; }

  setVisible(collection, visible) {
    for (const layer of this.layersOf(collection)) {
      if (this.map.getLayer(layer.id)) {
        this.map.setLayoutProperty(layer.id, "visibility", visible ? "visible" : "none");
      }
    }
    const box = document.querySelector(`input[data-layer="${collection}"]`);
    if (box) box.checked = visible;
    document.dispatchEvent(new CustomEvent("layerchange", { detail: { collection, visible } }));
  }

  isVisible(collection) {
    const layers = this.layersOf(collection);
    return layers.length > 0 && layers.every((l) => this.map.getLayoutProperty(l.id, "visibility") !== "none");
  }

  // the registries that are on (what a permalink keeps)
  visibleCollections() {
    return this.config.layers.filter((l) => this.byCollection.has(l.id) && this.isVisible(l.id))
      .map((l) => l.id);
  }

  // show exactly these registries (from a permalink); the base map's ground stays as it is
  showOnly(ids) {
    const wanted = new Set(ids);
    for (const layer of this.config.layers) {
      if (this.byCollection.has(layer.id)) this.setVisible(layer.id, wanted.has(layer.id));
    }
    this.render();
  }

  setOpacity(collections, factor) {
    for (const collection of collections) {
      for (const layer of this.layersOf(collection)) {
        for (const [prop, base] of Object.entries(this.baseOpacity.get(layer.id))) {
          const value = typeof base === "number" ? base * factor : ["*", base, factor];
          try { this.map.setPaintProperty(layer.id, prop, value); } catch { /* zoom expressions */ }
        }
      }
    }
  }

  minZoom(collection) {
    return Math.min(...this.layersOf(collection).map((l) => l.minzoom ?? 0));
  }

  entries() {
    const entries = [...this.config.layers];
    const ground = { id: GROUND, title: { uk: t("basemapCity"), en: t("basemapCity") },
      group: "basemap", colour: "#cfe8bf", geometry: "Polygon" };
    entries.unshift(ground);
    if (this.config.basemap) {
      entries.unshift({ id: "basemap", title: { uk: t("basemap"), en: t("basemap") },
        group: "basemap", colour: "#9e9e9e" });
    }
    return entries;
  }

  render() {
    const root = document.getElementById("layer-groups");
    const groups = new Map();
    for (const layer of this.entries()) {
      if (!this.byCollection.has(layer.id)) continue;  // not drawn by the city map
      if (!groups.has(layer.group)) groups.set(layer.group, []);
      groups.get(layer.group).push(layer);
    }
    root.replaceChildren();
    for (const group of Object.keys(this.config.groups)) {
      const layers = groups.get(group);
      if (!layers) continue;
      root.append(this.groupElement(group, layers));
    }
    this.markZoom();
  }

  groupElement(group, layers) {
    // the group's switch stands beside its foldable list, not in its <summary>: a control
    // inside another is one a screen reader or keyboard cannot reach as itself (WCAG 4.1.2)
    const box = document.createElement("div");
    box.className = "layer-group with-switch";
    box.dataset.group = group;
    const fold = document.createElement("details");
    fold.open = group !== "basemap";
    const summary = document.createElement("summary");
    const all = document.createElement("input");
    all.type = "checkbox";
    all.dataset.group = group;
    // on when any of the group is on (a dash when only some are): a click turns it all off
    const mark = () => {
      all.checked = layers.some((l) => this.isVisible(l.id));
      all.indeterminate = all.checked && !layers.every((l) => this.isVisible(l.id));
    };
    mark();
    all.setAttribute("aria-label", tr(this.config.groups[group]));
    all.addEventListener("change", () => {
      for (const l of layers) this.setVisible(l.id, all.checked);
      all.indeterminate = false;
    });
    const title = document.createElement("span");
    title.textContent = tr(this.config.groups[group]);
    summary.append(title);
    fold.append(summary);
    box.append(all, fold);
    const list = document.createElement("ul");
    for (const layer of layers) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.dataset.layer = layer.id;
      check.checked = this.isVisible(layer.id);
      check.addEventListener("change", () => {
        this.setVisible(layer.id, check.checked);
        mark();
      });
      const swatch = document.createElement("span");
      const kind = layer.byStatus ? "by-status" : layer.byRange ? "by-range" : "";
      swatch.className = `swatch ${kind} ${layer.ring ? "ring" : ""} geom-${(layer.geometry ?? "").toLowerCase()}`;
      swatch.style.setProperty("--c", layer.colour);
      if (layer.outline) swatch.style.setProperty("--o", layer.outline);
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = tr(layer.title);
      const zoom = document.createElement("small");
      zoom.className = "zoom-hint";
      zoom.dataset.minzoom = String(this.minZoom(layer.id));
      label.append(check, swatch, name, zoom);
      item.append(label);
      list.append(item);
    }
    fold.append(list);
    if (group !== "basemap") {
      const opacity = document.createElement("label");
      opacity.className = "opacity";
      const text = document.createElement("span");
      text.textContent = t("opacity");
      const range = document.createElement("input");
      range.type = "range"; range.min = "0"; range.max = "100"; range.value = "100";
      range.dataset.opacity = group;
      range.setAttribute("aria-label", `${t("opacity")}: ${tr(this.config.groups[group])}`);
      range.addEventListener("input", () => this.setOpacity(layers.map((l) => l.id), range.value / 100));
      opacity.append(text, range);
      fold.append(opacity);
    }
    return box;
  }

  // grey out layers that start at a deeper zoom than the current one
  markZoom() {
    const zoom = this.map.getZoom();
    for (const hint of document.querySelectorAll(".zoom-hint")) {
      const min = Number(hint.dataset.minzoom);
      const hidden = zoom < min;
      hint.textContent = hidden ? `z ≥ ${formatNumber(min)}` : "";
      hint.closest("li").classList.toggle("out-of-zoom", hidden);
    }
  }
}
