// The holders' page (served to signed-in staff only): the verification queue of a registry
// with each change's attribute diff and its geometry before and after on a small map, approve
// or reject one by one, a selection or a whole batch; the registry's quality report; the
// public's error reports with their answers. Everything it shows comes from the server's JSON
// (titles of registries, fields, checks and statuses from the declarations); `window.holders`
// exposes the state for tests. A value reads as the geoportal's cards write it (format.js:
// codes by their titles, dates and numbers in the page's language), from the same field
// descriptions (``Field.display``).
import { Fields } from "../portal/format.js";
import { useLang } from "../portal/i18n.js";

// the classifiers' names are the geoportal's (its config): here a purpose reads as its code,
// beside the purpose's own text
const NO_CLASSIFIERS = { purposes: {}, purposeSections: {}, restrictions: {} };

const STRINGS = {
  uk: {
    title: "Перевірка даних", queue: "Черга перевірки", quality: "Якість даних",
    reports: "Повідомлення про помилки", portal: "До геопорталу", signOut: "Вийти", registries: "Реєстри",
    youVerify: "ви перевіряєте", pending: "на перевірці", openReports: "звернень",
    nothingPending: "Змін, що чекають на перевірку, немає.", batches: "Пакети змін",
    batch: "Пакет", changes: "Зміни", object: "Об'єкт", operation: "Дія", author: "Автор",
    when: "Коли", create: "новий", update: "зміна", delete: "вилучення",
    approve: "Затвердити", reject: "Відхилити", approveSelected: "Затвердити вибрані",
    rejectSelected: "Відхилити вибрані", approveBatch: "Затвердити пакет",
    rejectBatch: "Відхилити пакет", reason: "Причина (обов'язкова для відхилення)",
    field: "Поле", before: "Було (опубліковано)", after: "Стало (на перевірці)",
    geometryChanged: "Геометрію змінено", geometrySame: "Геометрія без змін",
    together: "Рішення приймається разом з", approved: "Затверджено", rejected: "Відхилено",
    notVerifier: "Ви не перевіряєте цей реєстр: лише перегляд.",
    findings: "знахідок", objects: "об'єктів", noFindings: "Нічого не знайдено.",
    openOnMap: "на мапі", noReports: "Звернень немає.", ticket: "Номер",
    comment: "Повідомлення", contact: "Контакт", status: "Стан", answer: "Відповідь",
    save: "Зберегти", saved: "Збережено", loading: "Завантаження…", failed: "Помилка",
    choose: "Оберіть реєстр ліворуч.", deleted: "(вилучено)", new: "(новий)",
  },
  en: {
    title: "Data verification", queue: "Verification queue", quality: "Data quality",
    reports: "Error reports", portal: "To the geoportal", signOut: "Sign out", registries: "Registries",
    youVerify: "you verify", pending: "pending", openReports: "reports",
    nothingPending: "No changes wait for verification.", batches: "Batches",
    batch: "Batch", changes: "Changes", object: "Object", operation: "Action",
    author: "Author", when: "When", create: "new", update: "change", delete: "deletion",
    approve: "Approve", reject: "Reject", approveSelected: "Approve selected",
    rejectSelected: "Reject selected", approveBatch: "Approve batch",
    rejectBatch: "Reject batch", reason: "Reason (required to reject)", field: "Field",
    before: "Before (published)", after: "After (pending)",
    geometryChanged: "Geometry changed", geometrySame: "Geometry unchanged",
    together: "Decided together with", approved: "Approved", rejected: "Rejected",
    notVerifier: "You do not verify this registry: view only.",
    findings: "findings", objects: "objects", noFindings: "Nothing found.",
    openOnMap: "on the map", noReports: "No reports.", ticket: "Ticket",
    comment: "Report", contact: "Contact", status: "Status", answer: "Answer",
    save: "Save", saved: "Saved", loading: "Loading…", failed: "Failed",
    choose: "Choose a registry on the left.", deleted: "(deleted)", new: "(new)",
  },
};

