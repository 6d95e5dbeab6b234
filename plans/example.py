"""The worked example: the books-and-coffee-shop goal, reverse engineered to a first step."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from plans.models import GrowSession, Obstacle, Option, Plan, Step

GOAL = "I will be running my own bookshop with a coffee corner in my home town"
MEASURE = (
    "The shop is open six days a week, and I pay myself a wage from it for three months in a row."
)
RELEVANCE = (
    "Books and conversation are what I enjoy most. I want my days to be spent with both, "
    "in a place I have made."
)
# What would I have to have done first? The goal's answers, in the order a person might
# list them; the first step is the small, dated leaf under the business one.
FIRST_STEP = "Talk to a friend who worked in a bookshop"
BRANCHES = [
    ("Find a location", ["Walk the high street and note empty shops"]),
    ("Learn about running a business", [FIRST_STEP]),
    ("Decide the market", []),
    ("Choose a name", []),
    ("Design a logo", []),
    ("Fit out the shop", []),
    ("Source book wholesalers", []),
    ("Decide staffing", []),
]


def example_plan_of(user):
    """The person's copy of the worked example, or None: one each, to learn from."""
    return Plan.objects.filter(owner=user, is_example=True).order_by("created").first()


@transaction.atomic
def load_example_plan(user):
    """Create the worked example as the person's own plan, to learn from and delete;
    return (plan, created). A person has one copy: a second press (another tab, a double
    click) opens the one they have."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if (existing := example_plan_of(user)) is not None:
        return existing, False
    today = user.local_today()
    plan = Plan.objects.create(
        owner=user,
        goal=GOAL,
        measure=MEASURE,
        relevance=RELEVANCE,
        target_date=today + timedelta(days=540),
        is_example=True,
    )
    steps = []
    for position, (title, children) in enumerate(BRANCHES):
        branch = Step(plan=plan, title=title, position=position, source=Step.Source.EXAMPLE)
        steps.append(branch)
        for child_position, child in enumerate(children):
            due = today + timedelta(days=3 if child == FIRST_STEP else 6)
            steps.append(
                Step(
                    plan=plan,
                    parent=branch,
                    title=child,
                    position=child_position,
                    due_date=due,
                    reward="A slice of cake at the café I like" if child == FIRST_STEP else "",
                    source=Step.Source.EXAMPLE,
                )
            )
    for step in steps:  # parents come before their children, so each parent has a pk
        step.save()

    session = GrowSession.objects.create(
        plan=plan,
        number=1,
        goal=GOAL,
        reality="I work in an office and read every evening. I have some savings.",
        discoveries="I light up when I recommend a book to someone.",
        steps_taken="I have volunteered at the library's book sale twice.",
    )
    money = Obstacle.objects.create(
        session=session, kind=Obstacle.Kind.PRACTICAL, text="I don't know what a shop costs"
    )
    Obstacle.objects.create(
        session=session, kind=Obstacle.Kind.MYSELF, text="I am not sure I am a business person"
    )
    Option.objects.create(
        session=session,
        text=FIRST_STEP,
        prompt=Option.Prompt.HELP,
        obstacle=money,
        step=next(s for s in steps if s.title == FIRST_STEP),
    )
    Option.objects.create(
        session=session,
        text="Take the free evening course on starting a small business",
        prompt=Option.Prompt.ELSE,
        position=1,
    )
    return plan, True
