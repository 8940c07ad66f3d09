// The staff raster upload page: the form's file goes as the body of POST /rasters/upload,
// its fields as the query; the server's answer (or its problem document) is shown as it is.
"use strict";
const config = JSON.parse(document.getElementById("upload-config").textContent);
const STRINGS = {
  uk: { pageTitle: "Публікація растра — Hromada GIS",
    title: "Публікація растра (скан плану, ортофото)", signedIn: "Ви увійшли як", signOut: "Вийти",
    file: "Файл", fileHint: "GeoTIFF або інший прив'язаний растр, 8 біт (RGB, відтінки сірого або палітра).",
    name: "Ідентифікатор (латиницею)", rtitle: "Назва", rtitleEn: "Назва англійською",
    document: "Документ-джерело",
    date: "Дата", crs: "Система координат (якщо файл її не вказує)", compress: "Стиснення",
    deflate: "без втрат (плани)", jpeg: "JPEG (ортофото)",
    public: "Публічний (інакше — лише для працівників)", send: "Опублікувати",
    sending: "Надсилання", working: "Файл перетворюється на COG…", done: "Опубліковано",
    tooBig: "Файл більший за", failed: "З'єднання з сервером перервано", mb: "МБ", lang: "English",
    far: (n) => `Увага: растр лежить за ${n.km} км від території громади; якщо він має її покривати, його система координат, мабуть, хибна (видаліть його й опублікуйте знову з правильною).`,
    datum: (n) => `Увага: систему координат растра (${n.crs}) PROJ переводить в УСК-2000 лише наближено (нульовим або приблизним перетворенням): растр може лягти на метри осторонь від реєстрів; для точного накладання перепроєктуйте його з ключами перерахунку області.` },
  en: { pageTitle: "Publishing a raster — Hromada GIS",
    title: "Publish a raster (a scanned plan, an orthophoto)", signedIn: "Signed in as", signOut: "Sign out",
    file: "File", fileHint: "A georeferenced GeoTIFF or other raster, 8-bit (RGB, grey or paletted).",
    name: "Id (Latin letters)", rtitle: "Title", rtitleEn: "Title in English",
    document: "Source document", date: "Date",
    crs: "Coordinate system (if the file names none)", compress: "Compression",
    deflate: "lossless (plans)", jpeg: "JPEG (orthophotos)",
    public: "Public (otherwise staff only)", send: "Publish",
    sending: "Sending", working: "Converting the file to a COG…", done: "Published",
    tooBig: "The file is larger than", failed: "The connection to the server was lost", mb: "MB",
    lang: "Українська",
    far: (n) => `Note: the raster lies ${n.km} km from the community's area; if it should cover it, its coordinate system is probably wrong (remove it and publish it again with the right one).`,
    datum: (n) => `Note: PROJ moves the raster's coordinate system (${n.crs}) to UCS-2000 only approximately (a null or ballpark transformation): it may lie metres off the registries; for an exact overlay reproject it with the region's keys.` },
};
let lang = hromadaLanguage.initial();

function apply() {
  document.documentElement.lang = lang;
  document.title = STRINGS[lang].pageTitle;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = STRINGS[lang][el.dataset.i18n];
  document.getElementById("lang").textContent = STRINGS[lang].lang;  // the other language
  document.getElementById("lang").lang = lang === "uk" ? "en" : "uk";
}

document.getElementById("who").textContent = config.user;
document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "uk" ? "en" : "uk";
  hromadaLanguage.remember(lang);
  apply();
});
document.getElementById("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("error");
  const done = document.getElementById("done");
  const progress = document.getElementById("progress");
  error.hidden = true; done.hidden = true;
  const file = document.getElementById("file").files[0];
  if (!file) return;
  if (file.size > config.maxMb * 1048576) {
    error.textContent = `${STRINGS[lang].tooBig} ${config.maxMb} ${STRINGS[lang].mb}`;
    error.hidden = false;
    return;
  }
  const q = new URLSearchParams({ filename: file.name });
  for (const id of ["name", "title", "title_en", "document", "date", "crs", "compress"]) {
    const v = document.getElementById(id).value.trim();
    if (v) q.set(id, v);
  }
  if (document.getElementById("public").checked) q.set("public", "1");
  document.getElementById("send").disabled = true;
  try {
    const body = await window.hromadaUpload(`/rasters/upload?${q}`, file,
      { progress, words: STRINGS[lang] });
    done.textContent = `${STRINGS[lang].done}: ${body.name} (${body.width} × ${body.height} px, ${body.crs})`;
    for (const note of body.notes || []) {  // worded here, in the page's language
      const line = document.createElement("span");
      line.className = "note";
      line.textContent = STRINGS[lang][note.code] ? STRINGS[lang][note.code](note) : note.message;
      if (!STRINGS[lang][note.code]) line.lang = "en";  // not worded here: the server's English
      done.append(document.createElement("br"), line);
    }
    done.hidden = false;
  } catch (err) {
    error.textContent = err.message;  // the server's own words (English), as from the CLI
    error.lang = err.lang || lang;
    error.hidden = false;
  } finally {
    document.getElementById("send").disabled = false;
  }
});
apply();
