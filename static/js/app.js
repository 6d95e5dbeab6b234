// careerplan's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Pre-select the browser's time zone in a zone <select> the person has not touched
  // (sign-up and profile); the server still validates whatever is sent.
  function preselectBrowserZone(root) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone) return;
    root.querySelectorAll("select[data-browser-tz]").forEach(function (select) {
      if (select.dataset.keepZone === "true") return;
      if (select.value && select.value !== "UTC") return;
      var aliases = {};
      try {
        aliases = JSON.parse(select.dataset.zoneAliases || "{}");
      } catch (e) {}
      var wanted = aliases[zone] || zone;
      var option = select.querySelector('option[value="' + wanted.replace(/"/g, "") + '"]');
      if (option) select.value = wanted;
    });
  }

  // Confirm before a destructive submit (forms with data-confirm="...").
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Print buttons (data-print) instead of inline onclick handlers, which the CSP forbids.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    preselectBrowserZone(document);
  });

  // The service worker keeps the pages last seen for use without a connection.
  var worker = document.documentElement.dataset.serviceWorker;
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker).catch(function () {});
    });
  }
  // After an htmx action the keyboard focus must not fall to the page's start: the
  // server names where it goes (careerplan.htmx, `cp-focus`): the control that replaced
  // the one pressed, the next question, the first field to fix. It is scrolled into view
  // only as far as needed, so a mouse user's page barely moves.
  function moveFocus(target) {
    if (!target) return false;
    if (!target.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("cp-focus", function (event) {
    var selector = event.detail.selector;
    moveFocus(document.querySelector(selector));
    // Once more after the swap's last steps, should anything have taken the focus away;
    // but not from the person: a key pressed or a tap meanwhile (a quick Tab to the next
    // button) is theirs to keep.
    var moved = false;
    function byPerson() { moved = true; }
    document.addEventListener("keydown", byPerson, true);
    document.addEventListener("pointerdown", byPerson, true);
    window.setTimeout(function () {
      document.removeEventListener("keydown", byPerson, true);
      document.removeEventListener("pointerdown", byPerson, true);
      var target = document.querySelector(selector);
      if (!moved && target && document.activeElement !== target) moveFocus(target);
    }, 50);
  });

  // Whatever happened, the focus never stays lost on the body. (An answer swapped only out
  // of band settles on elements no longer in the page, whose events never reach the
  // document: the request's end does.)
  function keepFocus() {
    window.setTimeout(function () {
      var active = document.activeElement;
      if (!active || active === document.body) moveFocus(document.getElementById("main"));
    }, 100);
  }
  document.addEventListener("htmx:afterRequest", keepFocus);

  // A failed action (sent from a page out of date, on something deleted in another tab, a
  // server error, no connection) changes nothing on the page: say so in the live region,
  // with a way to reload, so no one believes a step was checked off when it was not. The
  // words are the page's (base.html, #request-failed). Focus goes to the message when the
  // person pressed something; a check made while they type leaves their focus alone.
  function requestFailed(event, status) {
    var words = document.getElementById("request-failed");
    var region = document.getElementById("messages");
    if (!words || !region) return;
    var text = words.content.querySelector('[data-status="' + status + '"]') ||
      words.content.querySelector('[data-status="' + String(status).charAt(0) + 'xx"]');
    if (!text) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-request-failed", String(status));
    alert.appendChild(document.createTextNode(text.textContent + " "));
    if (text.hasAttribute("data-reload")) {
      var reload = document.createElement("a");
      reload.href = window.location.href;
      reload.textContent = "Reload the page";
      alert.appendChild(reload);
    }
    region.replaceChildren(alert);
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    if (trigger && (trigger.type === "click" || trigger.type === "submit")) {
      moveFocus(alert);
    }
  }
  document.addEventListener("htmx:responseError", function (event) {
    requestFailed(event, event.detail.xhr.status);
  });
  document.addEventListener("htmx:sendError", function (event) {
    requestFailed(event, 0);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    preselectBrowserZone(event.target);
    var xhr = event.detail.xhr;
    // A refused form (422) comes back with its messages: start at the first field to fix.
    if (xhr && xhr.status === 422) moveFocus(document.querySelector(".is-invalid"));
    keepFocus();
  });
})();
