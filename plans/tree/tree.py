"""The reverse-engineering tree: a plan's steps arranged under its goal.

The goal is the root; steps with `parent=None` hang directly under it. The whole tree is
built from one query of the plan's steps, and everything else here (depth, descendants,
the first step, the next question, the limits) is worked out in Python, so a page that
shows the tree runs the same queries for five steps as for five hundred.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from plans.models import Step

# Six levels below the goal is as fine as planning this way goes; past that a branch is
# a to-do list. Twelve answers to one question is a brainstorm to sort, not a breakdown.
MAX_DEPTH = 6
MAX_CHILDREN = 12
# "Could I be doing that within the next week?": today and the seven days after it.
WITHIN_DAYS = 7


def latest_commit_date(today):
    """Return the last completion date that still counts as "within the next week"."""
    return today + timedelta(days=WITHIN_DAYS)


@dataclass(eq=False)
class Node:
    """One place in the tree: a step, or the goal itself (`step` is None)."""

    step: object = None
    parent: "Node | None" = None
    depth: int = 0
    children: list = field(default_factory=list)

    @property
    def is_goal(self):
        return self.step is None

    @property
    def is_open(self):
        return self.step is not None and self.step.status == Step.Status.OPEN

    @property
    def is_closed(self):
        """Done or dropped: nothing left to ask about it."""
        return self.step is not None and self.step.status != Step.Status.OPEN

    @property
    def is_dated(self):
        return self.step is not None and self.step.due_date is not None

    @property
    def is_first_sibling(self):
        return self.parent is not None and self.parent.children[0] is self

    @property
    def is_last_sibling(self):
        return self.parent is not None and self.parent.children[-1] is self

    @property
    def needs_answer(self):
        """An open, undated step with nothing under it: its question is still to ask."""
        return self.is_open and not self.is_dated and not self.children

    @property
    def open_children(self):
        return [child for child in self.children if child.is_open]

    def walk(self):
        """Yield the nodes below this one, depth first, in sibling order (each once, so
        even a loop of parents, which parent_problem keeps out, cannot make it endless)."""
        stack = list(reversed(self.children))
        seen = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(reversed(node.children))

    def height(self):
        """Return how many levels this node and the steps below it span (a leaf spans 1)."""
        deepest = max((node.depth for node in self.walk()), default=self.depth)
        return deepest - self.depth + 1


def parent_problem(steps):
    """Why `steps` (every step of some plans, with pk, plan_id and parent_id) do not
    form a tree under each plan's goal, or "": a parent in another plan, or a chain of
    parents that comes back to where it started. The pages cannot make either (a move
    refuses a step's own branch); an imported archive could."""
    plan_of = {step.pk: step.plan_id for step in steps}
    parent_of = {step.pk: step.parent_id for step in steps}
    reaches_goal = set()
    for start in parent_of:
        chain, node = set(), start
        while node is not None and node not in reaches_goal:
            if node in chain:
                return "a step comes, through its parents, under itself"
            chain.add(node)
            parent = parent_of.get(node)
            if parent is not None and plan_of.get(parent) != plan_of[node]:
                return "a step's parent is a step of another plan"
            node = parent
        reaches_goal.update(chain)
    return ""


class Tree:
    """A plan's steps as a tree under its goal, built in memory from one list of steps."""

    def __init__(self, plan, steps):
        """Arrange `steps` (all of one plan's steps, in sibling order) under `plan`'s goal.

        1. Make a node for every step and index them by primary key.
        2. Attach each to its parent's node (or the goal's) in the order given, which is
           the sibling order when the steps come sorted by position.
        3. Walk from the goal to set each node's depth. A step whose parent chain never
           reaches the goal (impossible through these pages) is simply not shown.
        """
        self.plan = plan
        self.goal = Node()
        self.nodes = {step.pk: Node(step=step) for step in steps}
        for node in self.nodes.values():
            parent = (
                self.goal if node.step.parent_id is None else self.nodes.get(node.step.parent_id)
            )
            if parent is not None:
                node.parent = parent
                parent.children.append(node)
        for node in self.goal.walk():
            node.depth = node.parent.depth + 1

    @classmethod
    def for_plan(cls, plan):
        """Load the tree of `plan` with one query (its steps know their plan already)."""
        return cls(plan, plan.steps.order_by("position", "pk"))

    @classmethod
    @contextmanager
    def for_update(cls, plan):
        """Lock the plan (Plan.lock) and load its tree, for a change checked against it:
        until the block ends no other request changes the tree, so a limit or descendant
        check still holds when the change is made."""
        with plan.lock():
            yield cls.for_plan(plan)

    def __iter__(self):
        return self.goal.walk()

    def __len__(self):
        return len(self.nodes)

    def find(self, code):
        """Return the node of the step with this code (a string or UUID), or None."""
        code = str(code)
        return next((node for node in self if str(node.step.code) == code), None)

    def node_for(self, step):
        """Return the node of `step` (or of the goal for None)."""
        return self.goal if step is None else self.nodes[step.pk]

    def first_step(self):
        """Return the node of the earliest-dated open action step with no open step under
        it (ties go to the one first in the tree), or None if there is none yet."""
        leaves = [
            node for node in self if node.is_open and node.is_dated and not node.open_children
        ]
        # min() keeps the first of equal dates, and walking order is tree order.
        return min(leaves, key=lambda node: node.step.due_date, default=None)

    def next_to_ask(self, near=None):
        """Return the node whose question comes next: the goal until something under it
        answers it, then an open, undated step with nothing under it.

        `near` is the node just answered (or None): the steps below it come first, then
        the rest of its parent's branch, and so on up to the goal, so the guide stays on
        the branch being drilled until every end of it is dated or broken down. Without
        it the search starts at the goal, in tree order.

        Dated steps added directly or committed on a GROW sheet also land under the goal,
        but they are not a breakdown of it, so they do not skip its question.
        """
        if not any(answers_goal(node) for node in self.goal.children):
            return self.goal
        branch = near if near is not None else self.goal
        while branch is not None:
            found = next((node for node in branch.walk() if node.needs_answer), None)
            if found is not None:
                return found
            branch = branch.parent
        return None

    def branch(self, node):
        """Return the set of `node` and every node below it."""
        return {node, *node.walk()}

    def is_inside(self, node, target):
        """Return True if `target` is `node` itself or one of the steps below it."""
        return target in self.branch(node)

    def room_under(self, node):
        """Return how many more steps fit directly under `node`."""
        children = node.children
        if node.is_goal:
            # Steps added directly or committed on a GROW sheet sit under the goal without
            # being answers to "what would I have to have done first?": a plan with many of
            # them can still be reverse engineered.
            children = [child for child in children if answers_goal(child)]
        return max(MAX_CHILDREN - len(children), 0)

    def problem_adding(self, node, count):
        """Return why `count` new steps cannot go under `node`, or None if they can."""
        name = describe(node)
        if node.depth >= MAX_DEPTH:
            return (
                f"{name} is already {MAX_DEPTH} levels below your goal, the deepest the tree "
                f"goes. If it still feels too big to do within a week, reword it as something "
                f"smaller, or move it higher up."
            )
        room = self.room_under(node)
        if count > room:
            have = MAX_CHILDREN - room
            # Under the goal only the answers count (room_under): say so, or a goal with
            # steps added on the plan page would seem to be counted wrong.
            what = "steps worked out here" if node.is_goal else "steps under it"
            aside = (
                " (steps added on the plan page or from a GROW sheet do not count)"
                if node.is_goal and len(node.children) != have
                else ""
            )
            if room == 0:
                return (
                    f"{name} already has {have} {what}{aside}, the most it can hold "
                    f"({MAX_CHILDREN}). Combine some of them, or add under one of them instead."
                )
            return (
                f"{name} can hold {MAX_CHILDREN} {what} and already has {have}{aside}, so "
                f"there is room for {room} more; you wrote {count}. Keep the {room} that "
                f"matter most, or combine some."
            )
        return None

    def problem_moving(self, node, target, branch=None, height=None):
        """Return why `node` (with everything under it) cannot go under `target`, or None.

        `branch` (the node and the nodes below it) and `height` may be passed in when
        checking many targets for one node, so they are worked out once.
        """
        branch = self.branch(node) if branch is None else branch
        if target in branch:
            return (
                "A step cannot go under itself or under one of its own steps. "
                "Choose a place outside this branch."
            )
        if node.parent is target:
            return None
        height = node.height() if height is None else height
        if target.depth + height > MAX_DEPTH:
            return (
                f"There it would reach more than {MAX_DEPTH} levels below your goal, the "
                f"deepest the tree goes. Choose a place higher up."
            )
        if not self.room_under(target):
            return (
                f"{describe(target)} already has {MAX_CHILDREN} steps under it, the most one "
                f"step can hold. Choose another place, or make room there first."
            )
        return None

    def move_targets(self, node):
        """Return the nodes `node` may move under, the goal first, then in tree order."""
        branch, height = self.branch(node), node.height()
        return [
            target
            for target in [self.goal, *self]
            if target is not node.parent
            and self.problem_moving(node, target, branch, height) is None
        ]

    def problem_lifting(self, node):
        """Return why the steps under `node` cannot move up to its parent when it is
        deleted, or None if they can."""
        parent = node.parent
        siblings = [child for child in parent.children if child is not node]
        if parent.is_goal:
            siblings = [child for child in siblings if answers_goal(child)]
        total = len(siblings) + len(node.children)
        if total > MAX_CHILDREN:
            return (
                f"Moving them up would put {total} steps under {describe(parent, lower=True)}, "
                f"more than the {MAX_CHILDREN} one step can hold. Delete them too, or move "
                f"some of them elsewhere first."
            )
        return None


def answers_goal(node):
    """Return True if a step under the goal is part of its breakdown: it came from this
    exercise (or the worked example), still needs breaking down, or has been."""
    breakdown = {Step.Source.TREE, Step.Source.EXAMPLE}
    return node.step.source in breakdown or not node.is_dated or bool(node.children)


def describe(node, lower=False):
    """Name a node in a sentence: "“Find a location”", or "Your goal"."""
    if node.is_goal:
        return "your goal" if lower else "Your goal"
    return f"“{node.step.title}”"
