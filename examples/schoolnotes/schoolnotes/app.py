"""The WSGI application (PEP 3333): ``application = make_app(data_dir)``.

Routes: ``GET /`` the board, ``POST /notes`` add a note (form fields ``title`` and ``body``),
``GET /healthz`` liveness.
"""

import os
from urllib.parse import parse_qs

import notemark
import textstats
from tinytemplate import Template

from schoolnotes import __version__
from schoolnotes.config import db_path
from schoolnotes.store import Store

_HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BODY = 64 * 1024


def _load_page():
    with open(os.path.join(_HERE, "page.html"), encoding="utf-8") as f:
        return Template(f.read())


def make_app(data_dir=None):
    store = Store(db_path(data_dir))
    page = _load_page()

    def respond(start_response, status, body, content_type="text/plain; charset=utf-8", headers=()):
        data = body.encode("utf-8")
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))] + list(headers))
        return [data]

    def index():
        notes = []
        for note in store.notes():
            text = note["body"]
            notes.append(dict(note, html=notemark.render(text), words=textstats.count_words(text), minutes=textstats.reading_minutes(text)))
        return page.render(
            notes=notes,
            count="1 note" if len(notes) == 1 else "%d notes" % len(notes),
            version=__version__,
            textstats=textstats.IMPLEMENTATION,
            smartquotes=notemark.SMARTQUOTES,
        )

    def application(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return respond(start_response, "200 OK", "ok\n")
        if path == "/" and method in ("GET", "HEAD"):
            return respond(start_response, "200 OK", str(index()), "text/html; charset=utf-8")
        if path == "/notes" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                return respond(start_response, "413 Payload Too Large", "a note is at most %d bytes\n" % MAX_BODY)
            form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
            title = (form.get("title") or [""])[0].strip()
            body = (form.get("body") or [""])[0].strip()
            if not title:
                return respond(start_response, "400 Bad Request", "a note needs a title\n")
            store.add(title, body)
            return respond(start_response, "303 See Other", "", headers=[("Location", "/")])
        if path in ("/", "/notes", "/healthz"):
            return respond(start_response, "405 Method Not Allowed", "method not allowed\n")
        return respond(start_response, "404 Not Found", "not found\n")

    return application
