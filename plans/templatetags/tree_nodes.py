from django import template

from plans.tree.markup import tree_markup

register = template.Library()


@register.simple_tag(takes_context=True)
def tree_nodes(context, nodes):
    """{% tree_nodes tree.goal.children %}: the steps of the tree (plans.tree.markup)."""
    return tree_markup(
        nodes, focus=context.get("focus"), first=context.get("first"), today=context["today"]
    )
