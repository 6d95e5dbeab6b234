"""What happens to steps, announced for other apps (the buddies app turns these into emails).

Each signal is sent with `sender=Step` and `step=<Step>`, after the change and its
StepEvent are written, inside the transaction of the Step method that sends it: a
receiver that raises takes the change back with it, and receivers that enqueue work must
use `transaction.on_commit`.
"""

from django.dispatch import Signal

step_committed = Signal()  # the planner committed to a dated step
step_done = Signal()  # also sent with note: the planner's words, if any
step_reopened = Signal()
step_dropped = Signal()  # also sent with reason
step_rescheduled = Signal()  # also sent with old_date and reason
