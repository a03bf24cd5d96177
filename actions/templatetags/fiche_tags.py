"""Template filters of the fiche pages: the descriptif's paragraphs, line breaks and bullets;
an indicator's values with their unit; the search's highlighted words."""

import re
from itertools import groupby

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from contrat.formats import format_number
from contrat.search import excerpt, highlight

register = template.Library()


@register.simple_tag(takes_context=True)
def surligne(context, text):
    """`{% surligne fiche.titre %}`: the text escaped, with the words the page's search
    (`recherche` in the context: a contrat.search.SearchQuery; none outside a search)
    matches in <mark>."""
    return highlight(text, context.get("recherche"))


@register.simple_tag(takes_context=True)
def extrait(context, text):
    """`{% extrait fiche.descriptif as x %}`: a few words of the text around the first one
    the page's search matches, highlighted; '' when none does."""
    return excerpt(text, context.get("recherche"))


# The recap writes bullets as "-", "·", "•", "–" or "▪" at the start of a line.
BULLET = re.compile(r"^[-·•–▪*]\s*(?=\S)")
BLANK_LINES = re.compile(r"\n\s*\n")


@register.filter(needs_autoescape=True)
def paragraphs(text, autoescape=True):
    """Like `linebreaks`, but a run of lines starting with a bullet becomes a list.
    Every line is escaped: a '<script>' in a descriptif shows as text."""
    escape = conditional_escape if autoescape else str
    html = []
    for block in BLANK_LINES.split(str(text or "").replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        for is_bullet, run in groupby(lines, key=lambda line: bool(BULLET.match(line))):
            if is_bullet:
                items = "".join(f"<li>{escape(BULLET.sub('', line, count=1))}</li>" for line in run)
                html.append(f"<ul>{items}</ul>")
            else:
                html.append("<p>" + "<br>".join(escape(line) for line in run) + "</p>")
    return mark_safe("\n".join(html))


@register.filter
def mesure(value, unit=""):
    """{{ valeur|mesure:indicateur.unite }} -> '1 234,5 ha'."""
    return format_number(value, unit)
