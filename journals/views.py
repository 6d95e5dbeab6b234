from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect

from careerplan.dates import date_from_query
from careerplan.forms import editable
from careerplan.htmx import page_update
from careerplan.pagecache import render_page
from journals import days as journal
from journals import exports
from journals.access import get_entry_for_owner
from journals.forms import EntryEditForm, EntryForm, SearchForm
from journals.models import PROMPT, JournalEntry, compute_streaks, long_date

SEARCH_PAGE_SIZE = 20


@login_required
@require_safe
def today(request):
    """The journal's home: today's entry or the prompt, the streaks, and recent days."""
    if not request.htmx:
        return render_page(request, "journals/today.html", lambda: _today_context(request))
    before = date_from_query(request.GET.get("before"))
    if before is not None:
        days, older = journal.journal_days(request.user, before=before)
        context = {"days": days, "older": older, "today": request.user.local_today()}
        return render(request, "journals/today.html#day-page", context)
    context = _today_context(request, streaks=False)
    return render(request, "journals/today.html#today-card", context)


def _today_context(request, streaks=True):
    user = request.user
    today = user.local_today()
    before = date_from_query(request.GET.get("before"))
    days, older = journal.journal_days(user, before=before)
    # The first page already holds today, if anything happened today: no second look.
    day = next((d for d in days if d.date == today), None) or journal.JournalDay(today)
    context = {
        # Today has its own card above the list, so the list starts with the days before
        # (or, after a move to a zone further west, a day written that is still to come
        # here: the list is then not only of earlier days).
        "days": [d for d in days if d.date != today],
        "days_ahead": any(d.date > today for d in days),
        "older": older,
        "today": today,
        "day": day,
        "form": None if day.entry else EntryForm(owner=user),
        "prompt": PROMPT,
    }
    # Only the full page shows the streaks: the today card does not need that query.
    if streaks:
        context["streaks"] = JournalEntry.objects.for_owner(user).streaks(today)
    return context


def _written(request, entry, created, today):
    if created:
        messages.success(request, f"Saved your entry for {long_date(entry.date)}.")
    else:
        messages.info(
            request,
            f"You had already written about {long_date(entry.date)}, so this was "
            "added to that entry. Edit it if you want to tidy up.",
        )
    if request.htmx:
        return _saved(request, entry, today)
    return redirect("journals-today" if entry.date == today else entry)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def write(request):
    """Write about a day (today unless another past day is chosen)."""
    user = request.user
    today = user.local_today()
    if request.method == "POST":
        form = EntryForm(request.POST, owner=user)
        if form.is_valid():
            try:
                entry, created = JournalEntry.objects.write(user, **form.cleaned_data)
            except ValidationError as error:  # the day filled up since the form's check
                form.add_error("text", error)
            else:
                return _written(request, entry, created, today)
        # The form page shows the day's done steps; which entry is there, it does not.
        day = journal.journal_day(user, form.cleaned_data.get("date") or today, entry=None)
        template = "journals/entry_form.html#entry-form" if request.htmx else None
        return render_form(request, form, day, status=422, template=template)

    day_date = date_from_query(request.GET.get("date")) or today
    if day_date > today:
        messages.info(
            request,
            f"{long_date(day_date)} has not come yet where you are: write about today or "
            "an earlier day.",
        )
        return redirect("journals-today")
    existing = JournalEntry.objects.for_owner(user).filter(date=day_date).first()
    if existing is not None:
        messages.info(
            request, f"You have already written about {long_date(day_date)}: here it is to edit."
        )
        return redirect("journals-edit", code=existing.code)
    form = EntryForm(owner=user, initial={"date": day_date})
    day = journal.journal_day(user, day_date, entry=None)  # none: looked up just above
    template = "journals/entry_form.html#entry-form" if request.htmx else None
    return render_form(request, form, day, template=template)


def _saved(request, entry, today):
    """The htmx answer to a saved entry: the entry in place of the form and, on the
    journal's home, the streaks it changed (careerplan.htmx.page_update)."""
    day = journal.journal_day(request.user, entry.date, entry=entry)
    context = {"day": day, "entry": entry, "today": today, "saved": True}
    fragments = []
    if request.POST.get("from") == "today":
        context["streaks"] = JournalEntry.objects.for_owner(request.user).streaks(today)
        fragments.append("streaks")
    return page_update(
        request,
        "journals/today.html",
        fragments,
        context,
        main="journals/entry_detail.html#entry-card",
    )


def entry_action(entry):
    return reverse("journals-edit", args=[entry.code]) if entry else reverse("journals-write")