// the server wrote the page in its ?lang=; a choice made on another page counts too
// (language.js, loaded before this module, is the one rule for every page)
let lang = hromadaLanguage.initial();
const s = (key) => STRINGS[lang][key] ?? key;
const tr = (text) => (text && typeof text === "object" ? text[lang] ?? text.uk : text ?? "");
const when = (iso) => hromadaLanguage.moment(iso, lang);
// the registry's own words and the public's (a number, a value, a report: Ukrainian) marked so
// on the English page for a screen reader's voice, as the geoportal's cards mark them
const uk = (text) => (lang === "en" && /[\u0400-\u04FF]/.test(String(text ?? "")) ? "uk" : undefined);
const state = { tab: "queue", registry: null, summary: null, detail: null, map: null };
window.holders = state;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (v !== false && v !== undefined && v !== null) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// replaceChildren() would write "null" for an absent part: keep only the nodes
function fill(node, ...children) {
  node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

async function api(url, { method = "GET", body } = {}) {
  const r = await fetch(url, {
    method, credentials: "same-origin", cache: "no-store",
    headers: { Accept: "application/json", ...(body ? { "Content-Type": "application/json",
      "X-CSRF-Token": hromadaSession.csrf() } : {}) },
    body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  const doc = text ? JSON.parse(text) : null;
  if (!r.ok) throw Object.assign(new Error(doc?.detail ?? `HTTP ${r.status}`), { lang: "en" });
  return doc;
}

// ``lang``: the language of ``text`` when it is not the page's (the server's English)
function say(text, kind = "", lang = null) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = `message ${kind}`;
  if (lang) box.lang = lang; else box.removeAttribute("lang");
}

function strings() {
  for (const node of document.querySelectorAll("[data-s]")) node.textContent = s(node.dataset.s);
  document.documentElement.lang = lang;
  const { cityUk, cityEn } = document.body.dataset;
  document.title = `${s("title")} — ${lang === "en" ? cityEn : `м. ${cityUk}`}`;
  // the geoportal opens in this page's language
  document.getElementById("to-portal").href = `/#lang=${lang}`;
  // the other language, named in that language (its accessible name is what it shows)
  document.getElementById("lang-switch").textContent = lang === "uk" ? "English" : "Українська";
  document.getElementById("lang-switch").lang = lang === "uk" ? "en" : "uk";
}

async function loadSummary() {
  state.summary = await api("/verification/summary");
  const list = document.getElementById("registry-list");
  list.replaceChildren(...state.summary.registries.map((r) => {
    const counts = state.tab === "reports" ? `${r.reports} ${s("openReports")}`
      : `${r.pending} ${s("pending")}`;
    const button = el("button", { type: "button", "data-registry": r.id,
      class: r.id === state.registry ? "current" : "" },
      el("span", { class: "name", text: tr(r.title) }),
      el("span", { class: "holder", text: tr(r.holder.title) }),
      el("span", { class: `count${(state.tab === "reports" ? r.reports : r.pending) ? " some" : ""}`,
        text: counts }),
      r.verifies ? el("span", { class: "mine", text: s("youVerify") }) : null);
    button.addEventListener("click", () => select(r.id));
    return el("li", {}, button);
  }));
}

function registryInfo() {
  return state.summary?.registries.find((r) => r.id === state.registry);
}

async function select(id) {
  state.registry = id;
  state.detail = null;
  await render();
}

async function render() {
  for (const b of document.querySelectorAll("[data-tab]")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === state.tab));
  }
  await loadSummary();
  const pane = document.getElementById("pane");
  pane.setAttribute("aria-labelledby", `tab-${state.tab}`);  // the tab whose panel it is
  if (!state.registry) { pane.replaceChildren(el("p", { class: "hint", text: s("choose") })); return; }
  pane.replaceChildren(el("p", { class: "hint", text: s("loading") }));
  try {
    if (state.tab === "queue") await renderQueue(pane);
    else if (state.tab === "quality") await renderQuality(pane);
    else await renderReports(pane);
  } catch (err) {
    pane.replaceChildren(el("p", { class: "error" }, `${s("failed")}: `,
      el("span", { lang: err.lang ?? lang, text: err.message })));
  }
}

