// The geoportal "with pending changes" for signed-in staff: a switch in the editor's panel that
// draws every change waiting for verification over the public map (new and changed objects in
// orange, deletions crossed out in grey), and the link to the holders' verification page.
// The public map itself (tiles, cards) always shows the verified versions.

const STRINGS = {
  uk: { show: "Показати зміни на перевірці", queue: "Черга перевірки" },
  en: { show: "Show changes awaiting verification", queue: "Verification queue" },
};
const s = (key) => STRINGS[document.documentElement.lang === "en" ? "en" : "uk"][key];
const SOURCE = "pending-changes";

export function start(portal, panel) {
  const map = portal.map;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "pending-toggle";
  const label = document.createElement("label");
  label.className = "pending-toggle";
  const text = document.createElement("span");
  label.append(box, " ", text);
  const link = document.createElement("a");
  link.href = "/verification";
  link.id = "verification-link";
  link.target = "_blank";
  const wrap = document.createElement("p");
  wrap.className = "pending-tools";
  wrap.append(label, " · ", link);
  panel.querySelector("header")?.after(wrap);
  const words = () => { text.textContent = s("show"); link.textContent = s("queue"); };
  words();
  document.addEventListener("langchange", words);

  const state = {
    shown: false,
    async refresh() {
      if (!state.shown) return;
      const r = await fetch("/verification/pending.geojson", { credentials: "same-origin",
        cache: "no-store", headers: { Accept: "application/geo+json" } });
      if (!r.ok) return;
      const data = await r.json();
      state.count = data.features.length;
      if (map.getSource(SOURCE)) map.getSource(SOURCE).setData(data);
      else draw(map, data);
    },
  };
  portal.pending = state;
  box.addEventListener("change", async () => {
    state.shown = box.checked;
    for (const id of layerIds) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    await state.refresh();
  });
}

const layerIds = ["pending-fill", "pending-line", "pending-point"];

function draw(map, data) {
  map.addSource(SOURCE, { type: "geojson", data });
  const colour = ["match", ["get", "operation"], "delete", "#757575", "#ef6c00"];
  map.addLayer({ id: "pending-fill", type: "fill", source: SOURCE,
    filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": colour, "fill-opacity": 0.3 } });
  map.addLayer({ id: "pending-line", type: "line", source: SOURCE,
    paint: { "line-color": colour, "line-width": 2.5, "line-dasharray": [2, 1] } });
  map.addLayer({ id: "pending-point", type: "circle", source: SOURCE,
    filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-color": colour, "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
}
