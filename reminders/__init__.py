"""The planner's own reminders: a morning email on days a step is due, a weekly plan, a
nudge when a plan has no small step dated in the next week, and an optional evening
journal nudge, each on its own switch, at times in the planner's zone; by email through
the buddies app's outbox, and as Web Push notifications where the planner turned that on.

This app sits above buddies (accounts < plans < journals < buddies < reminders): it reads
plans and journals and writes outbox rows, and it adds its kinds of email to the outbox's
table when it is ready. Nothing below imports it.

- models: Reminder (one per planner and kind: switch, time, weekday, next instant due),
  PushSubscription (one per browser);
- schedule: a wall-clock time on a local day as an instant, across DST;
- kinds: each reminder declared once (its email, which planners it is due for and under
  which key, its push text);
- sweep: the reminder pass (read due reminders, claim them, write their rows);
- push: Web Push (VAPID, subscriptions, the push sender);
- links: signed "Done" and unsubscribe links; views, views_mail, forms, urls: the
  Reminders page and the pages its emails link to; receivers: defaults for a new planner
  and a change of zone; tasks: what beat and the workers run.
"""
