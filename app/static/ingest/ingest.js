// The staff upload page: a dry run of the chosen file, its report, then the import on confirm.
// Labels of registries come from the server's configuration (the registry declarations);
// the page's own words are below, Ukrainian first and English complete.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("ingest-config").textContent);
  const WORDS = {
    uk: {
      pageTitle: "Імпорт даних — Hromada GIS",
      title: "Імпорт даних у реєстр", signedIn: "Ви увійшли як", signOut: "Вийти", file: "Файл",
      fileHint: "Shapefile — одним zip-архівом (.shp, .shx, .dbf, .prj, .cpg); MapInfo — " +
        "одним zip-архівом (.tab, .dat, .map, .id або .mif, .mid); GeoPackage, GeoJSON, KML, " +
        "DXF, CSV, таблиця Excel або LibreOffice (.xlsx, .ods), обмінний файл ДЗК (XML).",
      registry: "Реєстр", more: "Додатково", crsHint: "(якщо файл її не вказує)",
      legacyOption: "Архівні дані (порушення правил категорії «legacy» лише в звіті)",
      repairHint: "(ST_MakeValid)",
      check: "Перевірити (нічого не записується)", report: "Звіт", row: "Рядок",
      severity: "Рівень", rule: "Що перевіряється", message: "Повідомлення сервера (англійською)",
      confirm: "Імпортувати",
      error: "помилка", legacy: "архівні дані", warning: "попередження",
      append: "додати всі рядки", upsert: "оновити за ключем, додати нові",
      replace: "замінити реєстр вмістом файлу", abort: "зупинити імпорт (нічого не записати)",
      skip: "пропустити їх, записати решту",
      checking: "Перевірка…", importing: "Імпорт…", tooLarge: "Файл завеликий: до {n} МБ.",
      rows: "рядків", wouldInsert: "буде додано", wouldUpdate: "оновлено",
      unchanged: "без змін", wouldDelete: "видалено", rejected: "відхилено",
      inserted: "додано", refused: "Імпорт неможливий: рядків з помилками — {n}. Нічого не записано.",
      done: "Імпорт завершено.", dry: "Перевірка: нічого не записано.",
      key: "ключ", sending: "Надсилання файлу", mb: "МБ", serverChecking: "Сервер перевіряє файл…",
      serverImporting: "Сервер імпортує файл…", failed: "З'єднання з сервером перервано",
      updated: "оновлено", deleted: "видалено", findings: "Знахідок: {n}",
      listed: "у таблиці — перші {n}",
    },
    en: {
      pageTitle: "Data import — Hromada GIS",
      title: "Import data into a registry", signedIn: "Signed in as", signOut: "Sign out", file: "File",
      fileHint: "A Shapefile as one zip (.shp, .shx, .dbf, .prj, .cpg); a MapInfo table as one " +
        "zip (.tab, .dat, .map, .id or .mif, .mid); GeoPackage, GeoJSON, KML, DXF, CSV, an " +
        "Excel or LibreOffice workbook (.xlsx, .ods), the State Land Cadastre exchange file (XML).",
      registry: "Registry", more: "More options", crsHint: "(when the file does not say)",
      legacyOption: "Legacy data (rows breaking 'legacy' rules are reported, not refused)",
      repairHint: "(ST_MakeValid)",
      check: "Check (writes nothing)", report: "Report", row: "Row", severity: "Severity",
      rule: "What is checked", message: "Server message", confirm: "Import",
      error: "error", legacy: "legacy data", warning: "warning",
      append: "add every row", upsert: "update by key, add the new ones",
      replace: "replace the registry with the file", abort: "stop the import (write nothing)",
      skip: "skip them, write the others",
      checking: "Checking…", importing: "Importing…", tooLarge: "The file is too large: at most {n} MB.",
      rows: "rows", wouldInsert: "to add", wouldUpdate: "to update", unchanged: "unchanged",
      wouldDelete: "to delete", rejected: "rejected", inserted: "added",
      refused: "The import cannot go ahead: {n} row(s) with errors. Nothing was written.",
      done: "Import done.", dry: "Check only: nothing was written.", key: "key",
      sending: "Sending the file", mb: "MB", serverChecking: "The server is checking the file…",
      serverImporting: "The server is importing the file…",
      failed: "The connection to the server was lost",
      updated: "updated", deleted: "deleted", findings: "Findings: {n}",
      listed: "the table lists the first {n}",
    },
  };
  // the form's fields that are `gis ingest` flags are named by the server, which names them
  // so in its messages too (app/ingest_routes.FORM_FIELDS)
  for (const [key, words] of Object.entries(config.fields)) {
    for (const l of Object.keys(WORDS)) WORDS[l][key] = words[l];
  }
  let lang = hromadaLanguage.initial();
  const $ = (id) => document.getElementById(id);
  const t = (k, n) => (WORDS[lang][k] || k).replace("{n}", n);

  function render() {
    document.documentElement.lang = lang;
    document.title = t("pageTitle");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = lang === "uk" ? "English" : "Українська";  // the other language
    $("lang").lang = lang === "uk" ? "en" : "uk";
    $("who").textContent = config.user;
    const reg = $("registry"), chosen = reg.value;
    reg.innerHTML = "";
    for (const r of config.registries) {
      const o = new Option(r.title[lang] + (r.key ? ` (${t("key")}: ${r.key})` : ""), r.id);
      reg.add(o);
    }
    if (chosen) reg.value = chosen;
    for (const [id, list] of [["mode", config.modes], ["on_error", config.onError]]) {
      const sel = $(id), was = sel.value;
      sel.innerHTML = "";
      for (const v of list) sel.add(new Option(`${v}: ${t(v)}`, v));
      if (was) sel.value = was;
    }
  }

  function params() {
    const p = new URLSearchParams({registry: $("registry").value, mode: $("mode").value,
                                   on_error: $("on_error").value, filename: $("file").files[0].name});
    for (const k of ["crs", "layer", "encoding"]) if ($(k).value.trim()) p.set(k, $(k).value.trim());
    for (const k of ["legacy", "repair"]) if ($(k).checked) p.set(k, "1");
    return p;
  }

  async function send(path) {
    const file = $("file").files[0];
    if (file.size > config.maxMb * 1048576) throw new Error(t("tooLarge", config.maxMb));
    return window.hromadaUpload(`${path}?${params()}`, file, {progress: $("progress"), words: {
      sending: t("sending"), mb: t("mb"), failed: t("failed"),
      working: path.endsWith("check") ? t("serverChecking") : t("serverImporting")}});
  }

  let shown = null;  // the last report, shown again in the other language

  function show(rep) {
    shown = rep;
    $("result").hidden = false;
    const s = $("summary");
    if (rep.refused) {
      s.textContent = t("refused", rep.blocking);
      s.className = "refused";
    } else {
      const w = rep.dry_run ? ["wouldInsert", "wouldUpdate", "wouldDelete"] : ["inserted", "updated", "deleted"];
      s.textContent = `${rep.dry_run ? t("dry") : t("done")} ${rep.rows} ${t("rows")}: ` +
        `${t(w[0])} ${rep.inserted}, ${t(w[1])} ${rep.updated}, ${t("unchanged")} ${rep.unchanged}, ` +
        `${t(w[2])} ${rep.deleted}, ${t("rejected")} ${rep.rejected}`;
      s.className = "ok";
    }
    $("notes").innerHTML = "";
    for (const n of [...rep.notes, `${rep.format}, ${rep.crs}${rep.encoding ? ", " + rep.encoding : ""}`]) {
      const li = document.createElement("li");
      li.textContent = n;
      li.lang = "en";  // the server's words are English (marked for a screen reader)
      $("notes").append(li);
    }
    // how many of each rule, as the CLI prints them (the table holds only the first ones),
    // each said in the page's language from its declaration
    const titled = (rule) => rep.rule_titles?.[rule]?.[lang] ?? rule;
    const counts = Object.entries(rep.problem_counts || {});
    const total = counts.reduce((sum, [, n]) => sum + n, 0);
    $("counts").hidden = total === 0;
    $("counts").textContent = `${t("findings", total)}` +
      (total > rep.problems.length ? ` (${t("listed", rep.problems.length)})` : "") +
      (total ? ": " + counts.map(([rule, n]) => `${titled(rule)} (${rule}) — ${n}`).join("; ") : "");
    const body = $("problems").tBodies[0];
    body.innerHTML = "";
    for (const p of rep.problems) {
      const tr = body.insertRow();
      tr.className = p.severity;
      tr.insertCell().textContent = p.row || "—";
      tr.insertCell().textContent = t(p.severity);
      tr.insertCell().textContent = titled(p.rule);
      const message = tr.insertCell();
      message.textContent = p.message;
      message.lang = "en";
    }
    $("confirm").hidden = !(rep.dry_run && !rep.refused && rep.rows > 0);
  }

  async function run(path, label) {
    $("error").hidden = true;
    const button = path.endsWith("check") ? $("check") : $("confirm");
    button.disabled = true;
    const was = button.textContent;
    button.textContent = t(label);
    try {
      show(await send(path));
    } catch (e) {
      $("error").textContent = e.message;
      $("error").lang = e.lang || lang;  // a server's message is English, marked so
      $("error").hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = was;
    }
  }

  $("form").addEventListener("submit", (e) => { e.preventDefault(); run("/ingest/check", "checking"); });
  $("confirm").addEventListener("click", () => run("/ingest/import", "importing"));
  $("file").addEventListener("change", () => { $("result").hidden = true; });
  $("lang").addEventListener("click", () => {
    lang = lang === "uk" ? "en" : "uk";
    hromadaLanguage.remember(lang);
    render();
    if (shown) show(shown);
  });
  render();
})();
