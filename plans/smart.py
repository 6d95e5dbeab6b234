"""Friendly SMART feedback on a goal: one result per letter, plus whether it is positive.

The rules, in one place. Each letter is judged on what the planner typed, and no letter
is ticked on grounds that another letter refutes:

  Positive    fails if the goal names what is being left ("leave", "quit", "no longer",
              "not").
  Specific    fails if the goal is under 4 or over 40 words or uses a vague word, and
              also if it fails Positive: a goal that says what you are leaving does not
              yet say what you will be doing.
  Measurable  passes with a written measure, or a number in the goal that is not part of
              a date ("40,000 a year", not "by June 2027": a date says when, not how
              you will know).
  Achievable  is judged against a target date still ahead: one under four weeks away
              fails. With no date, or a date already past, it waits (neither tick nor
              warning): Time-bound says what to fix first.
  Relevant    passes with a line about why it matters.
  Time-bound  needs a target date from today to ten years ahead, in the month and year
              the goal names if it names one ("by June 2027").

Pure functions with no database access, so the plan form, the GROW sheet and the tests
can all ask the same questions of what the planner typed.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

# Phrases that describe what the planner is leaving rather than where they are going.
AWAY_PHRASES = (
    "leave",
    "leaving",
    "quit",
    "quitting",
    "get out of",
    "no longer",
    "stop",
    "stopping",
    "escape",
    "not",
    "never",
    "don't",
    "don\u2019t",
    "won't",
    "won\u2019t",
)
# Words that sound like a goal but say nothing about what will be different.
VAGUE_WORDS = (
    "something",
    "better",
    "happier",
    "more fulfilling",
    "somehow",
    "stuff",
    "things",
    "a new job",
    "a new career",
    "a career",
    "a different job",
)
MIN_WORDS = 4
MAX_WORDS = 40
# A change this close is a step, not a goal; a target further off than this is a dream.
SHORTEST_GOAL = timedelta(weeks=4)
LONGEST_GOAL = timedelta(days=365 * 10)

_NUMBER = re.compile(r"\d")
# Month names as a goal writes them ("May" is left out: "I may ..." is not a date).
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20|21|22)\d\d)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# Dates in a goal: "1 June 2027", "June 1st, 2027", "June 2027", "June", "2027".
_DATE = re.compile(
    rf"\b(?:{_DAY}\s+)?{_MONTH}(?:\s+{_DAY})?(?:,?\s+{_YEAR})?\b|\b{_YEAR}\b", re.IGNORECASE
)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}(?:\s+{_DAY})?,?\s+{_YEAR}\b", re.IGNORECASE)
_WORD = re.compile(r"[\w\u2019'-]+")


@dataclass(frozen=True)
class LetterResult:
    letter: str
    name: str
    ok: bool
    advice: str
    # Not judged yet: another letter must be fixed first (shown without tick or warning).
    waiting: bool = False


def _words(text):
    return _WORD.findall(text or "")


def _contains_phrase(text, phrases):
    """Return the first phrase found in `text` as whole words, or None.

    Words are compared whole, hyphenated ones included, so "a career" is not found in
    "a career-coaching business" nor "leave" in "cleaver".
    """
    words = [w.lower() for w in _words(text)]
    for phrase in phrases:
        wanted = phrase.split()
        for start in range(len(words) - len(wanted) + 1):
            if words[start : start + len(wanted)] == wanted:
                return phrase
    return None


def check_positive(goal):
    away = _contains_phrase(goal, AWAY_PHRASES)
    if away:
        return LetterResult(
            "Positive",
            "Positive",
            False,
            f"“{away.capitalize()}” says what you are moving away from, not where you are "
            "going. Say what you will be doing instead, for example “I will be working in a "
            "team that values my ideas” rather than “I will leave my job”.",
        )
    return LetterResult("Positive", "Positive", True, "Your goal says where you are going.")


def check_specific(goal, positive=None):
    """`positive` is the goal's check_positive result, if already worked out."""
    words = _words(goal)
    if len(words) < MIN_WORDS:
        return LetterResult(
            "S",
            "Specific",
            False,
            "Say a little more: what will you be doing, where, and with whom? "
            "For example “I will be working as a paediatric nurse in Leeds”.",
        )
    if len(words) > MAX_WORDS:
        return LetterResult(
            "S",
            "Specific",
            False,
            f"Your goal runs to {len(words)} words. Try to say it in one sentence of "
            f"{MAX_WORDS} words or fewer, and move the detail into your steps.",
        )
    positive = positive or check_positive(goal)
    if not positive.ok:
        return LetterResult(
            "S",
            "Specific",
            False,
            "It says what you are leaving, so it does not yet say what you will be doing. "
            "Name the work, the place or the people you are heading for.",
        )
    vague = _contains_phrase(goal, VAGUE_WORDS)
    if vague:
        return LetterResult(
            "S",
            "Specific",
            False,
            f"“{vague.capitalize()}” could mean many things. Replace it with what you will "
            "actually be doing, for example the job title, the course or the place.",
        )
    return LetterResult("S", "Specific", True, "Your goal says clearly what you will be doing.")


