{% load static %}// careerplan's service worker: the pages you last saw, when there is no connection.
//
// Every request goes to the network first, so nothing is ever staler than it must be.
// When the network fails, the app's shell (styles, scripts, icons) comes from the cache,
// the dashboard and plan pages from the copy kept the last time they were seen, with a
// banner saying when, and any other page from the offline page. Signing in or out, and
// the page after an account is deleted, clear the kept pages before anything else goes
// on: they are one person's, and a phone may be shared.
"use strict";

const VERSION = "{{ version }}";
const SHELL = "shell-" + VERSION;
const PAGES = "pages";
const OFFLINE_URL = "{% url 'offline' %}";
const STATIC_PREFIX = "{% get_static_prefix %}";
const SHELL_FILES = [
  OFFLINE_URL,{% for url in shell %}
  "{{ url }}",{% endfor %}
];
// The pages kept for offline use: the dashboard, the plan list, and each plan's page,
// wall chart and steps.
const KEPT = [
  /^\/dashboard\/$/,
  /^\/plans\/$/,
  /^\/plans\/[0-9a-f-]{36}\/(wall-chart\/)?$/,
  /^\/steps\/[0-9a-f-]{36}\/$/,
];
const SESSION_CHANGES = ["{% url 'account_login' %}", "{% url 'account_logout' %}"];
const ACCOUNT_GONE = "{% url 'personaldata-deleted' %}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("shell-") && key !== SHELL).map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The kept pages go first, then the request: the page it leads to must not be able to
  // open, offline, what the last person saw.
  const sessionChange = request.method === "POST" && SESSION_CHANGES.includes(url.pathname);
  if (sessionChange || (request.mode === "navigate" && url.pathname === ACCOUNT_GONE)) {
    event.respondWith(caches.delete(PAGES).then(() => fetch(request)));
    return;
  }
  // htmx requests and form posts always need the server.
  if (request.method !== "GET" || request.headers.has("HX-Request")) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(networkFirst(request));
  }
});

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request);
    if (cached) return cached;
    throw error;
  }
}

function isKept(url) {
  return !url.search && KEPT.some((pattern) => pattern.test(url.pathname));
}

async function page(request, url) {
  try {
    const response = await fetch(request);
    if (isKept(url) && response.ok && !response.redirected && response.type === "basic") {
      const cacheControl = response.headers.get("Cache-Control") || "";
      if (!cacheControl.includes("no-store")) await keep(url, response.clone());
    }
    return response;
  } catch (error) {
    const cached = isKept(url) ? await (await caches.open(PAGES)).match(url.pathname) : null;
    if (cached) return withBanner(cached);
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function keep(url, response) {
  const headers = new Headers(response.headers);
  headers.set("X-Kept-At", new Date().toISOString());
  const body = await response.text();
  const cache = await caches.open(PAGES);
  await cache.put(url.pathname, new Response(body, { status: 200, headers: headers }));
}

// When a page was kept, in the browser's language and clock: "at 14:49" today, "at 14:49
// yesterday", "on Tuesday 1 December at 14:49" before that (with the year if it was
// another year), so a page seen days ago does not pass for this morning's.
function keptWhen(kept, now) {
  const time = kept.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (kept.toDateString() === now.toDateString()) return "at " + time;
  if (kept.toDateString() === yesterday.toDateString()) return "at " + time + " yesterday";
  const day = { weekday: "long", day: "numeric", month: "long" };
  if (kept.getFullYear() !== now.getFullYear()) day.year = "numeric";
  return "on " + kept.toLocaleDateString([], day) + " at " + time;
}

// Show the page's offline banner with when it was kept (the base template carries the
// banner hidden, so no script is needed on the page).
async function withBanner(cached) {
  const keptAt = cached.headers.get("X-Kept-At") || new Date().toISOString();
  const when = keptWhen(new Date(keptAt), new Date());
  const html = (await cached.text())
    .replace("data-offline-banner hidden", "data-offline-banner")
    .replace("<span data-offline-time></span>", '<time datetime="' + keptAt + '">' + when + "</time>");
  return new Response(html, { status: 200, headers: cached.headers });
}

// Reminders as notifications (Web Push): the server sends a title, a body, the page to
// open and a tag (one notification per kind of reminder, the newest replacing the last).
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "careerplan", {
      body: message.body || "",
      tag: message.tag || "careerplan",
      icon: "{% static 'icons/icon-192.png' %}",
      badge: "{% static 'icons/icon-192.png' %}",
      data: { url: message.url || "{% url 'plans-dashboard' %}" },
    })
  );
});

// Opening a notification opens its page: in a window of the app already open, if any.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === url.origin && "navigate" in client) {
          return client.navigate(url.href).then((opened) => (opened || client).focus());
        }
      }
      return self.clients.openWindow(url.href);
    })
  );
});