def render_form(request, form, day, entry=None, status=200, template=None):
    if request.htmx:
        # The form replaced what had focus: put the cursor in the text (htmx honours
        # autofocus in swapped content).
        form.fields["text"].widget.attrs["autofocus"] = True
    context = {
        "form": form,
        "day": day,
        "entry": entry,
        "prompt": PROMPT,
        "action": entry_action(entry),
        "today": request.user.local_today(),
        # A refused form from the journal's home is drawn again saying so, or its next
        # save would not bring the home page's streaks with it.
        "origin": "today" if request.POST.get("from") == "today" else None,
    }
    return render(request, template or "journals/entry_form.html", context, status=status)


@login_required
@require_safe
def entry_detail(request, code):
    entry = get_entry_for_owner(request, code)
    day = journal.journal_day(request.user, entry.date, entry=entry)
    context = {"day": day, "entry": entry, "today": request.user.local_today()}
    if request.htmx:
        return render(request, "journals/entry_detail.html#entry-card", context)
    return render(request, "journals/entry_detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_edit(request, code):
    entry = get_entry_for_owner(request, code)
    template = "journals/entry_form.html#entry-form" if request.htmx else None
    if request.method == "POST":
        form = EntryEditForm(request.POST, instance=editable(entry))
        if form.is_valid():
            entry = form.save()
            messages.success(request, f"Saved your entry for {long_date(entry.date)}.")
            if request.htmx:
                return _saved(request, entry, request.user.local_today())
            return redirect(entry)
        day = journal.journal_day(request.user, entry.date, entry=entry)
        return render_form(request, form, day, entry, status=422, template=template)
    day = journal.journal_day(request.user, entry.date, entry=entry)
    return render_form(request, EntryEditForm(instance=entry), day, entry, template=template)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_delete(request, code):
    entry = get_entry_for_owner(request, code)
    if request.method == "POST":
        entry.delete()
        messages.success(
            request,
            f"Deleted your entry for {long_date(entry.date)}. Steps you did that day stay "
            "in your journal.",
        )
        if request.htmx:
            return HttpResponseClientRedirect(reverse("journals-today"))
        return redirect("journals-today")
    context = {"entry": entry}
    if request.htmx:
        return render(request, "journals/entry_confirm_delete.html#confirm", context)
    return render(request, "journals/entry_confirm_delete.html", context)


@login_required
@require_safe
def calendar(request):
    """A year of journaled days and steps done, as a heat map with a text alternative."""
    user = request.user
    today = user.local_today()
    codes = JournalEntry.objects.for_owner(user).codes_by_date()
    dates = list(codes)
    first_year = min(dates[0].year if dates else today.year, user.date_joined.year, today.year)
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        raise Http404("No such year.") from None
    if not first_year <= year <= today.year:
        raise Http404("No such year in this journal.")
    context = {
        "calendar": journal.year_calendar(user, year, codes, today),
        "streaks": compute_streaks(dates, today),
        "previous_year": year - 1 if year > first_year else None,
        "next_year": year + 1 if year < today.year else None,
        "today": today,
    }
    if request.htmx:
        # The year link pressed is replaced: the keyboard goes to the new year's heading,
        # which a screen reader reads out.
        return page_update(
            request, "journals/calendar.html", [], context, main="calendar", focus="#calendar-title"
        )
    return render(request, "journals/calendar.html", context)


@login_required
@require_safe
def search(request):
    """Entries whose text contains the words, within an optional date range."""
    form = SearchForm(request.GET)
    page = None
    status = 200
    if form.is_empty:
        form = SearchForm()
    elif form.is_valid():
        data = form.cleaned_data
        entries = (
            JournalEntry.objects.for_owner(request.user)
            .between(data["start"], data["end"])
            .search(data["q"].strip())
            .order_by("-date")
        )
        page = Paginator(entries, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        status = 422
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "words": form.data.get("q")}
    template = "journals/search.html#results" if request.htmx else "journals/search.html"
    return render(request, template, context, status=status)


def download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def export_markdown(request):
    user = request.user
    today = user.local_today()
    days = journal.all_journal_days(user)
    return download(
        exports.to_markdown(user, days, today),
        "text/markdown; charset=utf-8",
        exports.export_filename(today, "md"),
    )


@login_required
@require_safe
def export_csv(request):
    user = request.user
    today = user.local_today()
    days = journal.all_journal_days(user)
    return download(
        exports.to_csv(days),
        "text/csv; charset=utf-8",
        exports.export_filename(today, "csv"),
    )
