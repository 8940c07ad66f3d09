// "Повідомити про помилку": the geoportal card's way for a resident to tell the registry's
// holder about a mistake — a comment, optionally a point on the map and contact details — and
// to look a report up later by its ticket (new / in work / fixed / rejected, with the answer).
// The card (identify.js) adds the link; everything else lives here. Contact details go to the
// holder only: the lookup never shows them. `window.portal.feedback` exposes the state for tests.

import { toast } from "../portal/identify.js";

const STRINGS = {
  uk: {
    link: "Повідомити про помилку", title: "Повідомлення про помилку",
    intro: "Опишіть, що не так з цим об'єктом. Звернення отримає утримувач реєстру.",
    comment: "Що не так?", contact: "Контакт для відповіді (необов'язково)",
    contactHint: "Телефон або e-mail бачить лише утримувач реєстру; він ніде не публікується.",
    point: "Позначити місце на мапі", pointSet: "Місце позначено", pointHint: "Клацніть на мапі…",
    send: "Надіслати", cancel: "Закрити", sending: "Надсилаємо…",
    sent: "Дякуємо! Номер вашого звернення:", keep: "Збережіть його, щоб перевірити стан.",
    lookup: "Перевірити стан звернення", ticket: "Номер звернення", check: "Перевірити",
    status: "Стан", answer: "Відповідь", filed: "Подано", about: "Об'єкт",
    tooMany: "Забагато звернень з вашої адреси. Спробуйте пізніше.",
    failed: "Не вдалося:", chars: "символів",
    noTicket: "звернення з таким номером не знайдено.",
    badTicket: "номер звернення має вигляд K7RFM-3XR2D (10 латинських літер і цифр).",
    gone: "цього об'єкта вже немає в реєстрі.", rejected: "звернення не прийнято",
    serverSays: "пояснення сервера англійською",
    unavailable: "сервіс тимчасово недоступний. Спробуйте пізніше.",
    network: "немає з'єднання з сервером.",
  },
  en: {
    link: "Report a mistake", title: "Report a mistake",
    intro: "Describe what is wrong with this object. The registry's holder receives it.",
    comment: "What is wrong?", contact: "Contact for the answer (optional)",
    contactHint: "Only the registry's holder sees your phone or e-mail; it is never published.",
    point: "Mark the place on the map", pointSet: "Place marked", pointHint: "Click on the map…",
    send: "Send", cancel: "Close", sending: "Sending…",
    sent: "Thank you! Your ticket:", keep: "Keep it to check the status.",
    lookup: "Check a report's status", ticket: "Ticket", check: "Check",
    status: "Status", answer: "Answer", filed: "Filed", about: "Object",
    tooMany: "Too many reports from your address. Please try later.",
    failed: "Failed:", chars: "characters",
    noTicket: "no report has this ticket.",
    badTicket: "a ticket looks like K7RFM-3XR2D (10 letters and digits).",
    gone: "this object is no longer in the registry.", rejected: "the report was not accepted",
    serverSays: "the server says",
    unavailable: "the service is unavailable for a moment. Please try later.",
    network: "no connection to the server.",
  },
};
const MAX_COMMENT = 2000;
const MAX_CONTACT = 200;

const lang = () => (document.documentElement.lang === "en" ? "en" : "uk");
const s = (key) => STRINGS[lang()][key] ?? STRINGS.uk[key] ?? key;
// the registry's own words (a number, an address: Ukrainian) marked so on the English page,
// as the cards mark them (portal/card.js: marked)
const uk = (text) => (lang() === "en" && /[\u0400-\u04FF]/.test(String(text)) ? "uk" : undefined);
const tr = (titles) => (titles && typeof titles === "object" ? titles[lang()] ?? titles.uk : titles ?? "");

// A refused request as a resident reads it: a sentence in the page's language (``words``:
// the status → the key of this request's own sentences). Only where the server's English words
// say what to correct (a refused report) do they follow, marked as English.
function refusal(err, words) {
  if (err.status === undefined) return [`${s("failed")} ${s("network")}`];
  const key = err.status === 429 ? "tooMany" : err.status >= 500 ? "unavailable"
    : words[err.status] ?? "rejected";
  if (key === "tooMany") return [s("tooMany")];
  if (key !== "rejected" || !err.detail) return [`${s("failed")} ${s(key)}`];
  return [`${s("failed")} ${s(key)} (${s("serverSays")}: `, el("span", { lang: "en", text: err.detail }), ")."];
}

