// One upload with a progress bar, for the staff pages that send a file (the import page, the
// raster upload page). XMLHttpRequest, not fetch: only it reports how much of the body has
// been sent. The bar follows the bytes; once they are all sent it runs without an end while
// the server works (a dry run, an import, a COG conversion), with the page's own words.
"use strict";
window.hromadaUpload = function upload(url, file, { progress, words }) {
  const bar = progress.querySelector("progress");
  const status = progress.querySelector("[role=status]");
  // megabytes as the page's language writes a number (1,5 МБ / 1.5 MB)
  const locale = hromadaLanguage.locale(document.documentElement.lang);
  const mb = (n) => (n / 1048576).toLocaleString(locale,
    { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  bar.max = file.size || 1;
  bar.value = 0;
  status.textContent = `${words.sending}: ${mb(0)} / ${mb(file.size)} ${words.mb}`;
  progress.dataset.sent = "0";
  progress.hidden = false;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("X-CSRF-Token", hromadaSession.csrf());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (e) => {
      bar.value = e.loaded;
      progress.dataset.sent = String(e.loaded);
      status.textContent = `${words.sending}: ${mb(e.loaded)} / ${mb(file.size)} ${words.mb}`;
    });
    xhr.upload.addEventListener("load", () => {
      progress.dataset.sent = String(file.size);
      bar.removeAttribute("value");  // indeterminate: the server's work has no byte count
      status.textContent = words.working;
    });
    xhr.addEventListener("load", () => {
      progress.hidden = true;
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* a proxy's own page */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(Object.assign(new Error(body.detail ?? body.title ?? `HTTP ${xhr.status}`),
                                {lang: "en"}));  // the server's words are English
    });
    for (const kind of ["error", "abort", "timeout"]) {
      xhr.addEventListener(kind, () => { progress.hidden = true; reject(new Error(words.failed)); });
    }
    xhr.send(file);
  });
};
