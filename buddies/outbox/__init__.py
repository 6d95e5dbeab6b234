"""The outbox: every email to a buddy is a Notification row first and a message second.

Rows are written in the same transaction as the change that causes them, under the
unique constraint (kind, buddyship, key), so a retried request or a second sweep writes
nothing twice. Sending claims a few rows at a time with a lease, re-checks that each email
is still wanted, marks the hand-over, sends, and records the result; docs/decisions.md
("Delivery semantics") says what is guaranteed when something fails.

One job per module:
- rows: writing a row (enqueue), the key that names each email, asking for a send;
- kinds: what each kind of email does, declared once per kind (its one-click answers,
  whether it is transactional, when it is no longer wanted, its template and context);
- sweep: the check-up sweep, and recovering rows a crash or a lost enqueue left behind;
- sender: claiming rows with a lease, sending them, retries and back-off;
- messages: the email for a row (context, headers, Message-ID, addresses);
- digests: the weekly digest's rows and its context.
buddies.tasks runs them; nothing here imports the tasks.
"""