// a response that is not OK, as an error ``refusal`` reads: its status and the server's detail
function refused(response, doc) {
  return Object.assign(new Error(doc.detail ?? `HTTP ${response.status}`),
    { status: response.status, detail: doc.detail });
}

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

// the card's link: a button that opens the dialog for this object; ``name()`` names it as
// the card does (an address by its full address, not its house number), in the page's language
export function reportLink(map, collection, feature, name) {
  ensureStyle();
  const link = el("button", { type: "button", class: "report-link link-button", text: s("link") });
  link.addEventListener("click", () => open(map, collection, feature, name()));
  return link;
}

let dialog = null;
const state = { point: null, marker: null, ticket: null, lookup: null };

function ensureStyle() {  // a stylesheet file: the page's CSP allows no inline <style>
  if (document.getElementById("report-style")) return;
  document.head.append(el("link", { id: "report-style", rel: "stylesheet",
    href: new URL("./feedback.css", import.meta.url).pathname }));
}

function ensureDialog() {
  if (dialog) return dialog;
  ensureStyle();
  dialog = el("dialog", { id: "report-dialog", class: "report-dialog", "aria-labelledby": "report-title" });
  document.body.append(dialog);
  if (window.portal) window.portal.feedback = state;
  return dialog;
}

function open(map, collection, feature, key) {
  const d = ensureDialog();
  state.map = map;
  state.point = null;
  state.ticket = null;
  clearMarker();
  const comment = el("textarea", { id: "report-comment", name: "comment", rows: "4", required: true,
    maxlength: String(MAX_COMMENT) });
  const counter = el("span", { class: "hint", text: `0 / ${MAX_COMMENT} ${s("chars")}` });
  comment.addEventListener("input", () => { counter.textContent = `${comment.value.length} / ${MAX_COMMENT} ${s("chars")}`; });
  const contact = el("input", { id: "report-contact", name: "contact", type: "text",
    maxlength: String(MAX_CONTACT), autocomplete: "email" });
  const pointState = el("span", { id: "report-point-state", class: "hint" });
  const pick = el("button", { type: "button", id: "report-point", text: s("point") });
  pick.addEventListener("click", () => pickPoint(map, pointState));
  const error = el("p", { class: "error", role: "alert" });
  const send = el("button", { type: "submit", id: "report-send", class: "primary", text: s("send") });
  const close = el("button", { type: "button", id: "report-close", text: s("cancel") });
  close.addEventListener("click", () => { d.close(); clearMarker(); });
  const form = el("form", { method: "dialog", id: "report-form" },
    el("h2", { id: "report-title", text: s("title") }),
    el("p", { class: "hint", text: s("intro") }),
    key ? el("p", {}, el("strong", { text: `${s("about")}: ` }), el("span", { text: String(key), lang: uk(key) })) : null,
    el("label", { for: "report-comment", text: s("comment") }), comment, counter,
    el("div", {}, pick, " ", pointState),
    el("label", { for: "report-contact", text: s("contact") }), contact,
    el("p", { class: "hint", text: s("contactHint") }),
    error, el("div", { class: "dialog-actions" }, close, send));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    send.disabled = true;
    send.textContent = s("sending");
    try {
      const body = { collection, id: feature.id, comment: comment.value, lang: lang() };
      if (contact.value.trim()) body.contact = contact.value.trim();
      if (state.point) body.point = state.point;
      // a signed-in member of staff reports too: a POST with the session's cookie carries its
      // CSRF token (session.js), or the server refuses it as a forged write (403)
      const token = globalThis.hromadaSession?.csrf();
      const r = await fetch("/error-reports", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
          ...(token ? { "X-CSRF-Token": token } : {}) }, body: JSON.stringify(body) });
      const doc = await r.json().catch(() => ({}));
      if (!r.ok) throw refused(r, doc);
      state.ticket = doc.ticket;
      showSent(doc.ticket);
    } catch (err) {
      error.replaceChildren(...refusal(err, { 404: "gone" }));
      send.disabled = false;
      send.textContent = s("send");
    }
  });
  d.replaceChildren(form, el("hr"), lookupForm());
  if (!d.open) d.showModal();
  comment.focus();
}

