"""A very small template engine: ``{{ name.attr }}`` (escaped; ``{{ x|safe }}`` is not) and
``{% for item in items %}…{% endfor %}``, ``{% if cond %}…{% else %}…{% endif %}``."""

import re

from htmlsafe import Markup, escape

__version__ = "0.4.0"
__all__ = ["Template", "TemplateError"]

_TOKEN = re.compile(r"\{\{\s*(.*?)\s*\}\}|\{%\s*(.*?)\s*%\}", re.S)


class TemplateError(ValueError):
    pass


def _lookup(context, dotted):
    value = context
    for i, part in enumerate(dotted.split(".")):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif i > 0 and hasattr(value, part):
            value = getattr(value, part)
        else:
            raise TemplateError("undefined: %s" % dotted)
    return value


class Template:
    """Parse once, render many times."""

    def __init__(self, source):
        self.source = source
        self._nodes, end = self._parse(0, ())
        if end is not None:
            raise TemplateError("unexpected {%% %s %%}" % end)

    def _parse(self, pos, stops):
        nodes = []
        while True:
            m = _TOKEN.search(self.source, pos)
            if m is None:
                if stops:
                    raise TemplateError("missing {%% %s %%}" % stops[0])
                nodes.append(("text", self.source[pos:]))
                return nodes, None
            nodes.append(("text", self.source[pos:m.start()]))
            pos = m.end()
            if m.group(1) is not None:
                expr, _, flt = m.group(1).partition("|")
                if flt.strip() not in ("", "safe"):
                    raise TemplateError("unknown filter: %s" % flt.strip())
                nodes.append(("var", expr.strip(), flt.strip() == "safe"))
                continue
            words = m.group(2).split()
            if words and words[0] in stops:
                self._pos = pos
                return nodes, words[0]
            if len(words) == 4 and words[0] == "for" and words[2] == "in":
                body, _ = self._parse(pos, ("endfor",))
                pos = self._pos
                nodes.append(("for", words[1], words[3], body))
            elif len(words) == 2 and words[0] == "if":
                yes, stop = self._parse(pos, ("else", "endif"))
                pos = self._pos
                no = []
                if stop == "else":
                    no, _ = self._parse(pos, ("endif",))
                    pos = self._pos
                nodes.append(("if", words[1], yes, no))
            else:
                raise TemplateError("unknown tag: {%% %s %%}" % m.group(2))

    def render(self, **context):
        out = []
        self._render(self._nodes, context, out)
        return Markup("".join(out))

    def _render(self, nodes, context, out):
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "var":
                value = _lookup(context, node[1])
                out.append(str(value) if node[2] else escape(value))
            elif kind == "for":
                for item in _lookup(context, node[2]):
                    self._render(node[3], dict(context, **{node[1]: item}), out)
            else:
                self._render(node[2] if _lookup(context, node[1]) else node[3], context, out)
