// The map on the OGC API's HTML pages (ogc/templates/): the city's own style as background and
// the page's objects (a JSON block) highlighted over it, or the collection's extent (a raster's
// with its tiles, data-raster). No inline script: the page says what to draw in data- attributes.
(function () {
  const HIGHLIGHT = "#ff6f00";
  for (const box of document.querySelectorAll(".ogc-map")) {
    const data = box.dataset.geojson ? JSON.parse(document.getElementById(box.dataset.geojson).textContent) : null;
    const map = new maplibregl.Map({ container: box, style: box.dataset.style, attributionControl: { compact: true },
      dragRotate: false, maxPitch: 0 });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    const bounds = new maplibregl.LngLatBounds();
    const walk = (c) => { if (typeof c[0] === "number") bounds.extend(c); else c.forEach(walk); };
    if (data) {
      for (const f of data.features) if (f.geometry) walk(f.geometry.coordinates);
    } else if (box.dataset.bbox) {
      const [w, s, e, n] = box.dataset.bbox.split(",").map(Number);
      if ([w, s, e, n].every(Number.isFinite)) { bounds.extend([w, s]); bounds.extend([e, n]); }
    }
    if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 30, maxZoom: 17, duration: 0 });
    map.on("load", () => {
      if (box.dataset.raster) {
        // a published raster (its TileJSON) under the city's labels
        const labels = map.getStyle().layers.find((l) => l.type === "symbol");
        map.addSource("raster", { type: "raster", url: box.dataset.raster, tileSize: 256 });
        map.addLayer({ id: "raster", type: "raster", source: "raster" }, labels ? labels.id : undefined);
      }
      if (!data) return;
      map.addSource("items", { type: "geojson", data });
      map.addLayer({ id: "items-fill", type: "fill", source: "items", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": HIGHLIGHT, "fill-opacity": 0.25 } });
      map.addLayer({ id: "items-line", type: "line", source: "items", filter: ["!=", ["geometry-type"], "Point"],
        paint: { "line-color": HIGHLIGHT, "line-width": 2.5 } });
      map.addLayer({ id: "items-point", type: "circle", source: "items", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 6, "circle-color": HIGHLIGHT, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
      if (box.dataset.items) {
        for (const id of ["items-fill", "items-line", "items-point"]) {
          map.on("click", id, (e) => {
            const f = e.features[0];
            if (f && f.id !== undefined) location.href = `${box.dataset.items}/${f.id}?f=html&lang=${box.dataset.lang}`;
          });
          map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
          map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
        }
      }
    });
  }
})();
