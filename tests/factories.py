"""factory-boy factories shared by the whole suite."""

import datetime

import factory
from django.utils import timezone

from accounts.models import User
from plans.models import GrowSession, Obstacle, Option, Plan, Step


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    tz = "Europe/London"
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Give the user a verified primary address, as allauth expects after sign-up."""
        if create:
            obj.save()
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    owner = factory.SubFactory(UserFactory)
    goal = "I will be running my own bookshop café by June 2027"
    measure = "The shop is open and I have taken my first month's wages from it."
    relevance = "I want to work with books and people every day."
    target_date = factory.LazyFunction(lambda: timezone.now().date() + datetime.timedelta(days=200))


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    plan = factory.SubFactory(PlanFactory)
    title = factory.Sequence(lambda n: f"Small step {n}")
    due_date = factory.LazyFunction(lambda: timezone.now().date() + datetime.timedelta(days=3))


class GrowSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GrowSession

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    goal = factory.SelfAttribute("plan.goal")


class ObstacleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obstacle

    session = factory.SubFactory(GrowSessionFactory)
    text = "I don't know anyone in the book trade"


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    session = factory.SubFactory(GrowSessionFactory)
    text = "Talk to a friend who worked in a bookshop"