def check_measurable(goal, measure):
    if (measure or "").strip() or _NUMBER.search(_DATE.sub(" ", goal)):
        return LetterResult(
            "M", "Measurable", True, "You will be able to tell when you have arrived."
        )
    return LetterResult(
        "M",
        "Measurable",
        False,
        "How will you know you have arrived? Write down something you could show "
        "someone, such as a signed contract, a certificate or a number to reach.",
    )


def check_achievable(target_date, today):
    if target_date is None or target_date < today:
        return LetterResult(
            "A",
            "Achievable",
            False,
            "Once your goal has a target date still ahead (see Time-bound), this says "
            "whether it gives you enough time.",
            waiting=True,
        )
    if target_date < today + SHORTEST_GOAL:
        return LetterResult(
            "A",
            "Achievable",
            False,
            "That is less than four weeks away, which is very soon for a big change. "
            "Break it down into smaller steps, or give yourself a later target date.",
        )
    return LetterResult(
        "A", "Achievable", True, "You have given yourself enough time to get there."
    )


def check_relevant(relevance):
    if not (relevance or "").strip():
        return LetterResult(
            "R",
            "Relevant",
            False,
            "Write a line about why this matters to you. On a hard day it is what keeps you going.",
        )
    return LetterResult("R", "Relevant", True, "You know why this matters to you.")


def named_month(goal):
    """The (year, month) the goal names ("by June 2027"), the last one if several; None."""
    found = _MONTH_YEAR.findall(goal or "")
    if not found:
        return None
    month, year = found[-1]
    return int(year), MONTHS[month.lower()]


def check_time_bound(target_date, today, goal=""):
    if target_date is None:
        return LetterResult(
            "T",
            "Time-bound",
            False,
            "Choose a target date. A goal without a date tends to stay a wish.",
        )
    if target_date < today:
        return LetterResult(
            "T",
            "Time-bound",
            False,
            "Your target date has already passed. Choose a new date you can still reach.",
        )
    if target_date > today + LONGEST_GOAL:
        return LetterResult(
            "T",
            "Time-bound",
            False,
            "That date is more than ten years away. Pick a nearer milestone you can "
            "work towards now.",
        )
    named = named_month(goal)
    if named is not None and named != (target_date.year, target_date.month):
        year, month = named
        return LetterResult(
            "T",
            "Time-bound",
            False,
            f"Your goal says {date(year, month, 1):%B %Y}, and the target date is "
            f"{target_date.day} {target_date:%B %Y}. Make the two agree.",
        )
    return LetterResult("T", "Time-bound", True, "You have a target date to work towards.")


def word_feedback(goal):
    """The letters judged on the goal's words alone (Specific, Positive): the GROW sheet,
    which has no date or measure, shows these."""
    goal = goal or ""
    if not _words(goal):
        return []  # nothing written yet: nothing to judge, nor to praise
    positive = check_positive(goal)
    return [check_specific(goal, positive), positive]


def smart_feedback(goal, measure, relevance, target_date, today):
    """Return a LetterResult for S, M, A, R, T and Positive, in that order; none while
    the goal has no words (the advice box then says to start writing)."""
    goal = goal or ""
    words = word_feedback(goal)
    if not words:
        return []  # nothing written yet (word_feedback's rule)
    specific, positive = words
    return [
        specific,
        check_measurable(goal, measure),
        check_achievable(target_date, today),
        check_relevant(relevance),
        check_time_bound(target_date, today, goal),
        positive,
    ]