function showSent(ticket) {
  const close = el("button", { type: "button", id: "report-close", text: s("cancel") });
  close.addEventListener("click", () => { dialog.close(); clearMarker(); });
  dialog.replaceChildren(
    el("h2", { text: s("title") }),
    el("p", { text: s("sent") }),
    el("p", { id: "report-ticket", class: "ticket", text: ticket }),
    el("p", { class: "hint", text: s("keep") }),
    el("hr"), lookupForm(ticket), el("div", { class: "dialog-actions" }, close));
}

function lookupForm(ticket = "") {
  const input = el("input", { id: "lookup-ticket", type: "text", name: "ticket", maxlength: "20",
    placeholder: "XXXXX-XXXXX", autocomplete: "off" });
  input.value = ticket;
  const result = el("div", { id: "lookup-result", "aria-live": "polite" });
  const go = el("button", { type: "submit", id: "lookup-check", text: s("check") });
  const form = el("form", { id: "lookup-form" }, el("h3", { text: s("lookup") }),
    el("label", { for: "lookup-ticket", text: s("ticket") }), el("div", {}, input, " ", go), result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    // what the server reads of a ticket (registries.error_reports.normalise_ticket): its
    // letters and digits, the dash kept. Nothing typed asked /error-reports itself (405:
    // «not accepted … answers POST»), and a slash or dots asked another address
    const ticket = input.value.replace(/[^\p{L}\p{N}-]/gu, "");
    if (!/[\p{L}\p{N}]/u.test(ticket)) {
      result.replaceChildren(el("p", { class: "error" }, ...refusal({ status: 400 }, { 400: "badTicket" })));
      return;
    }
    try {
      const r = await fetch(`/error-reports/${encodeURIComponent(ticket)}`,
        { headers: { Accept: "application/json" }, cache: "no-store" });
      const doc = await r.json().catch(() => ({}));
      if (!r.ok) throw refused(r, doc);
      state.lookup = doc;
      result.replaceChildren(el("dl", {},
        el("dt", { text: s("status") }), el("dd", { id: "lookup-status", "data-status": doc.status, text: tr(doc.status_title) }),
        el("dt", { text: s("about") }), el("dd", { text: doc.label ?? `#${doc.id}`, lang: uk(doc.label ?? "") }),
        el("dt", { text: s("filed") }), el("dd", { id: "lookup-filed", text: hromadaLanguage.moment(doc.created_at, lang()) }),
        el("dt", { text: s("comment") }), el("dd", { text: doc.comment }),
        doc.answer ? el("dt", { text: s("answer") }) : null,
        doc.answer ? el("dd", { id: "lookup-answer", text: doc.answer }) : null));
    } catch (err) {
      result.replaceChildren(el("p", { class: "error" },
        ...refusal(err, { 404: "noTicket", 400: "badTicket" })));
    }
  });
  return form;
}

function pickPoint(map, label) {
  dialog.close();
  label.textContent = s("pointHint");
  // said over the map too: the dialog that holds the label is closed while the place is
  // chosen, and the map alone (no cursor on a phone) told nobody what to do
  toast(s("pointHint"));
  const canvas = map.getCanvas();
  canvas.style.cursor = "crosshair";
  // this click belongs to the report, not to identify (which would open another card)
  const identify = window.portal?.identify;
  if (identify) identify.enabled = false;
  const onClick = (e) => {
    canvas.style.cursor = "";
    setTimeout(() => { if (identify) identify.enabled = true; }, 0);
    state.point = [Number(e.lngLat.lng.toFixed(7)), Number(e.lngLat.lat.toFixed(7))];
    clearMarker();
    if (typeof maplibregl !== "undefined") {
      state.marker = new maplibregl.Marker({ color: "#d32f2f" }).setLngLat(e.lngLat).addTo(map);
    }
    label.textContent = `${s("pointSet")}: ${state.point[1].toFixed(5)}, ${state.point[0].toFixed(5)}`;
    dialog.showModal();
  };
  setTimeout(() => map.once("click", onClick), 0);
}

function clearMarker() {
  state.marker?.remove();
  state.marker = null;
}