// -- the queue ------------------------------------------------------------------------------
async function renderQueue(pane) {
  const info = registryInfo();
  const doc = await api(`/registries/${encodeURIComponent(state.registry)}/pending?limit=500`);
  state.queue = doc;
  const parts = [el("h2", { text: `${s("queue")}: ${tr(info.title)}` }),
    el("p", { class: "holder", text: tr(info.holder.title) })];
  if (!info.verifies) parts.push(el("p", { class: "hint", text: s("notVerifier") }));
  if (!doc.changes.length) {
    parts.push(el("p", { id: "queue-empty", text: s("nothingPending") }));
    pane.replaceChildren(...parts);
    return;
  }
  parts.push(el("h3", { text: s("batches") }));
  parts.push(el("ul", { class: "batches" }, ...doc.batches.map((b) => {
    const li = el("li", { "data-batch": b.batch },
      el("span", { text: `${s("batch")} ${when(b.changed_at)} · ${b.changed_by ?? ""}`
        + ` · ${[["create", b.create], ["update", b.update], ["delete", b.delete]]
          .filter(([, n]) => n).map(([k, n]) => `${s(k)}: ${n}`).join(", ")}`
        + `${b.note ? ` · ${b.note}` : ""}` }));
    if (info.verifies) {
      li.append(button(s("approveBatch"), "approve-batch", () => decide("approve", { batch: b.batch })),
        button(s("rejectBatch"), "reject-batch", () => decide("reject", { batch: b.batch })));
    }
    return li;
  })));
  const rows = doc.changes.map((c) => {
    const check = el("input", { type: "checkbox", "data-id": c.id, "aria-label": c.label });
    const open = el("button", { type: "button", class: "link", "data-open": c.id, text: c.label,
      lang: uk(c.label) });
    open.addEventListener("click", () => showChange(c.id));
    return el("tr", { "data-id": c.id, "data-operation": c.operation },
      el("td", {}, check), el("td", {}, open), el("td", { text: s(c.operation) }),
      el("td", { text: c.changed_by ?? "" }), el("td", { text: when(c.changed_at) }));
  });
  parts.push(el("h3", { text: s("changes") }),
    el("table", { class: "changes" }, el("thead", {}, el("tr", {}, el("th"),
      el("th", { text: s("object") }), el("th", { text: s("operation") }),
      el("th", { text: s("author") }), el("th", { text: s("when") }))), el("tbody", {}, ...rows)));
  if (info.verifies) {
    parts.push(el("div", { class: "bulk" },
      button(s("approveSelected"), "approve-selected", () => decide("approve", { items: selectedItems() })),
      button(s("rejectSelected"), "reject-selected", () => decide("reject", { items: selectedItems() }))));
  }
  parts.push(el("label", { class: "reason" }, el("span", { text: s("reason") }),
    el("textarea", { id: "reason", rows: "2", maxlength: "1000" })));
  parts.push(el("section", { id: "change", class: "change" }));
  pane.replaceChildren(...parts);
  if (state.detail) await showChange(state.detail.id);
}

function button(text, id, onClick) {
  const b = el("button", { type: "button", id, text });
  // a click while the button's own action runs is dropped: a double click on «Затвердити»
  // sent the decision twice (the second answered "already decided")
  b.addEventListener("click", () => {
    if (b.getAttribute("aria-busy") === "true") return;
    b.setAttribute("aria-busy", "true");
    onClick().catch((err) => say(err.message, "error", err.lang))
      .finally(() => b.removeAttribute("aria-busy"));
  });
  return b;
}

function selectedItems() {
  return [...document.querySelectorAll("table.changes input:checked")].map((box) => {
    const change = state.queue.changes.find((c) => String(c.id) === box.dataset.id);
    return { id: change.id, version: change.version };
  });
}

