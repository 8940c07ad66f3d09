// The layer panel (registries grouped: cadastre, addresses, advertising, temporary structures,
// planning), visibility, opacity per group, and the legend of status colours.
import { t, tr, formatNumber } from "./i18n.js";

const OPACITY_PAINT = {
  fill: ["fill-opacity"], line: ["line-opacity"], circle: ["circle-opacity", "circle-stroke-opacity"],
  raster: ["raster-opacity"],
};

export class LayerPanel {
  constructor(map, style, config) {
    this.map = map;
    this.config = config;
    this.byCollection = new Map();  // collection id → style layers drawing it
    for (const layer of style.layers) {
      const id = layer.metadata?.["hromada:collection"];
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
    this.render();
    map.on("zoomend", () => this.markZoom());
    document.addEventListener("langchange", () => this.render());
  }

  // style layer ids a click may identify (visible registry layers)
  queryableLayerIds() {
    const ids = [];
    for (const [collection, layers] of this.byCollection) {
      if (collection === "basemap") continue;
      for (const l of layers) if (this.map.getLayoutProperty(l.id, "visibility") !== "none") ids.push(l.id);
    }
    return ids;
  }

  layersOf(collection) { return this.byCollection.get(collection) ?? []; }

  setVisible(collection, visible) {
    for (const layer of this.layersOf(collection)) {
      this.map.setLayoutProperty(layer.id, "visibility", visible ? "visible" : "none");
    }
    const box = document.querySelector(`input[data-layer="${collection}"]`);
    if (box) box.checked = visible;
  }

  isVisible(collection) {
    const layers = this.layersOf(collection);
    return layers.length > 0 && layers.every((l) => this.map.getLayoutProperty(l.id, "visibility") !== "none");
  }

  setOpacity(collections, factor) {
    for (const collection of collections) {
      for (const layer of this.layersOf(collection)) {
        for (const [prop, base] of Object.entries(this.baseOpacity.get(layer.id))) {
          const value = typeof base === "number" ? base * factor : ["*", base, factor];
          this.map.setPaintProperty(layer.id, prop, value);
        }
      }
    }
  }

  minZoom(collection) {
    return Math.min(...this.layersOf(collection).map((l) => l.minzoom ?? 0));
  }

  render() {
    const root = document.getElementById("layer-groups");
    const groups = new Map();
    const entries = [...this.config.layers];
    if (this.config.basemap) {
      entries.unshift({ id: "basemap", title: { uk: t("basemap"), en: t("basemap") },
        group: "other", colour: "#9e9e9e" });
    }
    for (const layer of entries) {
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
    const box = document.createElement("details");
    box.className = "layer-group";
    box.open = true;
    box.dataset.group = group;
    const summary = document.createElement("summary");
    const all = document.createElement("input");
    all.type = "checkbox";
    all.dataset.group = group;
    all.checked = layers.every((l) => this.isVisible(l.id));
    all.setAttribute("aria-label", tr(this.config.groups[group]));
    all.addEventListener("click", (e) => e.stopPropagation());
    all.addEventListener("change", () => {
      for (const l of layers) this.setVisible(l.id, all.checked);
    });
    const title = document.createElement("span");
    title.textContent = tr(this.config.groups[group]);
    summary.append(all, title);
    box.append(summary);
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
        all.checked = layers.every((l) => this.isVisible(l.id));
      });
      const swatch = document.createElement("span");
      swatch.className = `swatch ${layer.byStatus ? "by-status" : ""} geom-${(layer.geometry ?? "").toLowerCase()}`;
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
    box.append(list);
    const opacity = document.createElement("label");
    opacity.className = "opacity";
    const text = document.createElement("span");
    text.textContent = t("opacity");
    const range = document.createElement("input");
    range.type = "range"; range.min = "0"; range.max = "100"; range.value = "100";
    range.dataset.opacity = group;
    range.addEventListener("input", () => this.setOpacity(layers.map((l) => l.id), range.value / 100));
    opacity.append(text, range);
    box.append(opacity);
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

export function renderLegend(config) {
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  for (const [status, { colour, title }] of Object.entries(config.statuses)) {
    const li = document.createElement("li");
    li.dataset.status = status;
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.style.background = colour;
    const name = document.createElement("span");
    name.textContent = tr(title);
    li.append(dot, name);
    legend.append(li);
  }
}
