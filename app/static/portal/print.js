// The print dialog: scale, paper and orientation of a true-scale PDF extract in UCS-2000.
// It downloads from the extracts endpoint when the server has one (settings.portal.extracts_url)
// and says honestly that extracts are not available yet otherwise.
import { t } from "./i18n.js";

export class PrintDialog {
  constructor(map, config) {
    this.map = map;
    this.config = config;
    this.dialog = document.getElementById("print-dialog");
    this.download = document.getElementById("print-download");
    this.note = document.getElementById("print-note");
    document.getElementById("print").addEventListener("click", () => this.open());
    this.download.addEventListener("click", () => this.go());
    document.addEventListener("langchange", () => this.describe());
  }

  describe() {
    const ready = Boolean(this.config.extractsUrl);
    this.download.disabled = !ready;
    this.note.textContent = ready ? t("printReady") : t("printSoon");
  }

  open() {
    this.describe();
    this.dialog.showModal();
  }

  go() {
    if (!this.config.extractsUrl) return;
    const form = new FormData(this.dialog.querySelector("form"));
    const c = this.map.getCenter();
    const params = new URLSearchParams({ center: `${c.lng.toFixed(6)},${c.lat.toFixed(6)}`,
      scale: form.get("scale"), paper: form.get("paper"), orientation: form.get("orientation") });
    window.location.href = `${this.config.extractsUrl}?${params}`;
  }
}
