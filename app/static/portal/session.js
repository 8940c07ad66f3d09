// The staff pages' session (the editor inside the geoportal, verification, import, raster
// upload): ``csrf()``, the one reading of the gis_csrf cookie that every staff script sends
// with its writes, and signing out: a button marked data-sign-out ends the session on the
// server (POST /logout with the CSRF token, app/login.py) and opens the login form in the
// page's language. On a council's shared computer a session must end when its user leaves,
// not when the cookie expires. A classic script: the pages that are not modules read it too.
(() => {
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)gis_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function signOut() {
    const response = await fetch("/logout", { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf() } });
    if (!response.ok && response.status !== 401) throw new Error(`/logout: ${response.status}`);
    const lang = document.documentElement.lang === "en" ? "en" : "uk";
    location.assign(`/login?lang=${lang}`);
  }

  // buttons present now and those a script adds later (the editor's panel)
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-sign-out]");
    if (!button) return;
    event.preventDefault();
    button.disabled = true;
    signOut().catch((err) => { button.disabled = false; console.warn("sign out:", err.message); });
  });

  globalThis.hromadaSession = Object.freeze({ csrf, signOut });
})();
