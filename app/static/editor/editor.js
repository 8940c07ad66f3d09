// The geoportal's editor, for signed-in staff only (the page loads it when a session exists;
// the server serves it to staff alone). Select an object on the map, change its attributes in
// a form built from the registry declaration, move, add or delete vertices with snapping to
// the neighbours, draw new objects, split a parcel by a line, merge two neighbours, delete.
// Every save goes through OGC API Part 4 (or the split and merge routes) with If-Match: a
// rule the database refuses is shown at its field or on the map, a save someone else beat is
// shown side by side with theirs. `window.portal.editor` exposes the state for tests.
import { formatNumber, lang, tr } from "/static/portal/i18n.js";
import { toast } from "/static/portal/identify.js";
import { Problem, getItem, getJson, neighbours, send } from "./api.js";
import { AttributeForm } from "./form.js";
import { MODE_OF, Projection, centroid, positions, sameGeometry, single } from "./geometry.js";
import { Snapper } from "./snapping.js";
import { s, sn } from "./strings.js";

const VENDOR = "/static/editor/vendor";
const NEAR_M = 60;  // how far around an object its neighbours are loaded for snapping

export async function start(portal) {
  const session = await getJson("/editor/session");
  style("/static/editor/editor.css");
  await script(`${VENDOR}/terra-draw/terra-draw.umd.js`);
  await script(`${VENDOR}/terra-draw-maplibre-gl-adapter/terra-draw-maplibre-gl-adapter.umd.js`);
  const editor = new Editor(portal, session);
  portal.editor = editor;
  // the holders' side: pending changes on the map and the way to the verification page
  import("/static/verification/overlay.js").then((m) => m.start(portal, editor.panel))
    .catch((err) => console.warn("pending overlay:", err.message));
  document.body.dataset.editor = "ready";
  return editor;
}

function script(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(el);
  });
}

function style(href) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (v !== false && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children);
  return node;
}

// run a button's action on a click, dropping the clicks that come while it still runs: a
// double click on «Зберегти» sent the save twice (a 412 against itself, or two new objects),
// on «Так, видалити» or a split's confirmation a second request that failed after the first
function onceAtATime(button, action, fail) {
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    action().catch(fail).finally(() => button.removeAttribute("aria-busy"));
  });
}

