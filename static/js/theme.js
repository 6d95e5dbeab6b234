// Runs in <head>, before the page is drawn (a file, not inline: the CSP allows no inline
// script). It follows the system's light or dark setting with Bootstrap's colour modes,
// and marks the page as having JavaScript, so the phone menu collapses behind its button
// only when that button can open it.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function follow() {
    root.setAttribute("data-bs-theme", dark && dark.matches ? "dark" : "light");
  }
  follow();
  if (dark && dark.addEventListener) dark.addEventListener("change", follow);
})();