async function decide(decision, selection) {
  const reason = document.getElementById("reason")?.value ?? "";
  const done = await api(`/registries/${encodeURIComponent(state.registry)}/decisions`,
    { method: "POST", body: { decision, reason, ...selection } });
  say(`${s(done.decision)}: ${done.numberDecided}`, "ok");
  state.detail = null;
  await render();
}

async function showChange(id) {
  const box = document.getElementById("change");
  const d = await api(`/registries/${encodeURIComponent(state.registry)}/pending/${id}`);
  state.detail = d;
  const info = registryInfo();
  const fields = new Fields({ layers: [{ id: state.registry, fields: d.fields }],
    classifiers: NO_CLASSIFIERS });
  const show = (name, value) => fields.text(state.registry, name, value) ?? "—";
  const rows = d.fields.map((f) => {
    const before = d.before?.properties?.[f.name] ?? null;
    const after = d.after?.properties?.[f.name] ?? null;
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    return el("tr", { "data-field": f.name, class: changed ? "changed" : "" },
      el("th", { text: tr(f.title) }),
      el("td", { class: "before", text: show(f.name, before), lang: uk(show(f.name, before)) }),
      el("td", { class: "after", text: show(f.name, after), lang: uk(show(f.name, after)) }));
  });
  const operation = d.operation === "delete" ? s("deleted") : d.operation === "create" ? s("new") : "";
  const map = el("div", { id: "change-map", class: "change-map" });
  const actions = info.verifies ? el("div", { class: "actions" },
    button(s("approve"), "approve", () => decide("approve", { items: [{ id: d.id, version: d.version }] })),
    button(s("reject"), "reject", () => decide("reject", { items: [{ id: d.id, version: d.version }] }))) : null;
  fill(box,
    el("h3", {}, el("span", { text: d.label, lang: uk(d.label) }), operation ? ` ${operation}` : null),
    el("p", { class: "meta", text: `${d.changed_by ?? ""} · ${when(d.changed_at)}` }),
    d.together.length ? el("p", { class: "together", text: `${s("together")}: ${d.together.map((i) => `#${i}`).join(", ")}` }) : null,
    el("div", { class: "legend" }, el("span", { class: "swatch before" }), el("span", { text: s("before") }),
      el("span", { class: "swatch after" }), el("span", { text: s("after") })),
    map,
    el("p", { id: "geometry-state", text: d.geometry_changed ? s("geometryChanged") : s("geometrySame") }),
    el("table", { class: "diff" }, el("thead", {}, el("tr", {}, el("th", { text: s("field") }),
      el("th", { text: s("before") }), el("th", { text: s("after") }))), el("tbody", {}, ...rows)),
    actions);
  drawMap(map, d);
}

function drawMap(container, d) {
  if (typeof maplibregl === "undefined") return;
  const features = [];
  if (d.before?.geometry) features.push({ type: "Feature", properties: { side: "before" }, geometry: d.before.geometry });
  if (d.after?.geometry) features.push({ type: "Feature", properties: { side: "after" }, geometry: d.after.geometry });
  const data = { type: "FeatureCollection", features };
  const map = new maplibregl.Map({ container, style: "/maps/city/style.json", attributionControl: false,
    center: [27, 49.42], zoom: 15 });
  state.map = map;
  map.on("load", () => {
    map.addSource("change", { type: "geojson", data });
    const colour = ["match", ["get", "side"], "before", "#d32f2f", "#1565c0"];
    map.addLayer({ id: "change-fill", type: "fill", source: "change",
      filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": colour, "fill-opacity": 0.25 } });
    map.addLayer({ id: "change-line", type: "line", source: "change",
      paint: { "line-color": colour, "line-width": 2.5,
        "line-dasharray": ["case", ["==", ["get", "side"], "before"], ["literal", [2, 1.5]], ["literal", [1, 0]]] } });
    map.addLayer({ id: "change-point", type: "circle", source: "change",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": colour, "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    const bounds = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === "number" ? bounds.extend(c) : c.forEach(walk));
    features.forEach((f) => walk(f.geometry.coordinates));
    if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 40, maxZoom: 18, duration: 0 });
    map.once("idle", () => { container.dataset.ready = "true"; });
  });
}

// -- quality --------------------------------------------------------------------------------
async function renderQuality(pane) {
  const info = registryInfo();
  const r = await api(`/registries/${encodeURIComponent(state.registry)}/quality?limit=200`);
  fill(pane,
    el("h2", { text: `${s("quality")}: ${tr(info.title)}` }),
    el("p", { id: "quality-total", text: `${r.objects} ${s("objects")} · ${r.numberOfFindings} ${s("findings")}` }),
    ...r.checks.map((c) => el("section", { class: "check", "data-check": c.id },
      el("h3", {}, el("span", { text: tr(c.title) }), el("span", { class: `count${c.count ? " some" : ""}`, text: ` ${c.count}` })),
      c.items.length ? el("ul", {}, ...c.items.map((i) => el("li", {},
        el("a", { href: `/#obj=${encodeURIComponent(r.collection)}/${i.id}`, target: "_blank", text: i.label,
          lang: uk(i.label) }),
        " — ", el("span", { lang: "en", text: i.message })))) : null)),
    r.numberOfFindings ? null : el("p", { text: s("noFindings") }));
}

// -- error reports -------------------------------------------------------------------------
async function renderReports(pane) {
  const info = registryInfo();
  const doc = await api(`/registries/${encodeURIComponent(state.registry)}/error-reports`);
  const statuses = state.summary.reportStatuses;
  const parts = [el("h2", { text: `${s("reports")}: ${tr(info.title)}` })];
  if (!doc.reports.length) parts.push(el("p", { text: s("noReports") }));
  for (const r of doc.reports) {
    const select = el("select", { name: "status" }, ...Object.entries(statuses).map(([code, title]) =>
      el("option", { value: code, text: tr(title), selected: code === r.status })));
    const answer = el("textarea", { name: "answer", rows: "2", maxlength: "2000" });
    answer.value = r.answer ?? "";
    const save = el("button", { type: "button", text: s("save") });
    save.addEventListener("click", async () => {
      try {
        await api(`/error-reports/${encodeURIComponent(r.ticket)}`, { method: "PATCH",
          body: { status: select.value, answer: answer.value } });
        say(s("saved"), "ok");
        await render();
      } catch (err) { say(err.message, "error", err.lang); }
    });
    parts.push(el("article", { class: "report", "data-ticket": r.ticket },
      el("h3", {}, el("span", { text: `${s("ticket")} ${r.ticket} · ` }),
        el("a", { href: `/#obj=${encodeURIComponent(state.registry)}/${r.id}`, target: "_blank",
          text: r.label ?? `#${r.id}`, lang: uk(r.label) })),
      el("p", { class: "meta", text: `${when(r.created_at)} · ${tr(statuses[r.status])}` }),
      el("p", { class: "comment", text: r.comment, lang: uk(r.comment) }),
      r.contact ? el("p", { class: "contact" }, `${s("contact")}: `,
        el("span", { text: r.contact, lang: uk(r.contact) })) : null,
      info.verifies ? el("div", { class: "answer" }, el("label", {}, el("span", { text: s("status") }), select),
        el("label", {}, el("span", { text: s("answer") }), answer), save) : null));
  }
  pane.replaceChildren(...parts);
}

function start() {
  useLang(lang);  // the cards' formatting (format.js) follows this page's language
  strings();
  for (const b of document.querySelectorAll("[data-tab]")) {
    b.addEventListener("click", () => { state.tab = b.dataset.tab; render(); });
  }
  document.getElementById("lang-switch").addEventListener("click", () => {
    lang = lang === "uk" ? "en" : "uk";
    useLang(lang);  // remembered there, as on every page
    strings();
    render();
  });
  const wanted = new URLSearchParams(location.search).get("registry");
  if (wanted) state.registry = wanted;
  render().then(() => { document.body.dataset.ready = "true"; });
}

start();