function version(etag) { return Number(String(etag ?? "").replace(/^W\//, "").replaceAll('"', "")); }

class Editor {
  constructor(portal, session) {
    this.portal = portal;
    this.map = portal.map;
    this.session = session;
    this.projection = new Projection(portal.config);
    this.snapper = new Snapper(this.map, this.projection);
    this.schemas = new Map();
    this.state = "idle";  // idle | editing | drawing | splitting | merging
    this.selected = null;  // {collection, id}
    this.current = null;  // the object being edited
    this.markers = [];
    this.buildPanel();
    this.draw = this.makeDraw();
    this.hookIdentify();
    document.addEventListener("langchange", () => this.renderStrings());
  }

  // -- the panel ---------------------------------------------------------------------------
  buildPanel() {
    const editable = this.session.collections.filter((c) => c.editable);
    // named for a screen reader: the registry a new object goes into
    this.layerSelect = el("select", { id: "editor-layer", "aria-label": s("newObject") });
    for (const c of editable) this.layerSelect.append(new Option(tr(c.title), c.id));
    this.buttons = {};
    const button = (id, key, onClick) => {
      const b = el("button", { type: "button", id: `editor-${id}`, "data-s": key, text: s(key) });
      onceAtATime(b, onClick, (err) => this.fail(err));
      this.buttons[id] = b;
      return b;
    };
    this.title = el("h3", { id: "editor-title" });
    this.hint = el("p", { id: "editor-hint", class: "hint" });
    this.formBox = el("div", { id: "editor-form-box" });
    this.extra = el("div", { id: "editor-extra" });
    this.message = el("p", { id: "editor-message", role: "status" });
    this.objectBox = el("section", { id: "editor-object", hidden: true }, this.title, this.hint,
      el("div", { class: "editor-actions" },
        button("edit", "edit", () => this.beginEdit()),
        button("save", "save", () => this.save()),
        button("cancel", "cancel", async () => this.cancel()),
        button("split", "split", async () => this.startSplit()),
        button("merge", "merge", async () => this.startMerge()),
        button("delete", "remove", async () => this.askDelete())),
      this.formBox, this.extra);
    const heading = el("h2", { "data-s": "editing", text: s("editing") });
    // over the map's top left: a chosen object is kept in sight beside it (map.js cardPadding)
    this.panel = el("aside", { id: "editor", class: "editor", "aria-label": s("editing"),
      "data-covers-map": true },
      el("header", {}, heading, el("span", { class: "who", text: this.session.name }),
        // app/static/portal/session.js ends the session on a click
        el("button", { type: "button", id: "editor-sign-out", "data-sign-out": true,
          "data-s": "signOut", text: s("signOut") })),
      el("div", { class: "editor-new", hidden: editable.length === 0 }, this.layerSelect,
        button("new", "create", async () => this.startNew())),
      this.objectBox, this.message);
    document.getElementById("map").append(this.panel);
    this.conflictDialog = el("dialog", { id: "editor-conflict", class: "editor-dialog" });
    document.body.append(this.conflictDialog);
    this.showButtons();
  }

  renderStrings() {
    for (const node of this.panel.querySelectorAll("[data-s]")) node.textContent = s(node.dataset.s);
    this.layerSelect.setAttribute("aria-label", s("newObject"));
    [...this.layerSelect.options].forEach((o) => {
      const c = this.session.collections.find((x) => x.id === o.value);
      if (c) o.textContent = tr(c.title);
    });
    if (this.selected) this.showTitle();
  }

  showButtons() {
    const st = this.state;
    const schema = this.current?.schema;
    const editing = st === "editing";
    const show = {
      edit: st === "idle" && this.selected && this.editable(this.selected.collection),
      save: editing, cancel: st !== "idle",
      split: editing && !this.current?.isNew && schema?.reshaping,
      merge: editing && !this.current?.isNew && schema?.reshaping,
      delete: editing && !this.current?.isNew,
    };
    for (const [id, visible] of Object.entries(show)) this.buttons[id].hidden = !visible;
    this.objectBox.hidden = !(this.selected || this.current);
    this.panel.dataset.state = st;
  }

  // ``lang``: the language of ``text`` when it is not the page's (the server's English)
  say(text, kind = "", lang = null) {
    this.message.textContent = text ?? "";
    this.message.className = kind;
    if (lang) this.message.lang = lang; else this.message.removeAttribute("lang");
  }

  fail(err) {
    if (err instanceof Problem) { this.showProblem(err); return; }
    console.warn(err);
    this.say(`${s("failed")}: ${err.message}`, "error");
  }

  editable(collection) {
    return this.session.collections.some((c) => c.id === collection && c.editable);
  }

  async schema(collection) {
    if (!this.schemas.has(collection)) {
      this.schemas.set(collection, await getJson(`/registries/${encodeURIComponent(collection)}/form`));
    }
    return this.schemas.get(collection);
  }

  // -- drawing library -----------------------------------------------------------------------
  makeDraw() {
    const { TerraDraw, TerraDrawSelectMode, TerraDrawPolygonMode, TerraDrawLineStringMode,
      TerraDrawPointMode } = window.terraDraw;
    const { TerraDrawMapLibreGLAdapter } = window.terraDrawMaplibreGlAdapter;
    const snapping = { toCustom: (event) => this.snapper.snap(event) };
    const vertices = { feature: { draggable: false, coordinates: {
      midpoints: true, draggable: true, deletable: true, snappable: snapping } } };
    let n = 0;
    const draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map: this.map, coordinatePrecision: 9 }),
      idStrategy: { isValidId: (id) => typeof id === "string" && id.length > 0,
        getId: () => `edit-${++n}` },
      modes: [
        new TerraDrawSelectMode({ flags: { polygon: vertices, linestring: vertices,
          point: { feature: { draggable: true } } },
        keyEvents: null, allowManualDeselection: false }),
        new TerraDrawPolygonMode({ snapping }),
        new TerraDrawLineStringMode({ snapping }),
        new TerraDrawLineStringMode({ modeName: "split", snapping }),
        new TerraDrawPointMode(),
      ],
    });
    draw.start();
    draw.setMode("static");
    draw.on("finish", (id, context) => this.onFinish(id, context).catch((err) => this.fail(err)));
    return draw;
  }

  drawn(id = this.current?.drawId) {
    return this.draw.getSnapshot().find((f) => f.id === id)?.geometry ?? null;
  }

  clearDrawing() {
    if (this.draw.getMode() !== "static") this.draw.setMode("static");
    this.draw.clear();
    for (const m of this.markers) m.remove();
    this.markers = [];
    this.popup?.remove();
  }

  async onFinish(id, context) {
    if (context.mode === "split" && this.state === "splitting") {
      const line = this.drawn(id);
      this.draw.removeFeatures([id]);
      this.draw.setMode("select");
      await this.previewSplit(line);
    } else if (this.state === "drawing" && ["polygon", "linestring", "point"].includes(context.mode)) {
      await this.drewNew(id);
    }
  }

  // -- selection -------------------------------------------------------------------------------
  hookIdentify() {
    const identify = this.portal.identify;
    const previous = identify.onSelect;
    identify.onSelect = (sel) => { previous?.(sel); this.onIdentify(sel); };
    // an object open before the editor loaded (a permalink's) is the one selected
    if (identify.current?.collection && identify.current.feature) this.onIdentify(identify.current);
  }

  onIdentify(sel) {
    if (this.state !== "idle") return;
    // the feature's own id: a permalink's is the text of the address
    this.selected = sel ? { collection: sel.collection, id: sel.feature?.id ?? sel.id,
      properties: sel.feature?.properties ?? {} } : null;
    this.showTitle();
    this.say(this.selected && !this.editable(this.selected.collection) ? s("readOnly") : "");
    this.showButtons();
  }

  showTitle() {
    const c = this.session.collections.find((x) => x.id === (this.current ?? this.selected)?.collection);
    if (!c) { this.title.textContent = ""; return; }
    const schema = this.schemas.get(c.id);
    const props = this.current?.form?.loaded ?? this.selected?.properties ?? {};
    const label = schema?.label && props[schema.label] ? ` ${props[schema.label]}` : "";
    const id = this.current?.id ?? this.selected?.id;
    this.title.textContent = `${tr(c.title)}${label || (id ? ` #${id}` : "")}`;
  }

  // -- editing an object -------------------------------------------------------------------
  async beginEdit() {
    const { collection, id } = this.selected;
    const schema = await this.schema(collection);
    const { feature, etag } = await getItem(collection, id, this.projection.crsUri);
    this.current = { collection, id, schema, etag, isNew: false };
    this.portal.identify.enabled = false;
    this.load(feature, etag);
    await this.loadNeighbours(feature);
    this.state = "editing";
    this.showTitle();
    this.showButtons();
  }

  load(feature, etag) {
    const cur = this.current;
    cur.etag = etag;
    cur.feature = feature;
    this.clearDrawing();
    cur.form?.dispose();
    cur.form = new AttributeForm(cur.schema, feature.properties, { editable: true });
    this.formBox.replaceChildren(cur.form.element);
    this.formBox.hidden = false;
    this.extra.replaceChildren();
    const geometry = single(this.projection.fromStorage(feature.geometry));
    cur.loadedGeometry = geometry;
    cur.drawId = null;
    if (!geometry) { this.say(s("multipart")); return; }
    const [result] = this.draw.addFeatures([{ id: `object-${cur.collection}-${cur.id}`,
      type: "Feature", geometry, properties: { mode: MODE_OF[geometry.type] } }]);
    if (!result?.valid) { this.say(result?.reason ?? s("multipart")); return; }
    cur.drawId = result.id;
    this.draw.setMode("select");
    this.draw.selectFeature(result.id);
    this.say(geometry.type === "Point" ? "" : s("vertexHint"));
  }

  async loadNeighbours(feature) {
    const metres = positions(feature.geometry).map(([n, e]) => [e, n]);
    const es = metres.map((p) => p[0]); const ns = metres.map((p) => p[1]);
    const bbox = [Math.min(...ns) - NEAR_M, Math.min(...es) - NEAR_M,
      Math.max(...ns) + NEAR_M, Math.max(...es) + NEAR_M];  // northing first, as the CRS says
    const near = await neighbours(this.current.collection, bbox, this.projection.crsUri);
    this.current.neighbours = near.filter((f) => String(f.id) !== String(this.current.id));
    this.snapper.setCandidates(this.current.neighbours);
  }

  async save() {
    const cur = this.current;
    const values = cur.form.values();
    const wrong = cur.form.check(values);
    if (wrong) { this.say(sn("invalid", wrong), "error"); return; }
    const props = cur.isNew ? values : cur.form.changes();
    const geometry = cur.drawId ? this.drawn() : null;
    const moved = geometry && !sameGeometry(geometry, cur.loadedGeometry);
    if (!cur.isNew && !Object.keys(props).length && !moved) { this.say(s("nothingChanged")); return; }
    const body = { type: "Feature", properties: props };
    if (moved) body.geometry = this.projection.toStorage(geometry);
    this.say(s("saving"));
    const base = `/collections/${encodeURIComponent(cur.collection)}/items`;
    if (cur.isNew) {
      const r = await send("POST", base, { body, crsUri: this.projection.crsUri });
      await this.done(cur.collection, r.body.id, s("created"));
    } else {
      await send("PATCH", `${base}/${encodeURIComponent(cur.id)}`,
        { body, etag: cur.etag, crsUri: this.projection.crsUri });
      await this.done(cur.collection, cur.id, s("saved"));
    }
  }

  async cancel() {
    this.end();
    this.say("");
    if (this.selected) this.portal.identify.show(this.selected.collection, this.selected.id);
  }

  end() {
    this.clearDrawing();
    this.current?.form?.dispose();
    this.current = null;
    this.formBox.replaceChildren();
    this.formBox.hidden = false;
    this.extra.replaceChildren();
    if (this.mergeClick) { this.map.off("click", this.mergeClick); this.mergeClick = null; }
    this.state = "idle";
    this.portal.identify.enabled = true;
    this.showButtons();
  }

  // after a write: the change waits for the holder's verification (the public card and tiles
  // still show the published version); the overlay of pending changes shows it, and the
  // editor keeps the object as it now is in the working copy
  async done(collection, id, text) {
    this.end();
    this.refreshTiles();
    const note = `${text}. ${s("awaitsVerification")}`;
    toast(text);
    this.say(note, "ok");
    this.portal.pending?.refresh();
    if (id === null) { this.portal.identify.clear(); this.selected = null; this.showButtons(); return; }
    this.selected = { collection, id, properties: {} };
    try {
      const { feature } = await getItem(collection, id, this.projection.crsUri);
      this.selected.properties = feature.properties;
    } catch { /* deleted meanwhile */ }
    this.showTitle();
    this.showButtons();
  }

  refreshTiles() {
    for (const [id, spec] of Object.entries(this.map.getStyle().sources)) {
      const source = this.map.getSource(id);
      if (spec.type === "vector" && source?.tiles) source.setTiles(source.tiles);
    }
  }

  // -- problems ----------------------------------------------------------------------------
  showProblem(err) {
    if (err.status === 412 && this.current && !this.current.isNew) { this.conflict(); return; }
    if (err.status === 401) { this.say(s("signedOut"), "error"); return; }
    const { field, detail, rule } = err.body;
    const text = detail ?? err.message;
    // a registry rule: which one, in the page's language (its declaration), then the API's
    // English sentence naming the object, marked for a screen reader
    const described = rule ? this.current?.schema?.rules?.[rule] : null;
    if (described) this.sayBroken(tr(described), text);
    else this.say(text, "error", "en");
    if (field && field !== "geometry" && this.current?.form?.showError(field, text, "en")) return;
    if (field && this.extra.querySelector(`[name="${CSS.escape(field)}"]`)) {
      const input = this.extra.querySelector(`[name="${CSS.escape(field)}"]`);
      input.closest("label")?.classList.add("invalid");
      return;
    }
    if (field === "geometry" || field === "line" || field === "with" || !field) {
      this.onMap(text, described ? tr(described) : null);
    }
  }

  sayBroken(rule, detail) {
    this.message.className = "error";
    this.message.removeAttribute("lang");
    const english = Object.assign(document.createElement("span"), { textContent: detail, lang: "en" });
    this.message.replaceChildren(`${s("ruleBroken")}: ${rule}. `, english);
  }

  onMap(text, rule = null) {  // the server's (English) sentence, at the place it names
    const at = text.match(/POINT\(([-\d.]+) ([-\d.]+)\)/);
    const geometry = this.drawn() ?? this.current?.loadedGeometry;
    const where = at ? [Number(at[1]), Number(at[2])] : geometry ? centroid(geometry) : null;
    if (!where) return;
    this.popup?.remove();
    this.popup = new maplibregl.Popup({ className: "editor-problem", maxWidth: "320px" })
      .setLngLat(where)
      .setDOMContent(this.problemContent(text, rule))
      .addTo(this.map);
  }

  problemContent(text, rule) {
    const english = Object.assign(document.createElement("p"), { textContent: text, lang: "en" });
    if (!rule) return english;
    const box = document.createElement("div");
    box.append(Object.assign(document.createElement("p"), { textContent: `${s("ruleBroken")}: ${rule}` }),
      english);
    return box;
  }

  async conflict() {
    const cur = this.current;
    const { feature, etag } = await getItem(cur.collection, cur.id, this.projection.crsUri);
    let last = null;
    try {
      const log = await getJson(`/registries/${encodeURIComponent(cur.collection)}/items/${cur.id}/history`);
      last = log.versions.at(-1);
    } catch { /* the log is a nicety */ }
    const mine = cur.form.values();
    const rows = [];
    for (const f of cur.schema.fields) {
      if (f.readOnly) continue;
      const a = mine[f.name] ?? null; const b = feature.properties[f.name] ?? null;
      const theirsChanged = JSON.stringify(b) !== JSON.stringify(cur.form.loaded[f.name] ?? null);
      if (JSON.stringify(a) !== JSON.stringify(b) || theirsChanged) {
        rows.push(el("tr", { "data-field": f.name }, el("th", { text: tr(f.title) }),
          el("td", { class: "yours", text: show(f, a) }), el("td", { class: "theirs", text: show(f, b) })));
      }
    }
    const theirGeometry = single(this.projection.fromStorage(feature.geometry));
    const mineGeometry = this.drawn();
    const geomRow = (done) => (done ? s("geometryChanged") : s("unchanged"));
    rows.push(el("tr", { "data-field": "geometry" }, el("th", { text: s("geometry") }),
      el("td", { class: "yours", text: geomRow(mineGeometry && !sameGeometry(mineGeometry, cur.loadedGeometry)) }),
      el("td", { class: "theirs", text: geomRow(!sameGeometry(theirGeometry, cur.loadedGeometry)) })));
    const who = last ? `${s("changedBy")}: ${last.by ?? "?"}, ${hromadaLanguage.moment(last.at, lang())}` : "";
    const reload = el("button", { type: "button", id: "editor-reload", class: "primary", text: s("reload") });
    const close = el("button", { type: "button", id: "editor-conflict-close", text: s("close") });
    this.conflictDialog.replaceChildren(
      el("h2", { text: s("conflict") }),
      el("p", { class: "who", text: `${who} (${s("version")} ${version(etag)})` }),
      el("table", { class: "conflict-table" },
        el("thead", {}, el("tr", {}, el("th", { text: s("field") }), el("th", { text: s("yours") }),
          el("th", { text: s("theirs") }))),
        el("tbody", {}, ...rows)),
      el("div", { class: "dialog-actions" }, reload, close));
    reload.addEventListener("click", async () => {
      this.conflictDialog.close();
      this.load(feature, etag);
      await this.loadNeighbours(feature);
      this.say("");
    });
    close.addEventListener("click", () => this.conflictDialog.close());
    this.say(s("conflict"), "error");
    this.conflictDialog.showModal();
  }

  // -- new objects ---------------------------------------------------------------------------
  async startNew() {
    const collection = this.layerSelect.value;
    const schema = await this.schema(collection);
    this.end();
    this.portal.identify.clear();
    this.portal.identify.enabled = false;
    this.current = { collection, schema, isNew: true, id: null };
    this.selected = null;
    const b = this.map.getBounds();
    const sw = this.projection.tm.forward([b.getWest(), b.getSouth()]);
    const ne = this.projection.tm.forward([b.getEast(), b.getNorth()]);
    if (this.map.getZoom() >= 15) {
      const near = await neighbours(collection, [sw[1], sw[0], ne[1], ne[0]], this.projection.crsUri);
      this.snapper.setCandidates(near);
    }
    this.state = "drawing";
    this.draw.setMode(MODE_OF[schema.geometry]);
    this.title.textContent = `${tr(schema.title)}: ${s("newObject")}`;
    this.say(s("drawHint"));
    this.showButtons();
  }

  async drewNew(id) {
    const cur = this.current;
    cur.drawId = id;
    cur.loadedGeometry = null;
    cur.form = new AttributeForm(cur.schema, {}, { editable: true });
    this.formBox.replaceChildren(cur.form.element);
    this.draw.setMode("select");
    if (cur.schema.geometry !== "Point") this.draw.selectFeature(id);
    this.state = "editing";
    this.say("");
    this.showButtons();
  }

  // -- split ---------------------------------------------------------------------------------
  startSplit() {
    const cur = this.current;
    this.snapper.setCandidates([...(cur.neighbours ?? []), cur.feature]);
    this.state = "splitting";
    this.draw.setMode("split");
    this.say(s("splitHint"));
    this.showButtons();
  }

  async previewSplit(line) {
    const cur = this.current;
    this.state = "editing";
    this.showButtons();
    const url = `/collections/${encodeURIComponent(cur.collection)}/items/${cur.id}/split`;
    const body = { line: this.projection.toStorage(line), preview: true };
    const r = await send("POST", url, { body, etag: cur.etag, crsUri: this.projection.crsUri });
    const parts = r.body.features;
    const label = cur.schema.fields.find((f) => f.name === cur.schema.label);
    const inputs = parts.map((part, i) => {
      this.mark(centroid(part.geometry), String(i + 1));
      const input = el("input", { type: "text", name: label?.name ?? "label", required: true,
        "data-part": String(i), pattern: label?.pattern ?? false });
      return el("label", { class: "editor-field" },
        el("span", { class: "title", text: `${s("part")} ${i + 1} · ${s("area")} ` +
          `${formatNumber(part.properties.area_m2, 1)} ${s("m2")} — ${label ? tr(label.title) : ""}` }),
        input, el("small", { class: "error" }));
    });
    const go = el("button", { type: "button", id: "editor-split-confirm", class: "primary", text: s("doSplit") });
    onceAtATime(go, () => this.confirmSplit(line, inputs.map((row) =>
      row.querySelector("input").value.trim())), (err) => this.fail(err));
    this.formBox.hidden = true;  // the parts are what matters now
    this.extra.replaceChildren(el("h4", { text: s("parts") }), ...inputs, go);
    this.say("");
  }

  mark(lngLat, text) {
    const node = el("div", { class: "editor-part-marker", text });
    this.markers.push(new maplibregl.Marker({ element: node }).setLngLat(lngLat).addTo(this.map));
  }

  async confirmSplit(line, numbers) {
    const cur = this.current;
    const key = cur.schema.label;
    const parts = numbers.map((n) => ({ properties: { [key]: n } }));
    const url = `/collections/${encodeURIComponent(cur.collection)}/items/${cur.id}/split`;
    const r = await send("POST", url, { body: { line: this.projection.toStorage(line), parts },
      etag: cur.etag, crsUri: this.projection.crsUri });
    await this.done(cur.collection, r.body.features[0].id, s("splitDone"));
  }

  // -- merge ---------------------------------------------------------------------------------
  startMerge() {
    const cur = this.current;
    this.state = "merging";
    this.say(s("mergeHint"));
    this.showButtons();
    const layers = this.portal.layers.layersOf(cur.collection).map((l) => l.id);
    this.mergeClick = (e) => {
      const r = 4;
      const hit = this.map.queryRenderedFeatures(
        [[e.point.x - r, e.point.y - r], [e.point.x + r, e.point.y + r]], { layers })
        .find((f) => f.id !== undefined && String(f.id) !== String(cur.id));
      if (!hit) return;
      this.map.off("click", this.mergeClick);
      this.mergeClick = null;
      this.prepareMerge(hit.id).catch((err) => this.fail(err));
    };
    this.map.on("click", this.mergeClick);
  }

  async prepareMerge(otherId) {
    const cur = this.current;
    const { feature: other, etag } = await getItem(cur.collection, otherId, this.projection.crsUri);
    this.state = "editing";
    this.showButtons();
    const label = cur.schema.fields.find((f) => f.name === cur.schema.label);
    const otherGeometry = single(this.projection.fromStorage(other.geometry));
    if (otherGeometry) this.mark(centroid(otherGeometry), "+");
    const input = el("input", { type: "text", name: label?.name ?? "label", required: true,
      pattern: label?.pattern ?? false, id: "editor-merge-number" });
    const go = el("button", { type: "button", id: "editor-merge-confirm", class: "primary", text: s("doMerge") });
    onceAtATime(go, () => this.confirmMerge(otherId, version(etag), input.value.trim()),
      (err) => this.fail(err));
    const name = label ? other.properties[label.name] : `#${otherId}`;
    this.formBox.hidden = true;
    this.extra.replaceChildren(
      el("h4", { text: `${s("merge")} ${s("with")} ${name}` }),
      el("label", { class: "editor-field" }, el("span", { class: "title", text: label ? tr(label.title) : "" }),
        input, el("small", { class: "error" })), go);
    this.say("");
  }

  async confirmMerge(otherId, otherVersion, number) {
    const cur = this.current;
    const url = `/collections/${encodeURIComponent(cur.collection)}/items/${cur.id}/merge`;
    const r = await send("POST", url, { etag: cur.etag, body: {
      with: [{ id: Number(otherId), version: otherVersion }],
      properties: { [cur.schema.label]: number } } });
    await this.done(cur.collection, r.body.id, s("mergeDone"));
  }

  // -- delete --------------------------------------------------------------------------------
  askDelete() {
    const yes = el("button", { type: "button", id: "editor-delete-confirm", class: "danger", text: s("yesRemove") });
    onceAtATime(yes, () => this.remove(), (err) => this.fail(err));
    this.extra.replaceChildren(el("p", { text: s("confirmRemove") }), yes);
  }

  async remove() {
    const cur = this.current;
    await send("DELETE", `/collections/${encodeURIComponent(cur.collection)}/items/${cur.id}`,
      { etag: cur.etag });
    await this.done(cur.collection, null, s("removed"));
  }
}

function show(f, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (f.choices) {
    const c = f.choices.find((x) => x.code === value);
    return c ? `${tr(c.title)} (${value})` : String(value);
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
