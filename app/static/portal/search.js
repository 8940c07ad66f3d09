// The search box: addresses as typed (Cyrillic or Latin) and cadastral numbers, and any
// registry's searchable text (the registries' /search), with suggestions while typing; a hit
// from another registry says why it matched. Choosing one calls onChoose(hit). Enter opens
// the highlighted hit of the text as typed: typed on since the last answer (or before the
// first), it waits for that text's answer and opens its best hit — never one of an older text.
import { t, tr } from "./i18n.js";
import { Fields } from "./format.js";
import { el, marked } from "./card.js";

const DELAY_MS = 150;

export class SearchBox {
  constructor(config, onChoose) {
    this.config = config;
    this.fields = new Fields(config);
    this.onChoose = onChoose;
    this.input = document.getElementById("search-input");
    this.list = document.getElementById("search-results");
    this.hits = [];
    this.hitsFor = null;  // the text this.hits answer
    this.active = -1;
    this.enterPending = false;  // Enter pressed before the answer for the text as typed
    this.timer = null;
    this.controller = null;
    this.input.addEventListener("input", () => this.schedule());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("focus", () => { if (this.hits.length) this.show(true); });
    document.addEventListener("langchange", () => { if (this.hits.length) this.renderList(); });
    document.addEventListener("click", (e) => {
      if (!e.target.closest(".search")) this.show(false);
    });
  }

  schedule() {
    clearTimeout(this.timer);
    this.enterPending = false;  // typed on after Enter: the Enter was for another text
    const q = this.input.value.trim();
    if (q.length < 2) { this.hits = []; this.hitsFor = null; this.renderList(); return; }
    this.timer = setTimeout(() => this.query(q), DELAY_MS);
  }

  async query(q) {
    this.controller?.abort();
    this.controller = new AbortController();
    try {
      // the server's limit (the box's maxlength): a longer text pasted or set by a script is
      // refused with 400, which is no outage
      if (this.input.maxLength > 0 && q.length > this.input.maxLength) throw new TooLong();
      const url = `/search?${new URLSearchParams({ q, limit: "8" })}`;
      const r = await fetch(url, { signal: this.controller.signal,
        headers: { Accept: "application/json" } });
      // a 400 is the text's own fault, no outage (too long is said above): a text nothing
      // can match, such as a control character pasted, finds nothing
      if (!r.ok && r.status !== 400) throw new Error(String(r.status));
      const body = r.ok ? await r.json() : { results: [] };
      if (this.input.value.trim() !== q) return;  // typed on meanwhile
      this.hits = body.results.filter((h) => h.geometry);
      this.error = false;
    } catch (err) {
      if (err.name === "AbortError") return;
      this.hits = [];
      this.error = err instanceof TooLong ? "tooLong" : "failed";
    }
    this.hitsFor = q;
    this.active = this.hits.length ? 0 : -1;
    this.renderList();
    if (this.enterPending) {
      this.enterPending = false;
      if (this.active >= 0) this.choose(this.active);
    }
  }

  // the hits shown answer the text as typed
  current() { return this.hitsFor !== null && this.hitsFor === this.input.value.trim(); }

  layerTitle(collection) {
    const layer = this.config.layers.find((l) => l.id === collection);
    return layer ? tr(layer.title) : collection;
  }

  renderList() {
    this.list.replaceChildren();
    this.hits.forEach((hit, i) => {
      const li = document.createElement("li");
      li.role = "option";
      li.id = `search-hit-${i}`;
      li.dataset.collection = hit.collection;
      li.dataset.id = hit.id;
      li.setAttribute("aria-selected", String(i === this.active));
      // the hit's own words (an address, a name: Ukrainian) marked so on the English page
      const kind = el("small", null, this.layerTitle(hit.collection));
      const why = this.why(hit);
      if (why) kind.append(" · ", why.prefix, marked(el("span", null, why.text)), why.rest ?? "");
      li.append(marked(el("span", "label", hit.label)), kind);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); this.choose(i); });
      this.list.append(li);
    });
    if (!this.hits.length && this.input.value.trim().length >= 2 && (this.error || this.searched())) {
      const li = document.createElement("li");
      li.className = "empty";
      li.role = "option";  // a listbox holds options only: this one cannot be chosen
      li.setAttribute("aria-disabled", "true");
      li.textContent = this.error === "tooLong" ? t("searchTooLong", { n: this.input.maxLength })
        : this.error ? t("searchFailed") : t("noResults");
      this.list.append(li);
    }
    // the screen reader follows the highlighted hit while the focus stays in the box
    if (this.active >= 0 && this.active < this.hits.length) {
      this.input.setAttribute("aria-activedescendant", `search-hit-${this.active}`);
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
    this.show(this.list.children.length > 0);
  }

  searched() { return this.controller !== null; }

  // why a hit came up when its label does not say it: a former street name, the field matched
  // as {prefix, text, rest}: our words around the registry's text; or null
  why(hit) {
    if (hit.former) {
      const [prefix, rest = ""] = t("formerName", { name: "\u0000" }).split("\u0000");  // around {name}
      return { prefix, text: hit.former, rest };
    }
    if (hit.matched && hit.matched_text && hit.matched_text !== hit.label) {
      return { prefix: `${this.fields.title(hit.collection, hit.matched)}: `, text: hit.matched_text };
    }
    return null;
  }

  show(open) {
    this.list.hidden = !open;
    this.input.setAttribute("aria-expanded", String(open));
    if (!open) this.input.removeAttribute("aria-activedescendant");
  }

  key(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!this.hits.length) return;
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.hits.length) % this.hits.length;
      this.renderList();
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (this.current()) {
        if (this.active >= 0) this.choose(this.active);
        return;
      }
      const q = this.input.value.trim();
      if (q.length < 2) return;
      // the answer for this text is not here yet: ask now, open its best hit when it comes
      clearTimeout(this.timer);
      this.enterPending = true;
      this.query(q);
    } else if (e.key === "Escape") {
      this.show(false);
    }
  }

  choose(i) {
    const hit = this.hits[i];
    if (!hit) return;
    this.input.value = hit.label;
    this.show(false);
    this.input.blur();
    this.onChoose(hit);
  }
}

class TooLong extends Error {}
