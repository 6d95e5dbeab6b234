// The tree page works without this file; it only smooths the htmx swaps.
(function () {
  "use strict";

  // A refused form (422) replaces the form (base.html's htmx-config swaps 422 answers), so
  // the message shows beside the field and what was typed stays; the keyboard focus goes to
  // the first field that needs fixing.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      var invalid = document.querySelector("#tree-workspace .is-invalid, .tree-step-form .is-invalid");
      if (invalid) invalid.focus();
    }
  });

  // After a change swaps the workspace, the button that was pressed is gone: the server
  // names where the focus goes instead (the next question, the edited step, the tree).
  document.addEventListener("tree-refocus", function (event) {
    var target = document.getElementById(event.detail.id);
    if (!target) return;
    if (!target.matches("a, button, input, select, textarea")) target.setAttribute("tabindex", "-1");
    target.focus();
  });
})();
