// GROW sheet: let htmx swap refused changes (409) into the box, so the person sees why next
// to what they tried. Refused input (422) already swaps site-wide through base.html's
// htmx-config responseHandling; 409 is not covered there. Plain forms need none of this.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409 && event.detail.elt.closest("[data-grow]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
