"""Journal text to safe HTML: Markdown for simple formatting, never raw HTML."""

import functools

import nh3
from markdown_it import MarkdownIt

# Raw HTML is off, so "<script>" is shown as text; images (which would fetch from other
# sites) and headings (which would break the page's heading order) stay plain text.
_markdown = (
    MarkdownIt("commonmark", {"html": False, "breaks": True})
    .enable("strikethrough")
    .disable(["image", "heading", "lheading", "html_block", "html_inline"])
)

# nh3 is the second lock: whatever the renderer emits, only these tags and attributes,
# and only links to the web or to mail, reach the page.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


# The HTML is a pure function of the text, and pages show the same recent entries again
# and again (the journal, a buddy's progress page): each process keeps the latest few
# hundred, at most a few megabytes (entries are at most 10,000 characters, most far less).
@functools.lru_cache(maxsize=256)
def render_markdown(text):
    """Return sanitised HTML for a journal entry's Markdown text."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
