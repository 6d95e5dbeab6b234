// The Reminders page: turn on notifications in this browser (Web Push), or stop them.
// Without this file, or in a browser without Web Push, the page says so and email goes on.
(function () {
  "use strict";

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-push]");
    if (!box || !supported()) return;
    box.hidden = false;
    var unsupported = document.querySelector("[data-push-unsupported]");
    if (unsupported) unsupported.hidden = true;
    var status = box.querySelector("[data-push-status]");
    var form = box.querySelector("form[data-push-subscribe]");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Asking your browser…";
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") throw new Error("notifications are blocked for this site in your browser's settings");
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(box.dataset.vapidKey),
          });
        })
        .then(function (subscription) {
          var json = subscription.toJSON();
          form.elements.endpoint.value = json.endpoint;
          form.elements.p256dh.value = json.keys.p256dh;
          form.elements.auth.value = json.keys.auth;
          form.submit();
        })
        .catch(function (error) {
          status.textContent = "Notifications could not be turned on: " + error.message + ".";
        });
    });

    // Stopping this browser's own subscription also tells the browser.
    document.querySelectorAll("form[data-push-stop]").forEach(function (stop) {
      stop.addEventListener("submit", function (event) {
        event.preventDefault();
        // getRegistration, not ready: with no worker running the form must still go.
        navigator.serviceWorker.getRegistration()
          .then(function (registration) { return registration && registration.pushManager.getSubscription(); })
          .then(function (subscription) {
            if (subscription && subscription.endpoint === stop.dataset.endpoint) return subscription.unsubscribe();
            return null;
          })
          .catch(function () {})
          .then(function () { stop.submit(); });
      });
    });
  });
})();
