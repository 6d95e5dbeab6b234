// The wall chart opens with this week in view: on a wide screen its columns scroll
// sideways, and a plan that started long ago would otherwise show only past weeks.
// Overdue steps stay in view too when they fit beside this week; the week before is
// shown otherwise, so there is always a little of the past for context.
(function () {
  "use strict";

  function showCurrentColumn(root) {
    var current = root.querySelector(".wc-columns .wc-current");
    var columns = current && current.closest(".wc-columns");
    if (!columns || columns.scrollWidth <= columns.clientWidth) return;
    var overdue = columns.querySelector(".state-overdue");
    var first = overdue ? overdue.closest(".wc-column") : null;
    var currentRight = current.offsetLeft + current.offsetWidth;
    if (!first || currentRight - first.offsetLeft > columns.clientWidth) {
      first = current.previousElementSibling || current;
    }
    columns.scrollLeft = first.offsetLeft - columns.offsetLeft;
  }

  document.addEventListener("DOMContentLoaded", function () {
    showCurrentColumn(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    showCurrentColumn(event.target);
  });
})();
